"""Running a child process with its output logged and a hard wall-clock timeout.

Every child gets its own session (process group), so a timeout kills the whole tree (a pytest
and the threads or helper processes it started), never just the top process. A timeout is an
outcome (`TIMEOUT`), not an exception: the caller reports it by name and goes on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

#: The exit "code" of a process killed for running past its timeout.
TIMEOUT = "timeout"


@dataclass(frozen=True)
class Finished:
    """How a logged child ended: its exit code (or TIMEOUT), wall seconds and the log's tail."""

    rc: Union[int, str]
    seconds: float
    tail: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    @property
    def timed_out(self) -> bool:
        return self.rc == TIMEOUT


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the child's process group (it was started in a new session)."""
    with contextlib.suppress(OSError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)


def run_logged(cmd: Sequence[object], log: Path, env: Mapping[str, str], timeout: float,
               cwd: Optional[Path] = None, echo: bool = True) -> Finished:
    """Runs `cmd` with stdout+stderr into `log` (echoed indented to stderr if `echo`).

    The child is killed (with its process group) after `timeout` seconds; then `rc` is TIMEOUT
    and the log ends with a line saying so.
    """
    t0 = time.monotonic()
    with open(log, "w", encoding="utf-8", errors="replace") as fh:
        fh.write("$ " + " ".join(map(str, cmd)) + "\n")
        fh.flush()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=dict(env), cwd=cwd, text=True, errors="replace", start_new_session=True)

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                fh.write(line)
                fh.flush()
                if echo:
                    print("    " + line.rstrip("\n"), file=sys.stderr, flush=True)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        rc: Union[int, str]
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.wait()
            rc = TIMEOUT
        reader.join(timeout=10)
        if rc == TIMEOUT:
            fh.write(f"\n[ftlab_ci] killed after {timeout:.0f} s (hard timeout)\n")
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:])
    return Finished(rc, time.monotonic() - t0, tail)

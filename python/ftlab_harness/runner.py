"""Parent side: run one scenario in a child process and turn whatever happened into a record.

Every scenario runs in its own interpreter (`ftlab_harness.child`), so a segfault, an abort or a
deadlock in the code under test costs one result, never the run. This module maps the child's
fate to an outcome:

    result file written, exit 0     -> the child's own outcome (pass / violation / error / skipped)
    killed by a signal              -> `crash`, with the signal's name and faulthandler's stacks
    watchdog exit (EXIT_HANG)       -> `timeout` (a worker made no progress), with every stack
    faulthandler "Timeout (...)!"   -> `timeout` (the watchdog itself was stuck), with every stack
    over the wall-clock timeout     -> SIGABRT (faulthandler prints every stack), then SIGKILL;
                                       `timeout`
    anything else                   -> `error` with the end of stderr

`JsonlWriter` appends one record per line and flushes it at once, so a later crash of anything
never loses earlier results. Stdlib only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from ftlab_harness.child import EXIT_HANG

#: The directory that holds the `ftlab_harness` package (site-packages once installed); children
#: get it last on PYTHONPATH so they import this same harness even when it runs from a source tree.
HARNESS_PARENT = Path(__file__).resolve().parent.parent
STDERR_KEEP = 6000


def interpreter_info() -> dict[str, Any]:
    """Facts about the running interpreter shared by every record of this run."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    version = ".".join(map(str, sys.version_info[:3]))
    return {
        "interpreter": f"{sys.implementation.name}-{version}{'t' if free_threaded else ''}",
        "version": version,
        "free_threaded": free_threaded,
        "python_gil_env": os.environ.get("PYTHON_GIL"),
        "executable": sys.executable,
    }


def default_threads() -> int:
    """2x the CPUs this process may use, at least 4."""
    count = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return max(4, 2 * count)


def child_env(extra_paths: list[str], tail_paths: list[str] = ()) -> dict[str, str]:
    """The child's environment: `extra_paths` first, then PYTHONPATH, `tail_paths`, the harness."""
    env = dict(os.environ)
    parts = [*extra_paths]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    parts.extend(tail_paths)
    parts.append(str(HARNESS_PARENT))
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("PYTHONFAULTHANDLER", "1")
    return env


def signal_name(returncode: int) -> str:
    try:
        sig = signal.Signals(-returncode)
    except ValueError:
        return f"signal {-returncode}"
    return f"{sig.name} ({signal.strsignal(sig) or sig.name})"


def _faulthandler_excerpt(stderr: str) -> str:
    """faulthandler's report from stderr, the crashing ("Current") thread's stack first."""
    text = stderr.strip()
    for marker in ("\nstress: ", "Fatal Python error", "Timeout ("):
        i = text.find(marker)
        if i >= 0:
            text = text[i:].strip()
            break
    hang_marker = text.startswith("stress: ")
    if hang_marker:  # our watchdog's marker: the detail already says it
        text = text.split("\n", 1)[1] if "\n" in text else ""
    blocks = text.split("\n\n")
    current = [b for b in blocks if b.lstrip().startswith("Current thread")]
    if hang_marker:  # the "current" thread is the watchdog that dumped the stacks: noise
        text = "\n\n".join(b for b in blocks if b not in current)
    elif current:
        head = [b for b in blocks if b.lstrip().startswith("Fatal Python error")]
        rest = [b for b in blocks if b not in current and b not in head]
        text = "\n\n".join(head + current + rest)
    return text[:STDERR_KEEP] if len(text) <= STDERR_KEEP else text[:STDERR_KEEP] + "\n..."


def run_child(spec: dict[str, Any], timeout: float, extra_paths: list[str], cwd: str | None = None) -> dict[str, Any]:
    """Runs `python -m ftlab_harness.child` on `spec`; returns the child's result merged with its fate."""
    with tempfile.TemporaryDirectory(prefix="stress-") as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        result_path = os.path.join(tmp, "result.json")
        err_path = os.path.join(tmp, "stderr.txt")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        cmd = [sys.executable, "-X", "faulthandler", "-m", "ftlab_harness.child", spec_path, result_path]
        t0 = time.monotonic()
        killed_after = None
        with open(err_path, "w+b") as err:
            proc = subprocess.Popen(
                cmd, stdout=err, stderr=err, stdin=subprocess.DEVNULL, env=child_env(extra_paths), cwd=cwd
            )
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                killed_after = time.monotonic() - t0
                proc.send_signal(signal.SIGABRT)  # faulthandler dumps every thread's stack
                try:
                    rc = proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    rc = proc.wait()
            wall = time.monotonic() - t0
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        result: dict[str, Any] = {}
        if os.path.exists(result_path):
            with open(result_path) as f:
                result = json.load(f)
    have_result = bool(result)
    result["wall_seconds"] = round(wall, 3)
    result["returncode"] = rc
    if killed_after is not None:
        result.update(
            outcome="timeout",
            detector="timeout",
            seconds_to_detect=round(killed_after, 3),
            detail=f"still running after the {timeout:.0f} s timeout (hang or deadlock); stacks:\n"
            + _faulthandler_excerpt(stderr),
        )
    elif rc < 0:
        name = signal_name(rc)
        result.update(
            outcome="crash",
            signal=name.split()[0],
            detector=f"crash:{name.split()[0]}",
            seconds_to_detect=round(wall, 3),
            detail=f"child killed by {name}; " + _faulthandler_excerpt(stderr),
        )
    elif rc == EXIT_HANG and result.get("outcome") == "timeout":
        result["detail"] = f"{result.get('detail', '')}; stacks:\n" + _faulthandler_excerpt(stderr)
    elif rc == 1 and "Timeout (" in stderr:
        result.update(
            outcome="timeout",
            detector="timeout",
            seconds_to_detect=result.get("seconds_to_detect", round(wall, 3)),
            detail="no progress, and the watchdog could not finish its report (native code holding the GIL, "
            "or a stop-the-world pause waiting on a stuck thread); faulthandler's stacks:\n"
            + _faulthandler_excerpt("Timeout (" + stderr.split("Timeout (", 1)[1]),
        )
    elif rc != 0 or not have_result:
        result.update(
            outcome="error",
            detail=f"child exited with status {rc} without a result: " + stderr.strip()[-STDERR_KEEP:],
        )
    if stderr.strip() and result.get("outcome") not in ("crash", "timeout"):
        result["stderr_tail"] = stderr.strip()[-2000:]
    return result


PREFLIGHT = r"""
import importlib, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        out[name] = None
    except BaseException as e:
        out[name] = f"{type(e).__name__}: {e}"
probe = getattr(sys, "_is_gil_enabled", None)
print(json.dumps({"errors": out, "gil_enabled": bool(probe()) if probe else True}))
"""


def preflight(modules: list[str], extra_paths: list[str], timeout: float = 60.0,
              tail_paths: list[str] = ()) -> dict[str, Any]:
    """Imports every target module once in a throwaway child; returns errors and the GIL state.

    A module that cannot be imported (or whose import crashes the interpreter) is reported in
    `errors`; the CLI turns that into a one-line error and exit status 2.
    """
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PREFLIGHT, *modules],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=child_env(extra_paths, tail_paths),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return {"errors": {m: f"import did not finish within {timeout:.0f} s" for m in modules}, "gil_enabled": None}
    if proc.returncode < 0:
        return {"errors": {m: f"importing crashed the interpreter ({signal_name(proc.returncode)})" for m in modules},
                "gil_enabled": None}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"errors": {m: f"import probe failed: {proc.stderr.strip()[-300:]}" for m in modules}, "gil_enabled": None}


class JsonlWriter:
    """Appends records to a JSONL file, one line each, flushed as soon as it is written."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, sort_keys=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

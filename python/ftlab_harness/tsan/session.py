"""Run one command under TSan, watch its logs while it runs, and collect the findings.

`run(cmd, ...)` starts `cmd` with `env.tsan_env` (every process of the tree logs to
`<log_dir>/tsan.<pid>`), polls the logs every `poll` seconds, and returns a `Session`: exit status,
wall time, every parsed report (classified against the target, suppressions applied), and the
seconds from start until the first report in the target's code appeared (`first_target_seconds`,
the TSan lane's time to detection). With `stop_on_target=True` the command is killed as soon as
such a report is complete in a log (a hunt needs the first one only).

Invariant: a report counts as `unsuppressed` unless `suppress.apply` marked it, and `apply` never
marks a report in the target's code. Stdlib only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .env import log_files, tsan_env
from .parse import Report, Target, dedup, parse_file, runtime_errors
from .suppress import Suppression, apply

__all__ = ["Session", "run", "collect"]


@dataclass
class Session:
    """What one command under TSan produced."""

    cmd: list[str]
    returncode: int
    wall_seconds: float
    log_dir: str
    reports: list[Report]
    first_target_seconds: float | None
    first_report_seconds: float | None
    stopped_early: bool
    runtime_errors: list[str] = field(default_factory=list)
    stdout_tail: str = ""

    @property
    def unsuppressed(self) -> list[Report]:
        return [r for r in self.reports if r.suppressed_by is None]

    @property
    def target_reports(self) -> list[Report]:
        return [r for r in self.reports if r.in_target]

    def unique(self, reports: Sequence[Report] | None = None) -> list[tuple[Report, int]]:
        return dedup(self.reports if reports is None else reports)

    def summary(self) -> dict[str, Any]:
        return {
            "reports": len(self.reports),
            "unique": len(self.unique()),
            "in_target": len(self.unique(self.target_reports)),
            "unsuppressed": len(self.unique(self.unsuppressed)),
            "suppressed": len(self.unique([r for r in self.reports if r.suppressed_by])),
            "first_target_seconds": self.first_target_seconds,
            "wall_seconds": round(self.wall_seconds, 3),
            "returncode": self.returncode,
            "runtime_errors": self.runtime_errors,
        }


def collect(log_dir: str, target: Target, suppressions: list[Suppression]) -> tuple[list[Report], list[str]]:
    """Parses every `tsan.<pid>` log in `log_dir`; returns (reports with suppressions applied, runtime errors)."""
    reports: list[Report] = []
    errors: list[str] = []
    for path in log_files(log_dir):
        reports.extend(parse_file(path, target))
        with open(path, encoding="utf-8", errors="replace") as f:
            errors.extend(runtime_errors(f.read()))
    return apply(reports, suppressions), errors


def _first_target(log_dir: str, target: Target, sizes: dict[str, int]) -> tuple[bool, bool]:
    """(any report, any target report) in logs that grew since the last poll."""
    any_report = any_target = False
    for path in log_files(log_dir):
        size = os.path.getsize(path)
        if size == sizes.get(path):
            continue
        sizes[path] = size
        found = parse_file(path, target)
        any_report = any_report or bool(found)
        any_target = any_target or any(r.in_target for r in found)
    return any_report, any_target


def run(cmd: Sequence[str], target: Target, suppressions: list[Suppression], log_dir: str | None = None,
        base_env: Mapping[str, str] | None = None, timeout: float = 600.0, stop_on_target: bool = False,
        poll: float = 0.2, cwd: str | None = None, options: Mapping[str, str] | None = None,
        capture: bool = True) -> Session:
    """Runs `cmd` under TSan (see the module docstring)."""
    log_dir = log_dir or tempfile.mkdtemp(prefix="ftlab-tsan-")
    os.makedirs(log_dir, exist_ok=True)
    if log_files(log_dir):
        raise RuntimeError(f"{log_dir} already holds TSan logs (tsan.<pid>); give an empty folder, or they count again")
    env = tsan_env(log_dir, base=base_env, options=options)
    out = tempfile.TemporaryFile() if capture else None
    t0 = time.monotonic()
    proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT if capture else None, start_new_session=True)
    sizes: dict[str, int] = {}
    first_any = first_target = None
    stopped = False
    while True:
        try:
            rc = proc.wait(timeout=poll)
            break
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - t0
        if first_target is None:
            any_report, any_target = _first_target(log_dir, target, sizes)
            if any_report and first_any is None:
                first_any = elapsed
            if any_target:
                first_target = elapsed
                if stop_on_target:
                    stopped = True
                    _kill(proc)
                    rc = proc.wait()
                    break
        if elapsed > timeout:
            _kill(proc)
            rc = proc.wait()
            break
    wall = time.monotonic() - t0
    reports, errors = collect(log_dir, target, suppressions)
    if first_target is None and any(r.in_target for r in reports):
        first_target = wall  # completed after the last poll
    if first_any is None and reports:
        first_any = wall
    tail = ""
    if out is not None:
        out.seek(0)
        tail = out.read().decode("utf-8", "replace")[-4000:]
        out.close()
    return Session(list(cmd), rc, wall, log_dir, reports, first_target, first_any, stopped, errors, tail)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Ends the command's whole process group (it was started in a session of its own)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

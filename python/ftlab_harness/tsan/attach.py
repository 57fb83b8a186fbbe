"""`ftlab-harness run --tsan`: TSan as a detector of the run, beside the invariants, crashes and hangs.

`ChildTsan.install()` puts the preload and `TSAN_OPTIONS` (log_path=<dir>/tsan, halt_on_error=0,
exitcode=0) into the parent's environment, which every child inherits (the parent itself is
not under TSan: LD_PRELOAD acts at exec). TSan names each process's log `tsan.<pid>`, and the
runner returns the child's pid, so `verdict(pid, ...)` reads exactly that scenario's reports:

    verdict         tsan_reports (unique), tsan_target (unique, in the target's code),
                    tsan_unsuppressed (unique), tsan_detected (a report in the target's code,
                    which no suppression hides), tsan_first (its headline); `run` keeps it in the
                    record's `notes["tsan"]` and sets detector "tsan" when no other detector fired
    new records     one per unique report: kind "tsan", detector "tsan", the scenario's fields,
                    signature, stacks, in_target, suppressed_by (parse.Report.as_record)

Stdlib only.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable

from . import suppress
from .env import tsan_env
from .parse import Target, dedup, parse_file

__all__ = ["ChildTsan"]

COPIED = ("interpreter", "version", "free_threaded", "label", "scenario", "target", "seed", "repeat")


class ChildTsan:
    """TSan for the children of one harness run (see the module docstring)."""

    def __init__(self, targets: Iterable[str], sources: Iterable[str] = (), suppression_files: Iterable[str] = (),
                 log_dir: str | None = None, default_suppressions: bool = True) -> None:
        self.target = Target.of(list(targets), sources=list(sources))
        files = ([str(suppress.default_path())] if default_suppressions else []) + list(suppression_files)
        self.suppressions = [s for f in files for s in suppress.load(f)]
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="ftlab-tsan-run-")

    def install(self, environ: Any = None) -> None:
        environ = os.environ if environ is None else environ
        env = tsan_env(self.log_dir, base={k: environ[k] for k in ("LD_PRELOAD", "TSAN_OPTIONS") if k in environ})
        environ["LD_PRELOAD"] = env["LD_PRELOAD"]
        environ["TSAN_OPTIONS"] = env["TSAN_OPTIONS"]

    def verdict(self, pid: int | None, base: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The child's TSan verdict (tsan_* fields) and its finding records (`base` fields copied)."""
        path = os.path.join(self.log_dir, f"tsan.{pid}")
        reports = parse_file(path, self.target) if pid is not None and os.path.exists(path) else []
        reports = suppress.apply(reports, self.suppressions)
        unique = dedup(reports)
        target = [(r, n) for r, n in unique if r.in_target]
        unsuppressed = [(r, n) for r, n in unique if r.suppressed_by is None]
        verdict = {"tsan_reports": len(unique), "tsan_target": len(target), "tsan_unsuppressed": len(unsuppressed),
                   "tsan_detected": bool(target), "tsan_first": target[0][0].headline if target else None,
                   "tsan_log": path if reports else None}
        return verdict, [dict(base, kind="tsan", detector="tsan", count=n, **r.as_record()) for r, n in unique]

    def attach(self, record: dict[str, Any], pid: int | None) -> list[dict[str, Any]]:
        """`verdict` for a plain dict record: adds the tsan_* fields (and detector "tsan" when no other
        detector fired); returns the finding records."""
        verdict, findings = self.verdict(pid, {k: record.get(k) for k in COPIED})
        record.update(verdict)
        if verdict["tsan_detected"] and not record.get("detector"):
            record["detector"] = "tsan"
        return findings

    def summary(self, records: list[dict[str, Any]]) -> str:
        hit = [r for r in records if r.get("tsan_detected")]
        lines = [f"ThreadSanitizer: {sum(r.get('tsan_reports') or 0 for r in records)} unique report(s), "
                 f"{sum(r.get('tsan_unsuppressed') or 0 for r in records)} unsuppressed, "
                 f"{len(hit)} scenario(s) with a race in {', '.join(self.target.names + self.target.paths)}; "
                 f"logs {self.log_dir}"]
        lines += [f"  {r['scenario']}: {r['tsan_first']}" for r in hit]
        return "\n".join(lines)

"""ftlab's TSan lane: the seeded twins under TSan (the detection table's TSan column) and the correct
build's quick stress pass under TSan (the false-alarm check).

Both drive the stress harness as a command (`<python> -m ftlab_harness run ...`) under `session.run`,
so every child process the harness starts inherits the preload and logs to the session's folder.

twins: for every bug in `ftlab._seeded.BUGS`, the scenario that hunts it runs against the twin for
    `seconds` (no stop at the first violation: every twin gets the same exposure), and is cut
    short as soon as TSan reports a race in ftlab's own code. Per bug: caught by TSan? seconds to
    the first report; the invariant detectors' verdict from the same run (violation or not).
clean: the quick stress pass (1 s per scenario) against the correct classes, `runs` times; every
    unsuppressed report is a false alarm (or a real race in the correct build).

`BLIND_SPOTS` are scenarios the stock-interpreter mode cannot judge, with the reason; they are
not run under TSan (recorded as skipped), never suppressed.

Stdlib only.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Any

from . import suppress
from .env import tsan_env
from .parse import Report, Target
from .session import Session, run

#: What TSan must say about each seeded twin, and why. Bugs not listed are reported, not judged.
EXPECTED: dict[str, tuple[bool, str]] = {
    "unsafe_shared_mut": (True, "plain i64 in an UnsafeCell read and written by concurrent adds: a data race"),
    "relaxed_publication": (True, "payload copied in after a Relaxed flag store: readers copy it concurrently"),
    "racy_statistics": (True, "unsynchronised `calls` statistic bumped on every add: a data race no "
                              "invariant checks"),
    "lost_update": (False, "SeqCst load then store: every access is atomic, the bug is a race condition"),
    "check_then_act": (False, "check and act each under the lock: correctly synchronised accesses"),
    "torn_multi_key_update": (False, "each key updated under its lock: correctly synchronised accesses"),
}

#: Scenarios whose correct code the stock-interpreter mode reports falsely, in ftlab's own frames.
BLIND_SPOTS: dict[str, str] = {
    "frozen_map": "new maps are handed between threads through Python objects; the (uninstrumented) "
                  "interpreter's synchronisation of that hand-off is invisible to TSan",
    "parallel.word_count": "work handed to rayon's pool through crossbeam-deque, whose fences TSan does "
                           "not model (std and deps would need -Zbuild-std)",
    "parallel.sum_of_squares": "as parallel.word_count",
    "parallel.panic": "as parallel.word_count",
    "event_bus": "state guarded by CPython's per-object critical section (a PyMutex inside the "
                 "uninstrumented interpreter), invisible to TSan",
    "snapshot": "RCU-style grace period ordered by SeqCst fences, which TSan does not model",
    "counter.per_thread": "per-thread slots in a thread_local; glibc's TLS blocks of finished threads are "
                          "freed and reused by ld.so (uninstrumented), seen as a race on ftlab's slot",
}


@dataclass
class Harness:
    """How to run the stress harness: the venv's python, the module run as `-m`, cwd, the seeded build."""

    python: str
    module: str = "ftlab_harness"
    cwd: str | None = None
    seeded_path: str | None = None

    def cmd(self, *args: str) -> list[str]:
        return [self.python, "-m", self.module, *args]

    def env(self, seeded: bool) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHON_GIL", None)
        if seeded and self.seeded_path:
            env["PYTHONPATH"] = os.pathsep.join(p for p in [self.seeded_path, env.get("PYTHONPATH")] if p)
            env["FTLAB_SEEDED_PATH"] = self.seeded_path
        return env


PROBE = r"""
import json, sys
from {module}.loader import load, sources_from
found = load(sources_from([]))
hunts = {{}}
for sc, _ in found:
    for bug in sc.hunts:
        hunts.setdefault(bug, sc.name)
try:
    import ftlab._seeded as s
    bugs = dict(s.BUGS)
    tsan_only = list(getattr(s, "TSAN_ONLY", ()))
except ImportError as e:
    print(f"ftlab._seeded: {{e}}", file=sys.stderr)
    bugs, tsan_only = {{}}, []
print(json.dumps({{"scenarios": [sc.name for sc, _ in found], "hunts": hunts, "bugs": bugs, "tsan_only": tsan_only}}))
"""


def probe(h: Harness) -> dict[str, Any]:
    """Scenario names, bug -> hunting scenario, and ftlab._seeded.BUGS (under TSan: an instrumented
    build cannot even be imported without the runtime; its reports are thrown away)."""
    with tempfile.TemporaryDirectory(prefix="ftlab-tsan-probe-") as logs:
        out = subprocess.run([h.python, "-c", PROBE.format(module=h.module)], capture_output=True, text=True,
                             cwd=h.cwd, env=tsan_env(logs, base=h.env(seeded=True)), timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"probing the harness failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _invariants(jsonl: str) -> tuple[bool, str | None]:
    """(violation seen, detector) from a stress-run JSONL."""
    if not os.path.exists(jsonl):
        return False, None
    for line in open(jsonl):
        rec = json.loads(line)
        if rec.get("outcome") in ("violation", "crash", "timeout"):
            return True, rec.get("detector") or rec.get("outcome")
    return False, None


def finding_records(s: Session, base: dict[str, Any]) -> list[dict[str, Any]]:
    """One JSONL record per unique report of a session (kind "tsan", detector "tsan")."""
    out = []
    for r, n in s.unique():
        rec = dict(base)
        rec.update(kind="tsan", detector="tsan", count=n, **r.as_record())
        out.append(rec)
    return out


def twins(h: Harness, target: Target, sups: list[suppress.Suppression], seconds: float, bugs: list[str] | None,
          log_root: str, threads: int | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Runs each twin's scenario under TSan; returns (per-bug rows, finding records)."""
    info = probe(h)
    wanted = bugs or list(info["bugs"])
    rows, findings = [], []
    for bug in wanted:
        twin = info["bugs"].get(bug)
        scenario = info["hunts"].get(bug)
        base = {"mode": "twin", "bug": bug, "twin": twin, "scenario": scenario}
        if twin is None or scenario is None:
            rows.append(dict(base, error="not in ftlab._seeded.BUGS" if twin is None else "no scenario hunts it"))
            continue
        jsonl = os.path.join(log_root, f"{bug}.jsonl")
        cmd = h.cmd("run", "--scenario", scenario, "--target", f"ftlab._seeded:{twin}", "--duration", f"{seconds:g}",
                    "--jsonl", jsonl, "--label", "tsan")
        if threads:
            cmd += ["--threads", str(threads)]
        # A bug only TSan can see runs its full exposure, so the table shows the invariants missing it.
        tsan_only = bug in info.get("tsan_only", ())
        s = run(cmd, target, sups, log_dir=os.path.join(log_root, bug), base_env=h.env(seeded=True),
                timeout=seconds + 300, stop_on_target=not tsan_only, cwd=h.cwd)
        violated, detector = _invariants(jsonl)
        expected, why = EXPECTED.get(bug, (None, "not judged"))
        caught = bool(s.target_reports)
        first = s.target_reports[0] if s.target_reports else None
        rows.append(dict(base, tsan=caught, tsan_seconds=round(s.first_target_seconds, 2) if s.first_target_seconds is not None else None,
                         expected=expected, why=why, frame=_frame(first), invariants=violated if not s.stopped_early
                         else (violated or None), invariant_detector=detector, tsan_only=tsan_only, unique_reports=len(s.unique()),
                         unsuppressed=len(s.unique(s.unsuppressed)), wall_seconds=round(s.wall_seconds, 2),
                         runtime_errors=s.runtime_errors, ok=expected is None or expected == caught))
        findings += finding_records(s, base)
    return rows, findings


def _frame(r: Report | None) -> str | None:
    return r.target_frames[0] if r is not None and r.target_frames else None


def clean(h: Harness, target: Target, sups: list[suppress.Suppression], runs: int, log_root: str,
          duration: float = 1.0, threads: int | None = None,
          blind_spots: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The quick stress pass on the correct classes under TSan, `runs` times (`blind_spots`: the
    scenarios in BLIND_SPOTS too, for an interpreter built with TSan, which sees their hand-offs)."""
    info = probe(h)
    chosen = [name for name in info["scenarios"] if blind_spots or name not in BLIND_SPOTS]
    rows, findings = [], []
    for i in range(runs):
        jsonl = os.path.join(log_root, f"clean-{i}.jsonl")
        cmd = h.cmd("run", "--duration", f"{duration:g}", "--jsonl", jsonl, "--label", "tsan",
                    *[a for name in chosen for a in ("--scenario", name)])
        if threads:
            cmd += ["--threads", str(threads)]
        s = run(cmd, target, sups, log_dir=os.path.join(log_root, f"clean-{i}"), base_env=h.env(seeded=False),
                timeout=60 * len(chosen) + 300, cwd=h.cwd)
        unsup = s.unique(s.unsuppressed)
        ran = sum(1 for line in open(jsonl) if '"stress-run"' in line) if os.path.exists(jsonl) else 0
        rows.append({"mode": "clean", "run": i, "scenarios": len(chosen),
                     "skipped": [] if blind_spots else sorted(BLIND_SPOTS),
                     "returncode": s.returncode, "unique_reports": len(s.unique()),
                     "suppressed": len(s.unique([r for r in s.reports if r.suppressed_by])),
                     "unsuppressed": len(unsup), "in_target": len(s.unique(s.target_reports)),
                     "wall_seconds": round(s.wall_seconds, 1), "runtime_errors": s.runtime_errors,
                     "unsuppressed_headlines": [f"{r.headline[:160]} ({n}x)" for r, n in unsup][:20],
                     "scenarios_run": ran, "output_tail": s.stdout_tail[-600:] if ran < len(chosen) else "",
                     "ok": not unsup and not s.runtime_errors and ran == len(chosen)})
        findings += finding_records(s, {"mode": "clean", "run": i})
    return rows, findings


def default_log_root() -> str:
    return tempfile.mkdtemp(prefix="ftlab-tsan-lane-")


__all__ = ["EXPECTED", "BLIND_SPOTS", "Harness", "probe", "twins", "clean", "finding_records", "default_log_root"]

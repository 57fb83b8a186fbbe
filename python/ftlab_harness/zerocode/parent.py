"""Parent side of a zero-code run: start the isolated child, read its events, name its fate.

Like `ftlab_harness.runner.run_child` for scenarios: the child's death is a result, never the end
of the run. Its streamed events (`child.Events`) are read after it exits, so:

    "finding" event, exit 0            -> that finding (not_linearizable, unexpected_exception)
    killed by a signal                 -> a `crash` finding with the signal and faulthandler's stacks,
                                          plus any finding streamed before the crash
    EXIT_HANG                          -> the `hang` finding with every thread's stack
    status 1 + "Timeout (" on stderr   -> `hang` (the child's main thread was stuck)
    over the wall-clock limit          -> SIGABRT (faulthandler dumps stacks), SIGKILL: `hang`
    "bad_input" event                  -> outcome `bad_input` (the CLI exits 2)
    no finding                         -> `clean`

`seconds_to_detect` counts from the start of the rounds (the "plan" event's wall time), so
learning is not counted as search time; learning's own time is in `plan.learn_seconds`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ftlab_harness.records import Interpreter
from ftlab_harness.runner import child_env, signal_name, wait_or_abort
from ftlab_harness.zerocode.child import EXIT_HANG
from ftlab_harness.zerocode.hammer import Config

SCHEMA_VERSION = 1
#: finding kind -> the harness's outcome word (`ftlab_harness.exitcodes`, JUnit failure types)
HARNESS_OUTCOME = {"crash": "crash", "hang": "timeout", "not_linearizable": "violation", "unexpected_exception": "violation",
                   "impossible_value": "violation", "lost_wakeup": "violation"}
STACKS_KEEP = 6000


@dataclass
class ZeroCodeResult:
    """The record of one zero-code run (one JSONL line of kind "zerocode")."""

    target: str
    seed: int
    outcome: str  # clean | finding | not_checked (no round ran) | bad_input | error
    finding_kind: str = ""  # crash | hang | unexpected_exception | not_linearizable
    detail: str = ""
    seconds_to_detect: float | None = None
    history: str = ""
    stacks: str = ""
    plan: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0
    returncode: int = 0
    interpreter: str = ""
    gil_enabled: bool | None = None
    round: int | None = None  # the round to replay (the finding's, or the one in flight at a crash or hang)
    observations: list[str] = field(default_factory=list)  # nondeterminism seen (never findings)
    workdir: str = ""  # the scratch directory the child ran in, when kept (--keep-workdir)
    paths: list[str] = field(default_factory=list)  # the child's extra PYTHONPATH entries (--path), for the replay command
    kind: str = "zerocode"
    schema_version: int = SCHEMA_VERSION

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> dict[str, Any]:
        """The record in the harness's vocabulary (what the pytest plugin, JUnit and `exitcodes`
        read): `outcome` pass / violation / crash / timeout / error / skipped, `detail` the whole
        text a reader needs (minimised history, seed and round, stacks)."""
        data = self.as_json()
        if self.outcome == "finding":
            outcome = HARNESS_OUTCOME.get(self.finding_kind, "violation")
        else:
            outcome = {"clean": "pass", "not_checked": "skipped"}.get(self.outcome, "error")
        data.update(outcome=outcome, zerocode_outcome=self.outcome, detail=describe(self),
                    detector=f"zerocode:{self.finding_kind}" if self.finding_kind else None,
                    rounds=self.progress.get("rounds") if self.progress.get("rounds") is not None
                    else (self.round + 1 if self.round is not None else 0), scenario=f"zerocode {self.target}")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ZeroCodeResult:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _stacks(stderr: str) -> str:
    text = stderr.strip()
    for marker in ("zerocode: hang", "Fatal Python error", "Timeout ("):
        i = text.find(marker)
        if i >= 0:
            text = text[i:]
            break
    return text[:STACKS_KEEP]


def run_isolated(cfg: Config, extra_paths: Sequence[str] = (), timeout: float | None = None,
                 keep_workdir: bool = False) -> ZeroCodeResult:
    """Runs `cfg` in `python -X faulthandler -m ftlab_harness.zerocode.child`; see module docstring.

    The child runs in a fresh scratch directory (it calls every public method with generated
    values: a `tofile`/`dump` would write into the caller's directory), removed afterwards unless
    `keep_workdir`; the caller's directory is on its PYTHONPATH, so targets import as before."""
    timeout = timeout or cfg.seconds + cfg.learn_seconds + 4 * cfg.round_timeout + 30.0
    workdir = tempfile.mkdtemp(prefix="ftlab-zerocode-workdir-")
    try:
        res = _run_in(cfg, extra_paths, timeout, workdir)
    finally:
        if not keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if keep_workdir:
        res.workdir = workdir
    res.paths = [os.path.abspath(p) for p in extra_paths]
    return res


def _run_in(cfg: Config, extra_paths: Sequence[str], timeout: float, workdir: str) -> ZeroCodeResult:
    with tempfile.TemporaryDirectory(prefix="zerocode-") as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        events_path = os.path.join(tmp, "events.jsonl")
        err_path = os.path.join(tmp, "stderr.txt")
        with open(spec_path, "w") as f:
            json.dump(dataclasses.asdict(cfg), f)
        cmd = [sys.executable, "-X", "faulthandler", "-m", "ftlab_harness.zerocode.child", spec_path, events_path]
        t0 = time.monotonic()
        with open(err_path, "w+b") as err:
            proc = subprocess.Popen(cmd, stdout=err, stderr=err, stdin=subprocess.DEVNULL, cwd=workdir,
                                    env=child_env([os.path.abspath(p) for p in extra_paths] + [os.getcwd()]))
            rc, timed_out_at = wait_or_abort(proc, timeout)
            killed = timed_out_at is not None
            end_wall = time.time()
            wall = time.monotonic() - t0
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        events = []
        if os.path.exists(events_path):
            with open(events_path, encoding="utf-8") as f:
                for line in f:
                    try:
                        events.append(json.loads(line))
                    except ValueError:
                        pass  # a line cut by a crash
        in_flight = None
        try:
            with open(events_path + ".round", encoding="ascii") as f:
                in_flight = int(f.read().strip() or "x")
        except (OSError, ValueError):
            pass
    res = interpret(cfg, events, rc, stderr, wall, end_wall, killed)
    if res.round is None and res.outcome == "finding":
        res.round = in_flight
    return res


def interpret(cfg: Config, events: list[dict[str, Any]], rc: int, stderr: str, wall: float, end_wall: float,
              killed: bool) -> ZeroCodeResult:
    """Maps the child's events and fate to a `ZeroCodeResult` (pure: unit-tested without a child)."""
    res = ZeroCodeResult(cfg.target, cfg.seed, "clean", wall_seconds=round(wall, 3), returncode=rc,
                         interpreter=Interpreter.current().interpreter)
    plan = next((e for e in events if e["event"] == "plan"), None)
    start_wall = plan["wall"] if plan else None
    if plan:
        res.plan = {k: v for k, v in plan.items() if k not in ("event", "wall", "gil_enabled", "free_threaded")}
        res.gil_enabled = plan.get("gil_enabled")
    res.observations = [e["detail"] for e in events if e["event"] == "observation"]
    not_checked = next((e for e in events if e["event"] == "not_checked"), None)
    progress = [e for e in events if e["event"] == "progress"]
    if progress:
        res.progress = {k: v for k, v in progress[-1].items() if k not in ("event", "wall")}
    res.findings = [{k: v for k, v in e.items() if k not in ("event", "wall")} for e in events if e["event"] == "finding"]
    bad = next((e for e in events if e["event"] == "bad_input"), None)
    error = next((e for e in events if e["event"] == "error"), None)
    since_start = round(end_wall - start_wall, 3) if start_wall else round(wall, 3)
    if killed or rc == EXIT_HANG or (rc == 1 and "Timeout (" in stderr):
        first = res.findings[0] if res.findings and res.findings[0]["kind"] == "hang" else None
        res.round = first.get("round") if first else None
        res.outcome, res.finding_kind = "finding", "hang"
        res.detail = first["detail"] if first else (
            "the child's main thread was stuck (faulthandler timeout)" if not killed else f"still running after {wall:.0f} s")
        res.seconds_to_detect = first["seconds_to_detect"] if first else since_start
        res.stacks = _stacks(stderr)
    elif rc < 0:
        name = signal_name(rc)
        res.outcome, res.finding_kind = "finding", "crash"
        res.detail = f"child killed by {name}" + (f" (after {len(res.findings)} streamed finding(s))" if res.findings else "")
        res.seconds_to_detect = since_start
        res.stacks = _stacks(stderr)
    elif bad is not None:
        res.outcome, res.detail = "bad_input", bad["detail"]
    elif not_checked is not None:
        res.outcome, res.detail = "not_checked", not_checked["detail"]
    elif res.findings:
        f = res.findings[0]
        res.outcome, res.finding_kind, res.detail = "finding", f["kind"], f["detail"]
        res.seconds_to_detect, res.history = f["seconds_to_detect"], f.get("history", "")
        res.round = f.get("round")
    elif error is not None:
        res.outcome, res.detail = "error", error["detail"]
        res.stacks = error.get("traceback", "")[-STACKS_KEEP:]
    elif rc != 0 or not any(e["event"] == "done" for e in events):
        res.outcome, res.detail = "error", f"child exited with status {rc}: {stderr.strip()[-STACKS_KEEP:]}"
    elif not res.progress.get("rounds"):
        res.outcome, res.detail = "not_checked", "no round ran (nothing was checked: never reported as clean)"
    return res


def describe(res: ZeroCodeResult, quiet: bool = False) -> str:
    head = f"zerocode {res.target} seed {res.seed}: "
    prog = res.progress
    work = (f"{prog.get('rounds', 0)} rounds ({prog.get('lincheck_rounds', 0)} checked, {prog.get('hammer_rounds', 0)} hammer), "
            f"{prog.get('calls', 0)} calls")
    notes = "".join(f"\n  observation (not a finding): {o}" for o in res.observations[:3]) if not quiet else ""
    if res.workdir and not quiet:
        notes += f"\n  scratch directory kept: {res.workdir}"
    if res.outcome == "clean":
        return head + f"no finding; {work}, {res.wall_seconds:.1f} s" + notes
    if res.outcome in ("bad_input", "error", "not_checked"):
        return head + f"{res.outcome}: {res.detail.splitlines()[0] if res.detail else ''}" + notes
    line = head + f"FOUND {res.finding_kind} after {res.seconds_to_detect} s: {res.detail.splitlines()[0][:300]}"
    if quiet:
        return line
    replay = (f"ftlab-harness zerocode {shlex.quote(res.target)} --seed {res.seed} --replay-round {res.round}"
              + "".join(f" --path {shlex.quote(p)}" for p in res.paths)
              if res.round is not None else "(no round recorded: the child died before its first round)")
    parts = [line, f"  {work}; replay: {replay}"]
    if res.history:
        parts.append("  minimised history (times from the first call):\n" + res.history)
    if res.stacks:
        parts.append("  stacks:\n" + "\n".join("    " + s for s in res.stacks.splitlines()[:60]))
    return "\n".join(parts) + notes


def assert_no_finding(target: str, extra_paths: Sequence[str] = (), **config: Any) -> ZeroCodeResult:
    """For a test suite (the pytest plugin's hook): runs the zero-code check on `target` in an
    isolated child and raises AssertionError with the finding (minimised history, seed, stacks)
    if there is one; bad input and harness errors fail too. Returns the clean result."""
    res = run_isolated(Config(target=target, **config), extra_paths)
    if res.outcome != "clean":
        raise AssertionError(describe(res))
    return res

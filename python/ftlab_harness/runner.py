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
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from ftlab_harness.child import EXIT_HANG
from ftlab_harness.loader import BadInput, split_target
from ftlab_harness.records import ChildEvent, Interpreter, JsonlWriter, RunSpec, ScenarioResult, read_events

__all__ = ["JsonlWriter", "check_targets", "child_env", "default_threads", "interpreter_info", "preflight",
           "run_child", "signal_name"]

#: The directory that holds the `ftlab_harness` package (site-packages once installed); children
#: get it last on PYTHONPATH so they import this same harness even when it runs from a source tree.
HARNESS_PARENT = Path(__file__).resolve().parent.parent
STDERR_KEEP = 6000


def interpreter_info() -> Interpreter:
    """Facts about the running interpreter shared by every record of this run."""
    return Interpreter.current()


def default_threads() -> int:
    """2x the CPUs this process may use, at least 4."""
    count = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return max(4, 2 * count)


def child_env(extra_paths: list[str], tail_paths: Sequence[str] = ()) -> dict[str, str]:
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


def wait_or_abort(proc: subprocess.Popen, timeout: float | None) -> tuple[int, float | None]:
    """Waits for a child; one still running after `timeout` s gets SIGABRT (faulthandler dumps every
    thread's stack), 10 s more to die, then SIGKILL. Returns its exit code and, if it timed out,
    when (`time.monotonic()` at the timeout, before the stacks are asked for). Interrupted
    (KeyboardInterrupt), it kills the child and re-raises."""
    try:
        return proc.wait(timeout=timeout), None
    except KeyboardInterrupt:  # Ctrl-C (or SIGINT to the parent only): the child must not outlive us
        proc.kill()
        proc.wait()
        raise
    except subprocess.TimeoutExpired:
        timed_out_at = time.monotonic()
        proc.send_signal(signal.SIGABRT)
        try:
            return proc.wait(timeout=10), timed_out_at
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(), timed_out_at


def run_child(spec: RunSpec, timeout: float, extra_paths: list[str], cwd: str | None = None) -> ScenarioResult:
    """Runs `python -m ftlab_harness.child` on `spec`; returns the child's result merged with its fate.

    The child appends `ChildEvent`s (violations as they fire, progress a few times a second) to a
    side file; when the child dies before writing its result, the result is rebuilt from them, so
    a crash record still carries the invariants that fired first and the work done before it.
    """
    with tempfile.TemporaryDirectory(prefix="ftlab-harness-") as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        result_path = os.path.join(tmp, "result.json")
        err_path = os.path.join(tmp, "stderr.txt")
        events_path = os.path.join(tmp, "events.jsonl")
        spec = spec.replace(events_path=events_path)
        spec.write(spec_path)
        cmd = [sys.executable, "-X", "faulthandler", "-m", "ftlab_harness.child", spec_path, result_path]
        t0 = time.monotonic()
        with open(err_path, "w+b") as err:
            proc = subprocess.Popen(
                cmd, stdout=err, stderr=err, stdin=subprocess.DEVNULL, env=child_env(extra_paths), cwd=cwd
            )
            rc, timed_out_at = wait_or_abort(proc, timeout)
            killed_after = None if timed_out_at is None else timed_out_at - t0
            ended = time.monotonic()
            wall = ended - t0
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        written = ScenarioResult.read(result_path)
        events = read_events(events_path)
    return _fate(written, events, rc, wall, ended, killed_after, timeout, stderr).replace(pid=proc.pid)


def _from_events(events: list[ChildEvent]) -> ScenarioResult:
    """A partial result rebuilt from the child's side file (violations and the last progress)."""
    by_invariant: dict[str, dict[str, Any]] = {}
    first = None
    first_at = None
    ops, seconds, rounds = 0, 0.0, 0
    for e in events:
        if e.event == "violation" and e.invariant:
            entry = by_invariant.setdefault(e.invariant, {"count": 0, "details": []})
            entry["count"] += 1
            if e.detail and len(entry["details"]) < 5:
                entry["details"].append(e.detail)
            if first is None:
                first, first_at = e.invariant, e.at
        elif e.event == "progress":
            ops, seconds, rounds = e.ops or 0, e.seconds or 0.0, e.rounds or 0
    count = sum(v["count"] for v in by_invariant.values())
    return ScenarioResult(ops=ops, seconds=round(seconds, 4), rounds=rounds, violations=count,
                          violation_details=by_invariant, detector=first,
                          seconds_to_detect=round(first_at, 3) if first_at is not None else None,
                          progress_from_events=True)


def _violations_line(result: ScenarioResult) -> str:
    if not result.violations:
        return ""
    parts = []
    for name, entry in result.violation_details.items():
        d = entry["details"][0] if entry.get("details") else ""
        parts.append(f"{name} x{entry['count']}" + (f": {d}" if d else ""))
    return "invariants that fired first: " + "; ".join(parts) + "\n"


def _fate(written: ScenarioResult | None, events: list[ChildEvent], rc: int, wall: float, ended: float,
          killed_after: float | None, timeout: float, stderr: str) -> ScenarioResult:
    have_result = written is not None
    result = written if written is not None else _from_events(events)
    start = next((e.monotonic for e in events if e.event == "start" and e.monotonic is not None), None)
    # From the child's start to the verdict (stacks written, process gone): what the hunt waited.
    verdict_after = round(ended - start, 3) if start is not None else round(wall, 3)
    result = result.replace(wall_seconds=round(wall, 3), returncode=rc)
    if killed_after is not None:
        result = result.replace(
            outcome="timeout",
            detector="timeout",
            seconds_to_detect=verdict_after,
            detail=_violations_line(result) + f"still running after the {timeout:.0f} s timeout (hang or deadlock); stacks:\n"
            + _faulthandler_excerpt(stderr),
        )
    elif rc < 0:
        name = signal_name(rc)
        result = result.replace(
            outcome="crash",
            signal=name.split()[0],
            detector=f"crash:{name.split()[0]}",
            seconds_to_detect=verdict_after,
            detail=_violations_line(result) + f"child killed by {name} after {result.ops} ops in {result.seconds:.2f} s; "
            + (_faulthandler_excerpt(stderr) or "(no stacks on stderr)"),
        )
    elif rc == EXIT_HANG and result.outcome == "timeout":
        result = result.replace(detail=f"{result.detail}; stacks:\n" + _faulthandler_excerpt(stderr),
                                seconds_to_detect=verdict_after)
    elif rc == 1 and "Timeout (" in stderr:
        result = result.replace(
            outcome="timeout",
            detector="timeout",
            seconds_to_detect=verdict_after,
            detail=_violations_line(result)
            + "no progress, and the watchdog could not finish its report (native code holding the GIL, "
            "or a stop-the-world pause waiting on a stuck thread); faulthandler's stacks:\n"
            + _faulthandler_excerpt("Timeout (" + stderr.split("Timeout (", 1)[1]),
        )
    elif rc != 0 or not have_result:
        result = result.replace(
            outcome="error",
            detail=_violations_line(result) + f"child exited with status {rc} without a result: " + stderr.strip()[-STDERR_KEEP:],
        )
    if stderr.strip() and result.outcome not in ("crash", "timeout"):
        result = result.replace(stderr_tail=stderr.strip()[-2000:])
    return result.with_rate()


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
              tail_paths: Sequence[str] = ()) -> dict[str, Any]:
    """Imports every target module once in a throwaway child; returns errors and the GIL state.

    A module that cannot be imported is reported in `errors` (the CLI turns that into a one-line
    error and exit status 2). A module whose import kills the interpreter (a segfault) is not bad
    input but a finding: it is listed in `crashed` (each module then probed alone to tell which),
    and its scenarios run, each becoming a crash record with faulthandler's stacks.
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
        if len(modules) == 1:
            return {"errors": {}, "gil_enabled": None,
                    "crashed": {modules[0]: f"importing it crashed the interpreter ({signal_name(proc.returncode)})"}}
        merged: dict[str, Any] = {"errors": {}, "crashed": {}, "gil_enabled": None}
        for module in modules:  # which one crashed, and the GIL state after importing the others
            one = preflight([module], extra_paths, timeout, tail_paths)
            merged["errors"].update(one["errors"])
            merged["crashed"].update(one.get("crashed") or {})
            if one.get("gil_enabled") is not None:
                merged["gil_enabled"] = bool(merged["gil_enabled"]) or bool(one["gil_enabled"])
        return merged
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"errors": {m: f"import probe failed: {proc.stderr.strip()[-300:]}" for m in modules}, "gil_enabled": None}


def check_targets(targets: list[str], extra_paths: list[str], hint: str = "",
                  tail_paths: Sequence[str] = ()) -> dict[str, Any]:
    """Exit-2 check: every target's module must import (in a throwaway child). Empty targets
    (scenarios without one) are not probed. A module whose import crashes the interpreter is not
    bad input: it is in the returned `crashed` (the run goes on; its scenarios are crash records)."""
    modules = sorted({split_target(t)[0] for t in targets if t})
    if not modules:
        return {"gil_enabled": None}
    probe = preflight(modules, extra_paths, tail_paths=tail_paths)
    for module, error in probe["errors"].items():
        if error:
            raise BadInput(f"target {module!r} is not importable: {error.splitlines()[0] if error else ''}{hint}")
    return probe

"""The child process that runs ONE scenario: `python -X faulthandler -m ftlab_harness.child SPEC RESULT`.

The parent (`stress.runner`) writes a JSON spec, starts this module in a fresh interpreter and
reads the JSON result file it leaves behind. Running each scenario in its own process is what
lets the harness survive a segfault, an abort or a deadlock in the code under test.

What happens here, in order:
  1. faulthandler is on (`-X faulthandler`): a fatal signal prints every thread's stack to
     stderr, which the parent keeps as the crash's detail.
  2. The scenario's module is loaded, its target imported. GIL guard: on a free-threaded
     interpreter whose GIL was off at start, if that import turned the GIL on, the result is an
     `error` (unless `allow_gil`). On any interpreter running with the GIL, a tiny
     `sys.setswitchinterval` forces thread switches between bytecodes.
  3. Rounds: `setup`, N worker threads released together by a `threading.Barrier`, each calling
     `step` until the deadline / iteration count / stop, then `finish`. A normal run is one round;
     `until_violation` (hunt mode) repeats short rounds with fresh state until a violation, an
     error, or the time cap.
  4. A watchdog thread detects hangs: a worker whose op count has not moved for `hang_timeout`
     seconds (or a setup/finish phase longer than `phase_timeout`) gets the partial result
     written as `timeout`, every thread's stack dumped to stderr, and the process exits with
     `EXIT_HANG`. If the watchdog itself cannot run (a thread stuck in native code holding the
     GIL, or a stop-the-world pause that never completes), `faulthandler.dump_traceback_later`,
     re-armed by the watchdog on every tick, fires instead and exits with status 1 after
     printing "Timeout (...)!" and the stacks.
The result is written atomically (tmp file + rename) and the process leaves with `os._exit`, so
stuck daemon threads cannot hang interpreter shutdown.
"""

from __future__ import annotations

import faulthandler
import json
import math
import os
import sys
import sysconfig
import threading
import time
from typing import Any

from ftlab_harness.api import DONE, Run, Scenario, Worker
from ftlab_harness.loader import BadInput, Source, find, split_target

EXIT_HANG = 3
WATCHDOG_TICK = 0.05


def gil_enabled_now() -> bool:
    """Whether the GIL is enabled right now (always true before 3.13)."""
    probe = getattr(sys, "_is_gil_enabled", None)
    return bool(probe()) if probe is not None else True


def free_threaded_build() -> bool:
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


class _State:
    """What the watchdog watches; written by the main thread, read by the watchdog."""

    def __init__(self) -> None:
        self.phase = "load"
        self.phase_started = time.monotonic()
        self.workers: list[Worker] = []
        self.round = 0
        self.partial: dict[str, Any] = {}

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.phase_started = time.monotonic()


def _write_result(path: str, result: dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, path)


def _watchdog(state: _State, spec: dict[str, Any], result_path: str) -> None:
    hang_timeout = float(spec["hang_timeout"])
    phase_timeout = float(spec.get("phase_timeout") or max(30.0, 5 * hang_timeout))
    backup = max(2 * hang_timeout, hang_timeout + 2.0)
    last: dict[tuple[int, int], tuple[int, float]] = {}
    while state.phase != "done":
        faulthandler.dump_traceback_later(backup, exit=True)
        time.sleep(WATCHDOG_TICK)
        now = time.monotonic()
        stalled = None
        if state.phase == "workers":
            for w in list(state.workers):
                if w.done:
                    continue
                key = (state.round, w.index)
                ops = w.ops
                prev = last.get(key)
                if prev is None or prev[0] != ops:
                    last[key] = (ops, now)
                elif now - prev[1] > hang_timeout:
                    stalled = f"worker {w.index} made no progress for {now - prev[1]:.1f} s (after {ops} ops): hang or deadlock"
                    break
        elif state.phase in ("setup", "finish") and now - state.phase_started > phase_timeout:
            stalled = f"{state.phase} did not finish within {phase_timeout:.0f} s: hang or deadlock"
        if stalled is None:
            continue
        partial = dict(state.partial)
        ops_now = sum(w.ops for w in list(state.workers))
        partial.update(
            outcome="timeout",
            detail=stalled,
            detector="timeout",
            ops=partial.get("ops", 0) + ops_now,
            seconds=round(partial.get("seconds", 0.0) + (now - state.phase_started if state.phase == "workers" else 0.0), 3),
            seconds_to_detect=round(now - state.partial.get("_t0", now), 3),
            hang=True,
        )
        partial.pop("_t0", None)
        try:
            _write_result(result_path, partial)
        finally:
            sys.stderr.write(f"\nstress: {stalled}; stacks of every thread follow\n")
            sys.stderr.flush()
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            sys.stderr.flush()
            os._exit(EXIT_HANG)


def _resolve_target(target_spec: str) -> tuple[Any, str | None, str | None]:
    """Imports the target. Returns (obj, outcome_if_failed, detail_if_failed)."""
    import importlib

    module_name, attrs = split_target(target_spec)
    try:
        obj: Any = importlib.import_module(module_name)
    except BaseException as e:
        return None, "error", f"target module {module_name!r} failed to import: {type(e).__name__}: {e}"
    for i, attr in enumerate(attrs):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            owner = module_name + "".join("." + a for a in attrs[:i])
            return None, "skipped", f"{owner} has no attribute {attr!r} (not built into the installed {module_name}?)"
    return obj, None, None


def _run_round(
    sc: Scenario,
    target: Any,
    spec: dict[str, Any],
    round_index: int,
    duration: float | None,
    clock: Any,
    state: _State,
) -> Run:
    threads = int(spec["threads"])
    iterations = spec.get("iterations") or math.inf
    run = Run(
        scenario=sc,
        target=target,
        target_spec=spec["target"],
        threads=threads,
        seed=int(spec["seed"]),
        round_index=round_index,
        free_threaded=free_threaded_build(),
        gil_enabled=gil_enabled_now(),
        clock=clock,
        stop_on_violation=bool(spec.get("until_violation")),
    )
    state.round = round_index
    state.enter("setup")
    try:
        sc.setup(run)
    except BaseException as e:
        run._error("setup", "main thread", e)
        run.seconds = 0.0  # type: ignore[attr-defined]
        return run
    workers = [Worker(run, i) for i in range(threads)]
    run.workers = workers
    started: dict[str, float] = {}

    def release() -> None:
        started["t"] = time.monotonic()
        if duration:
            run._deadline = started["t"] + duration

    barrier = threading.Barrier(threads, action=release)

    def body(w: Worker) -> None:
        try:
            sc.thread_setup(w)
        except BaseException as e:
            run._error("thread_setup", f"worker {w.index}", e)
            barrier.abort()
            w.done = True
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            w.done = True
            return
        deadline = started["t"] + duration if duration else math.inf
        step = sc.step
        monotonic = time.monotonic
        try:
            while not run._stop:
                if step(w) is DONE:
                    w.returned_done = True
                    break
                w.ops += 1
                if w.ops >= iterations or monotonic() >= deadline:
                    break
        except BaseException as e:
            run._error("step", f"worker {w.index}", e)
        finally:
            w.done = True

    pool = [threading.Thread(target=body, args=(w,), name=f"stress-worker-{w.index}", daemon=True) for w in workers]
    state.workers = workers
    state.enter("workers")
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    run.seconds = time.monotonic() - started.get("t", time.monotonic())  # type: ignore[attr-defined]
    state.enter("finish")
    if not run.errors:
        try:
            sc.finish(run)
        except BaseException as e:
            run._error("finish", "main thread", e)
    state.enter("between")
    return run


def _summarise_violations(by_invariant: dict[str, dict[str, Any]]) -> str:
    parts = []
    for name, entry in by_invariant.items():
        first = entry["details"][0] if entry["details"] else ""
        parts.append(f"{name} x{entry['count']}" + (f": {first}" if first else ""))
    return "; ".join(parts)


def execute(spec: dict[str, Any], result_path: str, state: _State) -> dict[str, Any]:
    """Loads, guards and runs the scenario described by `spec`; returns the result dict."""
    t0 = time.monotonic()

    def clock() -> float:
        return time.monotonic() - t0

    free_threaded = free_threaded_build()
    gil_at_start = gil_enabled_now()
    result: dict[str, Any] = {
        "ops": 0,
        "seconds": 0.0,
        "violations": 0,
        "outcome": "error",
        "detail": "",
        "rounds": 0,
        "gil_enabled_at_start": gil_at_start,
        "target": spec["target"],
    }
    state.partial = dict(result, _t0=t0)
    try:
        sc = find(Source(**spec["source"]), spec["scenario"])
    except BadInput as e:
        result["detail"] = str(e)
        return result
    target, failed, why = _resolve_target(spec["target"])
    result["gil_enabled"] = gil_enabled_now()
    if failed:
        result.update(outcome=failed, detail=why)
        return result
    absent = [name for name in sc.requires if not hasattr(target, name)]
    if absent:
        result.update(outcome="skipped", detail=f"{spec['target']} has no attribute {absent[0]!r} "
                      f"(not built into the installed {split_target(spec['target'])[0]}?)")
        return result
    if free_threaded and not gil_at_start and result["gil_enabled"] and not spec.get("allow_gil"):
        result["detail"] = (
            f"GIL guard: importing the target {spec['target']!r} (or the scenarios module) re-enabled the GIL "
            "on this free-threaded interpreter; fix the extension (Py_mod_gil / gil_used = false) or pass --allow-gil"
        )
        result["gil_guard"] = True
        return result
    if result["gil_enabled"]:
        sys.setswitchinterval(float(spec["switch_interval"]))

    duration = spec.get("duration")
    cap = spec.get("cap_seconds")
    until_violation = bool(spec.get("until_violation"))
    total_ops = 0
    total_seconds = 0.0
    by_invariant: dict[str, dict[str, Any]] = {}
    notes: dict[str, Any] = {}
    violations = 0
    first_violation = None
    first_at = None
    errors: list[dict[str, str]] = []
    round_index = 0
    started = clock()
    while True:
        if until_violation:
            round_duration = spec.get("round_seconds")
        else:
            round_duration = duration - (clock() - started) if duration and round_index else duration
        if until_violation and cap is not None:
            round_duration = max(0.05, min(round_duration, cap - (clock() - started)))
        run = _run_round(sc, target, spec, round_index, round_duration, clock, state)
        round_index += 1
        total_ops += sum(w.ops for w in run.workers)
        total_seconds += getattr(run, "seconds", 0.0)
        state.partial.update(ops=total_ops, seconds=round(total_seconds, 3), rounds=round_index)
        for name, entry in run.violations.by_invariant.items():
            merged = by_invariant.setdefault(name, {"count": 0, "details": []})
            merged["count"] += entry["count"]
            merged["details"] = (merged["details"] + entry["details"])[:5]
        violations += run.violations.count
        for key, value in run.notes.items():
            old = notes.get(key)
            numeric = isinstance(value, (int, float)) and isinstance(old, (int, float))
            notes[key] = old + value if numeric else value
        if first_violation is None and run.violations.first is not None:
            first_violation, first_at = run.violations.first, run.violations.first_at
        errors = run.errors
        if violations or errors:
            break
        if not until_violation:
            # Every worker returned DONE before the deadline (a finite workload, e.g. a list of
            # fresh latches): run the scenario again, fresh state, for the rest of the duration.
            remaining = (duration or 0) - (clock() - started)
            finite = run.workers and all(getattr(w, "returned_done", False) for w in run.workers)
            if not (duration and finite and remaining > 0.05 and sum(w.ops for w in run.workers)):
                break
            continue
        if cap is None or clock() - started >= cap:
            break
    result.update(
        ops=total_ops,
        seconds=round(total_seconds, 4),
        ops_per_s=round(total_ops / total_seconds, 1) if total_seconds > 0 else 0.0,
        violations=violations,
        violation_details=by_invariant,
        notes=notes,
        rounds=round_index,
        gil_enabled=gil_enabled_now(),
    )
    if errors:
        first = errors[0]
        result.update(
            error_phase=first["phase"],
            error_type=first["type"],
            traceback=first["traceback"],
        )
    error_text = f"{errors[0]['phase']} ({errors[0]['where']}) raised {errors[0]['message']}" if errors else ""
    if violations:  # violations first: an exception is often their consequence
        result.update(
            outcome="violation",
            detail=_summarise_violations(by_invariant) + (f"; then {error_text}" if error_text else ""),
            detector=first_violation,
            seconds_to_detect=round((first_at or clock()) - started, 3),
        )
    elif errors:
        result.update(
            outcome="error",
            detail=error_text,
            detector=f"exception:{errors[0]['type']}",
            seconds_to_detect=round(clock() - started, 3),
        )
    else:
        result.update(outcome="pass", detail="")
    if free_threaded and not gil_at_start and result["gil_enabled"] and not spec.get("allow_gil") and result["outcome"] == "pass":
        result.update(outcome="error", detail="GIL guard: the GIL was re-enabled while the scenario ran (a lazy import?)", gil_guard=True)
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m ftlab_harness.child SPEC.json RESULT.json (started by ftlab-harness)", file=sys.stderr)
        return 2
    faulthandler.enable(file=sys.stderr, all_threads=True)
    with open(argv[0]) as f:
        spec = json.load(f)
    state = _State()
    threading.Thread(target=_watchdog, args=(state, spec, argv[1]), name="stress-watchdog", daemon=True).start()
    try:
        result = execute(spec, argv[1], state)
    except BaseException as e:  # the harness's own failure: still leave a result behind
        import traceback

        result = {"outcome": "error", "detail": f"harness error: {type(e).__name__}: {e}", "traceback": traceback.format_exc()}
    state.enter("done")
    _write_result(argv[1], result)
    faulthandler.cancel_dump_traceback_later()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

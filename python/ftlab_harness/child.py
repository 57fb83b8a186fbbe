"""The child process that runs ONE scenario: `python -X faulthandler -m ftlab_harness.child SPEC RESULT`.

The parent (`ftlab_harness.runner`) writes a `RunSpec`, starts this module in a fresh interpreter and
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
import math
import os
import sys
import sysconfig
import threading
import time
from itertools import repeat
from operator import length_hint
from typing import Any, Callable

from ftlab_harness.api import DONE, Run, Scenario, Worker
from ftlab_harness.exitcodes import NO_WORK
from ftlab_harness.loader import BadInput, Source, find, split_target
from ftlab_harness.records import ChildEvent, RunSpec, ScenarioResult

EXIT_HANG = 3
WATCHDOG_TICK = 0.05
#: The watchdog writes a progress event every this many ticks (0.2 s).
PROGRESS_EVERY_TICKS = 4
#: How long the hang report (marker + stacks) may take before faulthandler's timer ends the child.
DUMP_LEASH = 2.0
#: A worker looks at the clock and the stop flag once per batch of steps; batches adapt to take
#: about this long (so the deadline is overshot by milliseconds, never by a batch of slow steps).
BATCH_SECONDS = 0.0005
MAX_BATCH = 4096


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
        self.t0 = time.monotonic()
        self.events: _Events | None = None

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.phase_started = time.monotonic()

    def progress(self, now: float) -> tuple[int, float]:
        """Ops and worker seconds so far (finished rounds + the running one)."""
        ops = self.partial.get("ops", 0) + sum(w.ops for w in list(self.workers) if self.phase == "workers")
        seconds = self.partial.get("seconds", 0.0) + (now - self.phase_started if self.phase == "workers" else 0.0)
        return ops, seconds


class _Events:
    """The side file (`RunSpec.events_path`): one `ChildEvent` per line, written with `os.write` on
    an O_APPEND descriptor — no Python buffer, so a segfault a microsecond later loses nothing."""

    def __init__(self, path: str | None, t0: float) -> None:
        self.t0 = t0
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if path else None
        self.emit(ChildEvent(event="start", monotonic=t0))

    def emit(self, event: ChildEvent) -> None:
        if self.fd is not None:
            try:
                os.write(self.fd, event.line())
            except OSError:
                pass

    def violation(self, invariant: str, detail: str, at: float) -> None:
        self.emit(ChildEvent(event="violation", invariant=invariant, detail=detail[:2000], at=round(at, 4)))


def _write_result(path: str, result: dict[str, Any]) -> None:
    data = dict(result)
    data.pop("_t0", None)
    data.pop("target", None)
    ScenarioResult.from_json(data).write(path)


def _stderr_line(text: str) -> None:
    """Straight to fd 2: a scenario may have replaced (or blocked) `sys.stderr`."""
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass


def _watchdog(state: _State, spec: RunSpec, result_path: str) -> None:
    hang_timeout = float(spec.hang_timeout)
    phase_timeout = float(spec.phase_timeout or max(30.0, 5 * hang_timeout))
    backup = max(2 * hang_timeout, hang_timeout + 2.0)
    last: dict[tuple[int, int], tuple[int, float]] = {}
    ticks = 0
    while state.phase != "done":
        faulthandler.dump_traceback_later(backup, exit=True, file=2)
        time.sleep(WATCHDOG_TICK)
        now = time.monotonic()
        ticks += 1
        if state.events is not None and ticks % PROGRESS_EVERY_TICKS == 0:
            ops, seconds = state.progress(now)
            state.events.emit(ChildEvent(event="progress", at=round(now - state.t0, 3), ops=ops,
                                         seconds=round(seconds, 4), rounds=state.round + 1))
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
        # The report itself may block (a stop-the-world pause waiting on a stuck thread): give it
        # a short leash instead of the long backup timer, so the verdict comes soon either way.
        faulthandler.dump_traceback_later(DUMP_LEASH, exit=True, file=2)
        partial = dict(state.partial)
        ops_now, seconds_now = state.progress(now)
        partial.update(
            outcome="timeout",
            detail=stalled,
            detector="timeout",
            ops=ops_now,
            seconds=round(seconds_now, 3),
            seconds_to_detect=round(now - state.t0, 3),
            hang=True,
        )
        try:
            _write_result(result_path, partial)
        finally:
            _stderr_line(f"\nstress: {stalled}; stacks of every thread follow\n")
            faulthandler.dump_traceback(file=2, all_threads=True)
            os._exit(EXIT_HANG)


def _resolve_target(target_spec: str) -> tuple[Any, str | None, str | None]:
    """Imports the target. Returns (obj, outcome_if_failed, detail_if_failed); no target -> None."""
    import importlib

    if not target_spec:
        return None, None, None
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


def _work(w: Worker, fn: Callable[[], object] | None, step: Callable[[Worker], object], run: Run,
          iterations: float, deadline: float) -> None:
    """One worker's loop: call the step until DONE, the iteration count, the deadline or a stop.

    The per-operation cost is the call, the `is DONE` test, a read of this worker's own stop flag
    (`w._halt`, raised by `run.stop()` and by the main thread at the deadline) and, for `step(w)`,
    the store of `w.ops` into a slot. The clock and the iteration count are looked at once per
    batch; a batch grows (x2, up to MAX_BATCH) while it takes less than BATCH_SECONDS and shrinks
    when it takes longer, so a deadline or `run.stop()` is seen within a few milliseconds however
    fast or slow the step is. A per-thread step (`fn`, returned by `thread_setup`) keeps its own
    counters, so the harness keeps the count in a local and publishes `w.ops` once per batch; if
    `thread_setup` set `w.ops_per_step = K`, each call of `fn` counts as K operations.
    """
    monotonic = time.monotonic
    halt = w._halt
    batch = 1
    ops = 0
    per = int(getattr(w, "ops_per_step", 1) or 1) if fn is not None else 1
    while True:
        left = iterations - ops
        n = batch if left > batch * per else max(1, int(-(-left // per)))
        it = repeat(None, n)
        t = monotonic()
        returned_done = False
        try:
            if fn is not None:
                for _ in it:
                    if fn() is DONE:
                        returned_done = True
                        break
                    if halt[0]:
                        break
                ops += (n - length_hint(it)) * per
                w.ops = ops
            else:
                for _ in it:
                    if step(w) is DONE:
                        w.ops += 1  # the call that returned DONE did its work too
                        returned_done = True
                        break
                    w.ops += 1
                    if halt[0]:
                        break
                ops = w.ops
        except BaseException:
            if fn is not None:
                w.ops = ops + max(0, n - length_hint(it) - 1) * per
            raise
        if returned_done:
            w.returned_done = True
            return
        now = monotonic()
        if halt[0] or ops >= iterations or now >= deadline:
            return
        took = now - t
        if took < BATCH_SECONDS and batch < MAX_BATCH:
            batch *= 2
        elif took > 4 * BATCH_SECONDS and batch > 1:
            batch //= 2


def _run_round(
    sc: Scenario,
    target: Any,
    spec: RunSpec,
    round_index: int,
    duration: float | None,
    clock: Callable[[], float],
    state: _State,
) -> Run:
    threads = int(spec.threads)
    iterations = spec.iterations or math.inf
    run = Run(
        scenario=sc,
        target=target,
        target_spec=spec.target,
        threads=threads,
        seed=int(spec.seed),
        round_index=round_index,
        free_threaded=free_threaded_build(),
        gil_enabled=gil_enabled_now(),
        clock=clock,
        stop_on_violation=bool(spec.until_violation),
    )
    if state.events is not None:
        run.violations.on_record = state.events.violation
    state.round = round_index
    state.enter("setup")
    try:
        sc.setup(run)
    except BaseException as e:
        run._error("setup", "main thread", e)
        run.seconds = 0.0
        return run
    workers = [Worker(run, i) for i in range(threads)]
    run.workers = workers
    started: dict[str, float] = {}
    # The start gate. A threading.Barrier wakes its waiters through a Condition, and on 3.13t with
    # more threads than cores a woken waiter can take hundreds of milliseconds to get the lock
    # back while the first released threads already hammer (measured: 0.15-0.27 s late starts in
    # a 0.3 s round). So the workers announce readiness, then spin (yielding) on a flag that the
    # main thread sets once all are ready: every worker is running when the gate opens.
    ready_lock = threading.Lock()
    ready = [0]
    gate = {"open": False, "abort": False}

    def body(w: Worker) -> None:
        try:
            fn = sc.thread_setup(w)
            if fn is not None and not callable(fn):
                raise TypeError(f"thread_setup returned {type(fn).__name__}; it may return None or a "
                                "zero-argument callable (this worker's step)")
        except BaseException as e:
            run._error("thread_setup", f"worker {w.index}", e)
            gate["abort"] = True
            w.done = True
            return
        with ready_lock:
            ready[0] += 1
        sleep = time.sleep
        while not gate["open"]:
            sleep(0)
        if gate["abort"]:
            w.done = True
            return
        deadline = started["t"] + duration if duration else math.inf
        try:
            _work(w, fn, sc.step, run, iterations, deadline)
        except BaseException as e:
            run._error("step", f"worker {w.index}", e)
        finally:
            w.done = True

    pool = [threading.Thread(target=body, args=(w,), name=f"stress-worker-{w.index}", daemon=True) for w in workers]
    state.workers = workers
    state.enter("workers")
    for t in pool:
        t.start()
    while ready[0] + sum(1 for w in workers if w.done) < threads and not gate["abort"]:
        time.sleep(0.0005)
    started["t"] = time.monotonic()
    if duration:
        run._deadline = started["t"] + duration
    gate["open"] = True
    if duration:
        # The deadline is enforced here, not by a clock read per step: sleep until it (or until
        # every worker left), then raise every worker's own stop flag.
        end = started["t"] + duration
        for t in pool:
            t.join(max(0.0, end - time.monotonic()))
        run.stop()
    for t in pool:
        t.join()
    run.seconds = time.monotonic() - started.get("t", time.monotonic())
    run.complete = bool(workers) and all(w.returned_done for w in workers)
    run.cut_short = not run.complete
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


def execute(spec: RunSpec, state: _State) -> dict[str, Any]:
    """Loads, guards and runs the scenario described by `spec`; returns the result fields."""
    t0 = state.t0

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
    }
    state.partial = dict(result)
    try:
        sc = find(Source(spec.source_kind, spec.source_ref), spec.scenario)
    except BadInput as e:
        result["detail"] = str(e)
        return result
    target, failed, why = _resolve_target(spec.target)
    result["gil_enabled"] = gil_enabled_now()
    if failed:
        result.update(outcome=failed, detail=why)
        return result
    absent = [name for name in sc.requires if not hasattr(target, name)]
    if absent:
        result.update(outcome="skipped", detail=f"{spec.target or 'the scenario'} has no attribute {absent[0]!r} "
                      f"(not built into the installed {split_target(spec.target)[0]}?)")
        return result
    if free_threaded and not gil_at_start and result["gil_enabled"] and not spec.allow_gil:
        result["detail"] = (
            f"GIL guard: importing the target {spec.target!r} (or the scenarios module) re-enabled the GIL "
            "on this free-threaded interpreter; fix the extension (Py_mod_gil / gil_used = false) or pass --allow-gil"
        )
        result["gil_guard"] = True
        return result
    if result["gil_enabled"]:
        sys.setswitchinterval(float(spec.switch_interval))

    duration = spec.duration
    cap = spec.cap_seconds
    until_violation = spec.until_violation
    total_ops = 0
    total_seconds = 0.0
    by_invariant: dict[str, dict[str, Any]] = {}
    notes: dict[str, Any] = {}
    violations = 0
    first_violation = None
    first_at = None
    errors: list[dict[str, str]] = []
    round_index = 0
    complete_rounds = 0
    started = clock()
    while True:
        round_duration: float | None
        if until_violation:
            round_duration = spec.round_seconds
            if cap is not None:
                round_duration = max(0.05, min(round_duration or cap, cap - (clock() - started)))
        else:
            round_duration = duration - (clock() - started) if duration and round_index else duration
        run = _run_round(sc, target, spec, round_index, round_duration, clock, state)
        round_index += 1
        complete_rounds += 1 if run.complete else 0
        round_ops = sum(w.ops for w in run.workers)
        total_ops += round_ops
        total_seconds += run.seconds
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
        if violations or errors or not round_ops:
            break
        if not until_violation:
            # Every worker returned DONE before the deadline (a finite workload, e.g. a list of
            # fresh latches): run the scenario again, fresh state, for the rest of the duration.
            remaining = (duration or 0) - (clock() - started)
            if not (duration and run.complete and remaining > 0.05):
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
        complete_rounds=complete_rounds,
        cut_short_rounds=round_index - complete_rounds,
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
    elif not total_ops:
        result.update(
            outcome="error",
            detector=NO_WORK,
            detail="no work done: no step call completed (0 ops); the scenario checked nothing",
        )
    else:
        result.update(outcome="pass", detail="")
    if free_threaded and not gil_at_start and result["gil_enabled"] and not spec.allow_gil and result["outcome"] == "pass":
        result.update(outcome="error", detail="GIL guard: the GIL was re-enabled while the scenario ran (a lazy import?)", gil_guard=True)
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m ftlab_harness.child SPEC.json RESULT.json (started by ftlab-harness)", file=sys.stderr)
        return 2
    faulthandler.enable(file=sys.stderr, all_threads=True)
    spec = RunSpec.read(argv[0])
    state = _State()
    state.events = _Events(spec.events_path, state.t0)
    threading.Thread(target=_watchdog, args=(state, spec, argv[1]), name="stress-watchdog", daemon=True).start()
    try:
        result = execute(spec, state)
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

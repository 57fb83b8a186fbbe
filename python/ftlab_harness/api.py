"""The scenario API: what a stress scenario is, and what it gets to work with while it runs.

A scenario hammers one shared object (or a few) from many threads and checks invariants while it
runs and after. It is a `Scenario` subclass (or instance) with four hooks, all optional but
`step`:

    setup(run)          once per round, in the main thread, before the threads start: build the
                        shared objects from `run.target` (the class or module under test).
    thread_setup(w)     once per worker thread, before the start barrier: per-thread state.
                        It may return a zero-argument callable: that worker's step for the round
                        (a closure over locals, or a bound method), called instead of `step(w)`
                        with no harness bookkeeping per call — the fast path (see below).
    step(w)             one operation, called in a loop by every worker thread until the round's
                        duration or `--iterations` is reached, `run.stop()` is called, or `step`
                        returns `DONE` (that call counts as an operation too). Check what you can
                        right away with `w.check(...)`.
    finish(run)         once per round, after every thread has joined: whole-run invariants
                        (totals, exactly-once delivery, ...) with `run.check(...)`. `run.complete`
                        is true when every worker returned `DONE` (its whole share of a finite
                        workload is done); `run.cut_short` when the round was ended by the
                        deadline, `--iterations` or a stop first. A check that every worker did
                        its whole share must only run when `run.complete`.

Hammer rate. The worker loop looks at the clock and the stop flag once per batch of steps, not per
step. With `step(w)` the harness keeps `w.ops` exact per call (scenarios may use it as an index).
With a per-thread step returned by `thread_setup` the loop is the call and the `DONE` test only,
and `w.ops` is published once per batch (a few milliseconds): keep your own counters in the
closure.

A scenario without a target (language features: generators, iterators) leaves `target` empty;
`run.target` is then None.

A violated invariant is recorded with `run.check(ok, "invariant_name", detail)` or
`run.violation("invariant_name", detail)`; `detail` may be a zero-argument callable, evaluated only
when the check fails, so checks on hot paths cost one comparison. An exception escaping a hook is
an `error` outcome (the scenario or the target misbehaved), not a crash of the harness.

The harness owns the threads, the start barrier, the timing, the op counts, the child process,
the hang watchdog and the report; a scenario never starts threads itself. Scenarios never import
their target at module import time: they name it (`target = "ftlab:Bank"`, `"module"` or
`"module:attr.attr"`) and use `run.target`, so the harness can swap in a broken twin
(`--target ftlab._seeded:CheckThenActBank`) and can check that importing the target did not
re-enable the GIL.

This module is stdlib-only and thread-safe where it says so; it is imported by the parent process
(to list scenarios) and by the child that runs one scenario.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Union

__all__ = ["DONE", "Run", "Scenario", "Worker"]

Detail = Union[str, Callable[[], str]]


class _Done:
    """The type of `DONE`: a worker's `step` returns it when that worker has nothing left to do."""

    _instance: _Done | None = None

    def __new__(cls) -> _Done:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ftlab_harness.DONE"


#: Returned by `Scenario.step` to end that worker's loop early (e.g. its share of work is done).
DONE = _Done()

#: How many distinct violation messages a run keeps per invariant (all are counted).
MAX_DETAILS_PER_INVARIANT = 5


class Scenario:
    """A stress scenario: shared state, a per-thread operation loop, invariant checks.

    Subclass it and override the hooks (see the module docstring). Class attributes give the
    defaults; the constructor overrides them, so one scenario class can be registered several
    times against different targets:

        class CounterTotal(Scenario):
            def setup(self, run):
                self.counter = run.target()
            def step(self, w):
                self.counter.add(1)
            def finish(self, run):
                total = sum(w.ops for w in run.workers)
                run.check(self.counter.value == total, "counter_total",
                          lambda: f"value {self.counter.value} != {total} increments")

        SCENARIOS = [
            CounterTotal("counter.atomic", target="ftlab:AtomicCounter", hunts=["lost_update"]),
            CounterTotal("counter.mutex", target="ftlab:MutexGuardedCounter"),
        ]

    Attributes:
        name: unique scenario name, `pattern` or `pattern.variant` (selected with `--scenario`).
        target: what to import: `"module"` or `"module:attr.attr"`; resolved in the child as
            `run.target`. `--target` (and `hunt`) override it with a twin of the same API.
        description: one line for `ftlab-harness list` (default: first docstring line).
        hunts: names of seeded bugs (`ftlab._seeded.BUGS`) this scenario is the detector for.
        requires: attribute names the target must have (e.g. functions of a module target); if
            one is missing the result is `skipped`, not an error.
        params: free-form keyword parameters given to the constructor (`self.params`).
    """

    name: str = ""
    target: str = ""
    description: str = ""
    hunts: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    def __init__(
        self,
        name: str | None = None,
        target: str | None = None,
        *,
        description: str | None = None,
        hunts: tuple[str, ...] | list[str] | None = None,
        requires: tuple[str, ...] | list[str] | None = None,
        **params: Any,
    ) -> None:
        if name is not None:
            self.name = name
        if target is not None:
            self.target = target
        if description is not None:
            self.description = description
        if hunts is not None:
            self.hunts = tuple(hunts)
        if requires is not None:
            self.requires = tuple(requires)
        self.params: dict[str, Any] = params
        if not self.description:
            doc = (type(self).__doc__ or "").strip()
            self.description = doc.splitlines()[0] if doc else ""
        if not self.name:
            raise ValueError(f"{type(self).__name__}: a scenario needs a name")

    def setup(self, run: Run) -> None:
        """Builds the shared state for one round from `run.target`. Main thread, before threads."""

    def thread_setup(self, worker: Worker) -> Callable[[], object] | None:
        """Prepares one worker's private state. Runs in that worker's thread, before the barrier.

        Return None (then `step(worker)` is called in the loop) or a zero-argument callable that
        is this worker's step for the round (the fast path: no `w.ops` bookkeeping per call).
        """
        return None

    def step(self, worker: Worker) -> object:
        """One operation. Return `DONE` to end this worker's loop; anything else continues."""
        raise NotImplementedError(f"scenario {self.name!r} does not define step()")

    def finish(self, run: Run) -> None:
        """Checks whole-round invariants after every worker has joined. Main thread."""

    def __repr__(self) -> str:
        return f"<Scenario {self.name} target={self.target}>"


class _Violations:
    """Thread-safe violation log: a count per invariant and the first few details of each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.by_invariant: dict[str, dict[str, Any]] = {}
        self.first: str | None = None
        self.first_at: float | None = None
        #: Called (under the lock) with each kept violation as it happens: the child appends it to
        #: its side file, so a crash right after cannot lose it.
        self.on_record: Callable[[str, str, float], None] | None = None

    def add(self, invariant: str, detail: str, at: float) -> None:
        with self._lock:
            self.count += 1
            entry = self.by_invariant.setdefault(invariant, {"count": 0, "details": []})
            entry["count"] += 1
            if len(entry["details"]) < MAX_DETAILS_PER_INVARIANT:
                entry["details"].append(detail)
                if self.on_record is not None:
                    self.on_record(invariant, detail, at)
            if self.first is None:
                self.first = invariant
                self.first_at = at


def _render(detail: Detail) -> str:
    if callable(detail):
        try:
            return str(detail())
        except Exception as e:  # a broken detail must not hide the violation itself
            return f"<detail raised {type(e).__name__}: {e}>"
    return str(detail)


class Run:
    """What a scenario sees of the current round (one per round, shared by all its workers).

    Attributes:
        scenario: the `Scenario` being run.
        target: the resolved target (class, function or module) the scenario exercises.
        target_spec: the target's import string (`"ftlab:Bank"` or a twin's).
        threads: number of worker threads.
        seed: the run's seed; `rng` is a `random.Random(seed)` for the main thread.
        round: 0 for the first round; `hunt` repeats rounds with fresh state until detection.
        workers: the `Worker` objects (complete before `thread_setup` runs).
        free_threaded: the interpreter is a free-threaded build.
        gil_enabled: the GIL is enabled right now (GIL build, or 3.13t with PYTHON_GIL=1).
        complete: (in `finish`) every worker returned `DONE`: the round's workload is all done.
        cut_short: (in `finish`) the round ended by deadline, `--iterations` or a stop before
            every worker returned `DONE`; whole-share checks must not run then.
        seconds: (in `finish`) the round's time from the barrier to the last join.
    """

    def __init__(
        self,
        scenario: Scenario,
        target: Any,
        target_spec: str,
        threads: int,
        seed: int,
        round_index: int,
        free_threaded: bool,
        gil_enabled: bool,
        clock: Callable[[], float],
        stop_on_violation: bool,
    ) -> None:
        self.scenario = scenario
        self.target = target
        self.target_spec = target_spec
        self.threads = threads
        self.seed = seed
        self.round = round_index
        self.rng = random.Random(f"{seed}/{round_index}/main")
        self.workers: list[Worker] = []
        self.free_threaded = free_threaded
        self.gil_enabled = gil_enabled
        self.violations = _Violations()
        self.errors: list[dict[str, str]] = []
        self.notes: dict[str, Any] = {}
        self._errors_lock = threading.Lock()
        self._stop = False
        self._deadline = float("inf")
        self._clock = clock
        self._stop_on_violation = stop_on_violation
        self.complete = False
        self.cut_short = False
        self.seconds = 0.0

    @property
    def params(self) -> dict[str, Any]:
        """The scenario's constructor keyword parameters."""
        return self.scenario.params

    @property
    def stopping(self) -> bool:
        """True once the round is ending: its deadline passed, `stop()` was called, an error, or a
        violation in hunt mode. A `step` that waits for other workers must give up when it is."""
        return self._stop or time.monotonic() >= self._deadline

    def stop(self) -> None:
        """Asks every worker to leave its loop after its current step. Thread-safe."""
        self._stop = True
        for w in self.workers:  # each worker polls only its own flag (nothing shared per step)
            w._halt[0] = True

    def violation(self, invariant: str, detail: Detail = "") -> None:
        """Records a violated invariant. Thread-safe; `detail` may be a callable."""
        self.violations.add(invariant, _render(detail), self._clock())
        if self._stop_on_violation:
            self.stop()

    def check(self, ok: object, invariant: str, detail: Detail = "") -> bool:
        """Records a violation of `invariant` unless `ok` is truthy; returns `bool(ok)`."""
        if ok:
            return True
        self.violation(invariant, detail)
        return False

    def note(self, name: str, value: Any) -> None:
        """Records a statistic for the report (e.g. how many borrow errors were raised).

        Not a violation. Numbers are summed over hunt rounds; other values keep the last one.
        """
        self.notes[name] = value

    def _error(self, phase: str, where: str, exc: BaseException) -> None:
        tb = traceback.extract_tb(exc.__traceback__)
        frame = tb[-1] if tb else None
        at = f" at {frame.filename}:{frame.lineno}" if frame else ""
        with self._errors_lock:
            self.errors.append(
                {
                    "phase": phase,
                    "where": where,
                    "type": type(exc).__name__,
                    "message": f"{type(exc).__name__}: {exc}{at}",
                    "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
                }
            )
        self.stop()


class Worker:
    """One worker thread's handle, passed to `thread_setup` and `step`.

    Attributes:
        index: 0 .. threads-1; use it to give threads roles (`w.index % 2`).
        rng: a `random.Random` seeded from the run's seed and `index` (reproducible op mixes).
        ops: completed `step` calls so far (maintained by the harness).
        run: the `Run` (shared state lives on the scenario or here).
    Scenarios may set any other attribute on a worker for per-thread state (e.g. `w.produced`).
    """

    # Slots for what the harness touches on every operation (a slot store is cheap and takes no
    # per-object lock on 3.13t); `__dict__` for the scenario's own per-thread state.
    __slots__ = ("run", "index", "rng", "ops", "done", "returned_done", "_halt", "__dict__")

    def __init__(self, run: Run, index: int) -> None:
        self.run = run
        self.index = index
        self.rng = random.Random(f"{run.seed}/{run.round}/{index}")
        self.ops = 0
        self.done = False
        self.returned_done = False
        #: This worker's stop flag, set by `run.stop()` and at the deadline; the loop reads it
        #: after every step (a list owned by this thread: no shared cache line per operation).
        self._halt = [False]

    if TYPE_CHECKING:  # scenarios keep any per-thread state on a worker (`w.mine = []`)
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    def violation(self, invariant: str, detail: Detail = "") -> None:
        """Records a violated invariant seen by this worker (the detail says which worker)."""
        self.run.violation(invariant, lambda: f"worker {self.index}: {_render(detail)}")

    def check(self, ok: object, invariant: str, detail: Detail = "") -> bool:
        """Records a violation of `invariant` unless `ok` is truthy; returns `bool(ok)`."""
        if ok:
            return True
        self.violation(invariant, detail)
        return False

    def __repr__(self) -> str:
        return f"<Worker {self.index} ops={self.ops}>"

"""Wake-up latency of the blocking patterns: Latch (`latch_wakeup`), WorkQueue (`queue_wakeup`)
and OnceResource (`once_wakeup`).

A lost wake-up (the state changes, the sleeper is never notified) does not hang ftlab's
bindings: they wait in bounded slices to stay interruptible (`src/py/wait.rs`), so the sleeper
just returns at the end of its slice, late, with the right result. The invariant that sees it
is a latency bound:

  during  `wakeup_latency`: a thread that was already waiting when the cause happened (the
          `set()`, the `put()`, the completed init) returns within `BOUND` seconds of it.

The cause's time is read just *before* the call that causes the wake-up, and a wait counts only
if it began before that time, so the measured latency is never shorter than the real one and a
wait that never blocked is not measured. `BOUND` (0.2 s) is generous: a correct wake-up takes
microseconds, and even on an overloaded 2-core machine a scheduling delay is a few
milliseconds. To make a lost wake-up cost far more than that, `setup` sets the bindings' wait
slice to `SLICE` (0.5 s) through the test hook `ftlab._set_wait_slice` when the target's package
has it, so a lost wake-up returns ~0.5 s late instead of up to 50 ms.

Workers run in pairs (an odd worker out returns DONE at once) and play ping-pong, so that each
side is often asleep when the other one acts. Seeded twins hunted here: `lost_wakeup_latch`,
`lost_wakeup_queue`, `lost_wakeup_once`.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any, Callable

from ftlab_harness import DONE, Run, Scenario, Worker

BOUND = 0.2
SLICE = 0.5
#: One wait attempt: longer than the slice (so a lost wake-up shows as a late return within
#: the attempt), short enough that a waiter whose partner has stopped (end of the round) gives
#: up well inside the hang watchdog's time (2 s in `hunt`).
ATTEMPT = 0.75
ROUNDS = 2000


def set_long_slice(run: Run) -> None:
    """Sets the target package's wait slice to SLICE (ftlab's test hook), noting what it did."""
    package = importlib.import_module(getattr(run.target, "__module__", "ftlab").split(".")[0])
    hook = getattr(package, "_set_wait_slice", None)
    if hook is None:
        run.note("wait_slice_unchanged", 1)  # no hook: a lost wake-up costs only the default slice
        return
    hook(SLICE)


class _LatencyScenario(Scenario):
    """Per-worker bookkeeping of measured wake-ups: how many, and the worst latency."""

    def thread_setup(self, w: Worker) -> None:
        w.k = 0
        w.measured = 0
        w.worst = 0.0

    def record(self, w: Worker, k: int, latency: float, what: str) -> None:
        """Counts one measured wake-up and checks it against BOUND."""
        w.measured += 1
        w.worst = max(w.worst, latency)
        w.check(latency < BOUND, "wakeup_latency",
                lambda: f"round {k}: returned {latency * 1000:.1f} ms after {what} (bound {BOUND * 1000:.0f} ms)")

    def finish(self, run: Run) -> None:
        run.note("waits_measured", sum(w.measured for w in run.workers))
        run.note("worst_latency_ms", round(1000 * max((w.worst for w in run.workers), default=0.0), 3))


class _PingPong(_LatencyScenario):
    """Pairs of workers take turns: one causes, the other waits; latency checked per wait."""

    def setup(self, run: Run) -> None:
        set_long_slice(run)
        self.pairs = [self.make_pair(run) for _ in range(run.threads // 2)]

    def make_pair(self, run: Run) -> Any:
        raise NotImplementedError

    def step(self, w: Worker) -> object:
        pair = w.index // 2
        if pair >= len(self.pairs) or w.k >= ROUNDS:
            return DONE
        k, pair_state = w.k, self.pairs[pair]
        w.k += 1
        # Even rounds: worker 2p causes, 2p+1 waits; odd rounds the other way round.
        if (w.index % 2) == (k % 2):
            if w.rng.random() < 0.5:
                time.sleep(0.0005)  # often let the waiter fall asleep first
            self.cause(pair_state, k)
        else:
            partner = w.run.workers[w.index ^ 1]
            began = time.monotonic()
            while not self.wait(pair_state, k):
                if partner.done or w.run.stopping:
                    return None  # the round ended before the partner's turn: nothing to measure
            returned = time.monotonic()
            caused = self.cause_time(pair_state, k)
            if caused is not None and caused > began:
                self.record(w, k, returned - caused, f"the {self.cause_name} (the waiter had been waiting "
                            f"{(caused - began) * 1000:.1f} ms before it)")
        return None

    cause_name = "cause"

    def cause(self, pair: Any, k: int) -> None:
        raise NotImplementedError

    def wait(self, pair: Any, k: int) -> bool:
        raise NotImplementedError

    def cause_time(self, pair: Any, k: int) -> float | None:
        raise NotImplementedError
    # `wait` makes one attempt of at most ATTEMPT seconds and says whether it succeeded.


class _LatchPair:
    def __init__(self, make: Callable[[], Any]) -> None:
        self.latches = [make() for _ in range(ROUNDS)]
        self.set_at: list[float | None] = [None] * ROUNDS


class LatchWakeup(_PingPong):
    """Latch: a waiter asleep in wait() returns promptly after set()."""

    cause_name = "set()"

    def make_pair(self, run: Run) -> _LatchPair:
        return _LatchPair(run.target)

    def cause(self, pair: _LatchPair, k: int) -> None:
        pair.set_at[k] = time.monotonic()
        pair.latches[k].set()

    def wait(self, pair: _LatchPair, k: int) -> bool:
        return bool(pair.latches[k].wait(timeout=ATTEMPT))

    def cause_time(self, pair: _LatchPair, k: int) -> float | None:
        return pair.set_at[k]


class _QueuePair:
    def __init__(self, make: Callable[[int], Any]) -> None:
        # One queue per direction: a worker must never get back the item it just put.
        self.queues = (make(1), make(1))
        self.put_at: list[float | None] = [None] * ROUNDS


class QueueWakeup(_PingPong):
    """WorkQueue: a consumer asleep in get() returns promptly after put()."""

    cause_name = "put()"

    def make_pair(self, run: Run) -> _QueuePair:
        return _QueuePair(run.target)

    def cause(self, pair: _QueuePair, k: int) -> None:
        pair.put_at[k] = time.monotonic()
        pair.queues[k % 2].put(k, timeout=ATTEMPT)

    def wait(self, pair: _QueuePair, k: int) -> bool:
        try:
            got = pair.queues[k % 2].get(timeout=ATTEMPT)
        except TimeoutError:
            return False
        if got != k:
            raise AssertionError(f"round {k}: get() returned {got!r}")
        return True

    def cause_time(self, pair: _QueuePair, k: int) -> float | None:
        return pair.put_at[k]


class _OncePair:
    def __init__(self, make: Callable[[Callable[[], Any]], Any]) -> None:
        self.done_at: list[float | None] = [None] * ROUNDS
        self.ran_by: list[int | None] = [None] * ROUNDS

        def init_for(k: int) -> Callable[[], Any]:
            def init() -> Any:
                time.sleep(0.001)  # long enough for the other worker to find init running
                self.ran_by[k] = threading.get_ident()
                self.done_at[k] = time.monotonic()
                return k
            return init

        self.resources = [make(init_for(k)) for k in range(ROUNDS)]


class OnceWakeup(_LatencyScenario):
    """OnceResource: a caller waiting for a running init returns promptly after it completes."""

    def setup(self, run: Run) -> None:
        set_long_slice(run)
        self.pairs = [_OncePair(run.target) for _ in range(run.threads // 2)]

    def step(self, w: Worker) -> object:
        pair = w.index // 2
        if pair >= len(self.pairs) or w.k >= ROUNDS:
            return DONE
        k, p = w.k, self.pairs[pair]
        w.k += 1
        began = time.monotonic()
        value = p.resources[k].get()
        returned = time.monotonic()
        w.check(value == k, "value", lambda: f"round {k}: get() returned {value!r}")
        done = p.done_at[k]
        # Measured only when this caller arrived while the other one's init was running.
        if done is not None and began < done and p.ran_by[k] != threading.get_ident():
            self.record(w, k, returned - done, "init completed")
        return None


SCENARIOS = [
    LatchWakeup("latch_wakeup", target="ftlab:Latch", hunts=["lost_wakeup_latch"]),
    QueueWakeup("queue_wakeup", target="ftlab:WorkQueue", hunts=["lost_wakeup_queue"]),
    OnceWakeup("once_wakeup", target="ftlab:OnceResource", hunts=["lost_wakeup_once"]),
]

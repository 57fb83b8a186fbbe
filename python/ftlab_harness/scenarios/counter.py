"""Counters (`src/py/counter.rs`): no increment is ever lost, whoever adds concurrently.

Every worker adds small positive deltas to ONE shared counter and keeps its own sum.
Invariants:
  during  `own_increments_visible`: `add` returns the new value, which must include every
          increment this thread made so far (>= start + own sum);
          `value_monotonic`: successive `.value` reads by one thread never go down (deltas are
          positive);
  after   `counter_total`: the final value is start + the sum of every thread's deltas.
Seeded twins hunted here: `lost_update` (atomic load + store instead of one RMW),
`unsafe_shared_mut` (`&mut` state shared through an `UnsafeCell` behind a frozen class) and
`non_unique_thread_slot` (`PerThreadCounter`'s single-writer slots shared by two threads).
`racy_statistics` is hunted here too, and must NOT be detected: its data race (an unsynchronised
`calls` statistic) breaks no invariant; only the TSan lane (`ci/tsan`) reports it.
"""

from __future__ import annotations

from typing import Callable

from ftlab_harness import Run, Scenario, Worker

START = 1000
#: `add` calls per call of a worker's step (its `.value` is read once per batch).
BATCH = 32


class CounterTotal(Scenario):
    """Shared counter: every add lands, add's return value includes this thread's adds."""

    def setup(self, run: Run) -> None:
        self.sharded = self.params.get("sharded", False)
        self.counter = run.target() if self.sharded else run.target(START)
        self.start = 0 if self.sharded else START
        self.checks_return = self.params.get("checks_return", True)

    def thread_setup(self, w: Worker) -> Callable[[], None]:
        # The per-thread step (the harness's fast path): one call makes BATCH `add` calls in a
        # plain loop over this thread's deltas, and everything it touches is a local of this
        # closure (the bound `add`, the deltas, the running floor). So an `add` costs the call and
        # its check, not a Python function call of the harness. `w.ops_per_step` tells the
        # harness that each call is BATCH operations.
        deltas = [w.rng.randint(1, 3) for _ in range(BATCH)]
        counter = self.counter
        add = counter.add
        start = self.start
        floor = start  # start + every delta this thread added: add() must return >= floor
        last = start

        def step_checked() -> None:
            nonlocal floor, last
            for delta in deltas:
                returned = add(delta)
                floor += delta
                if returned < floor:
                    w.violation("own_increments_visible",
                                f"add({delta}) returned {returned}, but this thread alone has added "
                                f"{floor - start} to start {start}")
            value = counter.value
            if value < last:
                w.violation("value_monotonic", f".value went down from {last} to {value}")
            last = value

        def step_unchecked() -> None:  # sharded: add() returns nothing to check
            nonlocal floor, last
            for delta in deltas:
                add(delta)
            floor += total
            value = counter.value
            if value < last:
                w.violation("value_monotonic", f".value went down from {last} to {value}")
            last = value

        total = sum(deltas)
        w.ops_per_step = BATCH
        w.added = lambda: floor - start
        return step_checked if self.checks_return else step_unchecked

    def finish(self, run: Run) -> None:
        expected = self.start + sum(w.added() for w in run.workers)
        value = self.counter.value
        run.check(
            value == expected,
            "counter_total",
            lambda: f"final value {value} != {expected} (start {self.start} + every thread's adds): "
            f"{expected - value} increments lost",
        )


SCENARIOS = [
    CounterTotal("counter.mutex", target="ftlab:MutexGuardedCounter",
                  hunts=["unsafe_shared_mut", "racy_statistics"]),
    CounterTotal("counter.atomic", target="ftlab:AtomicCounter", hunts=["lost_update"]),
    CounterTotal("counter.sharded", target="ftlab:ShardedCounter", sharded=True, checks_return=False),
    # `sharded=True`: constructed without a start value; `add` returns None (the total is a merge).
    CounterTotal("counter.per_thread", target="ftlab:PerThreadCounter", sharded=True, checks_return=False,
                 hunts=["non_unique_thread_slot"]),
]

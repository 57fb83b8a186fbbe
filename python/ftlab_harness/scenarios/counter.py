"""Counters (`src/py/counter.rs`): no increment is ever lost, whoever adds concurrently.

Every worker adds small positive deltas to ONE shared counter and keeps its own sum.
Invariants:
  during  `own_increments_visible`: `add` returns the new value, which must include every
          increment this thread made so far (>= start + own sum);
          `value_monotonic`: successive `.value` reads by one thread never go down (deltas are
          positive);
  after   `counter_total`: the final value is start + the sum of every thread's deltas.
Seeded twins hunted here: `lost_update` (atomic load + store instead of one RMW) and
`unsafe_shared_mut` (`&mut` state shared through an `UnsafeCell` behind a frozen class).
"""

from __future__ import annotations

from ftlab_harness import Run, Scenario, Worker

START = 1000


class CounterTotal(Scenario):
    """Shared counter: every add lands, add's return value includes this thread's adds."""

    def setup(self, run: Run) -> None:
        self.sharded = self.params.get("sharded", False)
        self.counter = run.target() if self.sharded else run.target(START)
        self.start = 0 if self.sharded else START
        self.checks_return = self.params.get("checks_return", True)

    def thread_setup(self, w: Worker) -> None:
        w.deltas = [w.rng.randint(1, 3) for _ in range(64)]
        w.sum = 0
        w.last_value = self.start

    def step(self, w: Worker) -> None:
        delta = w.deltas[w.ops & 63]
        returned = self.counter.add(delta)
        w.sum += delta
        if self.checks_return and returned < self.start + w.sum:
            w.violation(
                "own_increments_visible",
                f"add({delta}) returned {returned}, but this thread alone has added {w.sum} to start {self.start}",
            )
        if w.ops & 15 == 0:
            value = self.counter.value
            if value < w.last_value:
                w.violation("value_monotonic", f".value went down from {w.last_value} to {value}")
            w.last_value = value

    def finish(self, run: Run) -> None:
        expected = self.start + sum(w.sum for w in run.workers)
        value = self.counter.value
        run.check(
            value == expected,
            "counter_total",
            lambda: f"final value {value} != {expected} (start {self.start} + every thread's adds): "
            f"{expected - value} increments lost",
        )


SCENARIOS = [
    CounterTotal("counter.mutex", target="ftlab:MutexGuardedCounter", hunts=["unsafe_shared_mut"]),
    CounterTotal("counter.atomic", target="ftlab:AtomicCounter", hunts=["lost_update"]),
    CounterTotal("counter.sharded", target="ftlab:ShardedCounter", sharded=True, checks_return=False),
]

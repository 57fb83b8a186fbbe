"""EventBus (`src/py/event_bus.rs`): listeners guarded by the object's critical section.

Every worker owns one event (`own/<index>`) whose listeners only it changes, and keeps the list
it expects; all workers also emit a shared event `ping` whose listener uses the bus from inside
`emit` (subscribes and unsubscribes a scratch listener, reads `len`), and some of its steps run a
young-generation garbage collection inside a listener (a stop-the-world pause on 3.13t).
Invariants:
  during  `own_listeners_exact`: `listeners(own event)` is exactly this worker's list, in order;
          `emit_calls_each_once`: emitting the own event calls each own listener exactly once
          and returns their number;
  after   `subscriptions_total`: `len(bus)` is the sum of the workers' own lists plus the
          permanent `ping` listeners (every scratch subscription was removed again).
Seeded twin hunted here: `mutex_across_callback` (listeners run under a Rust mutex): the
listener that uses the bus deadlocks its own thread, and the others block on the mutex while
attached; the hang watchdog reports it.
"""

from __future__ import annotations

import gc

from ftlab_harness import Run, Scenario, Worker


class EventBusListeners(Scenario):
    """EventBus: per-worker listener lists stay exact while listeners use the bus mid-emit."""

    def setup(self, run: Run) -> None:
        self.bus = bus = run.target()

        def scratch() -> None:
            pass

        def uses_the_bus() -> None:
            bus.subscribe("scratch", scratch)
            len(bus)
            bus.unsubscribe("scratch", scratch)

        bus.subscribe("ping", uses_the_bus)
        self.permanent = 1

    def thread_setup(self, w: Worker) -> None:
        w.event = f"own/{w.index}"
        w.mine = []
        w.calls = []
        w.next_id = 0

    def step(self, w: Worker) -> None:
        r = w.rng.random()
        if r < 0.3 or not w.mine:
            w.next_id += 1

            def listener(n: int = w.next_id) -> None:  # a distinct object per subscription
                w.calls.append(n)

            self.bus.subscribe(w.event, listener)
            w.mine.append(listener)
        elif r < 0.5:
            listener = w.mine.pop(w.rng.randrange(len(w.mine)))
            w.check(self.bus.unsubscribe(w.event, listener), "own_listeners_exact",
                    "unsubscribe did not find this worker's own listener")
        elif r < 0.7:
            got = self.bus.listeners(w.event)
            w.check(len(got) == len(w.mine) and all(a is b for a, b in zip(got, w.mine)),
                    "own_listeners_exact", lambda: f"listeners() has {len(got)}, expected {len(w.mine)}")
        elif r < 0.9:
            w.calls.clear()
            called = self.bus.emit(w.event)
            w.check(called == len(w.mine) and sorted(w.calls) == sorted(set(w.calls))
                    and len(w.calls) == len(w.mine), "emit_calls_each_once",
                    lambda: f"emit returned {called}, listeners ran {len(w.calls)} times, expected {len(w.mine)}")
        elif r < 0.98:
            self.bus.emit("ping")
        else:
            def collect() -> None:  # a distinct object to unsubscribe
                gc.collect(0)

            self.bus.subscribe("gc", collect)
            self.bus.emit("gc")
            self.bus.unsubscribe("gc", collect)

    def finish(self, run: Run) -> None:
        expected = self.permanent + sum(len(w.mine) for w in run.workers)
        total = len(self.bus)
        run.check(total == expected, "subscriptions_total",
                  lambda: f"len(bus) = {total}, expected {expected} (events: {self.bus.events()})")


SCENARIOS = [EventBusListeners("event_bus", target="ftlab:EventBus", hunts=["mutex_across_callback"])]

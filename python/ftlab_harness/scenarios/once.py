"""OnceResource (`src/py/once.rs`): `init` runs exactly once, everyone gets its result.

Workers walk the same list of fresh resources. `init` does a little work before returning (a
short spin), so the first thread to reach a resource is slowed down and the others catch up with
it: every resource sees several threads calling `get()` at once.
Invariants:
  during  `initialized_after_get`: after `get()` returns, `is_initialized` is true;
  after   `init_ran_once`: each resource's `init` ran exactly once (counted by `init` itself);
          `same_value_for_everyone`: every thread got the identical object (`is`);
          `init_count_one`: the resource's own `init_count` is 1.
Seeded twin hunted here: `double_once_init` (check-then-init without a lock).
"""

from __future__ import annotations

import threading

from ftlab_harness import DONE, Run, Scenario, Worker


class InitExactlyOnce(Scenario):
    """OnceResource: racing get() calls run init once and share its result."""

    def setup(self, run: Run) -> None:
        n = self.params.get("resources", 20000)
        self.calls = [0] * n
        lock = threading.Lock()
        calls = self.calls

        def make_init(i: int):
            def init() -> object:
                for _ in range(30):  # widen the window in which a racy twin double-inits
                    pass
                with lock:
                    calls[i] += 1
                return ("value", i, object())

            return init

        self.resources = [run.target(make_init(i)) for i in range(n)]

    def thread_setup(self, w: Worker) -> None:
        w.seen = []

    def step(self, w: Worker) -> object:
        i = len(w.seen)
        if i >= len(self.resources):
            return DONE
        resource = self.resources[i]
        value = resource.get()
        w.seen.append(value)
        w.check(resource.is_initialized, "initialized_after_get", lambda: f"resource {i}: is_initialized False after get()")
        return None

    def finish(self, run: Run) -> None:
        done = max(len(w.seen) for w in run.workers)
        for i in range(done):
            values = [w.seen[i] for w in run.workers if len(w.seen) > i]
            run.check(all(v is values[0] for v in values), "same_value_for_everyone",
                      lambda: f"resource {i}: get() returned {len({id(v) for v in values})} different objects")
            run.check(self.calls[i] == 1, "init_ran_once", lambda: f"resource {i}: init ran {self.calls[i]} times")
            count = self.resources[i].init_count
            run.check(count == 1, "init_count_one", lambda: f"resource {i}: init_count = {count}")


SCENARIOS = [InitExactlyOnce("once_resource", target="ftlab:OnceResource", hunts=["double_once_init"])]

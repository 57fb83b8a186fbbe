"""Latch (`src/py/latch.rs`): set exactly once, and nobody waiting on it sleeps through the set.

Workers walk the same list of fresh latches in lockstep. Latch i has an owner (worker
i % threads) that always calls `set()`; every other worker either races it with `set()` or
`wait()`s for it (with a short timeout, re-waiting until the owner has either set it or left).
Waiters pace the walk, so the racing `set()` calls really collide.
Invariants:
  during  `set_visible`: after `set()` returns, `is_set` is true;
          `wait_implies_set`: a `wait()` that returned True saw a set latch;
  after   `set_once`: exactly one `set()` call returned True for each latch that was set.
"""

from __future__ import annotations

from stress import DONE, Run, Scenario, Worker


class LatchSetOnce(Scenario):
    """Latch: exactly one set() wins, waiters wake up."""

    def setup(self, run: Run) -> None:
        self.latches = [run.target() for _ in range(self.params.get("latches", 5000))]

    def thread_setup(self, w: Worker) -> None:
        w.i = 0
        w.wins: list[int] = []
        w.waited = 0

    def step(self, w: Worker) -> object:
        if w.i >= len(self.latches):
            return DONE
        latch = self.latches[w.i]
        owner = w.i % w.run.threads
        if w.index == owner or w.rng.random() < 0.5:
            if latch.set():
                w.wins.append(w.i)
            w.check(latch.is_set, "set_visible", lambda: f"latch {w.i}: set() returned but is_set is False")
        else:
            owner_worker = w.run.workers[owner]
            while not latch.wait(timeout=0.02):
                if owner_worker.done or w.run.stopping:
                    break
            else:
                w.waited += 1
                w.check(latch.is_set, "wait_implies_set", lambda: f"latch {w.i}: wait() returned True, is_set False")
        w.i += 1
        return None

    def finish(self, run: Run) -> None:
        wins: dict[int, list[int]] = {}
        for w in run.workers:
            for i in w.wins:
                wins.setdefault(i, []).append(w.index)
        for i, winners in wins.items():
            run.check(len(winners) == 1, "set_once", lambda: f"latch {i}: set() returned True in workers {winners}")
        for i, latch in enumerate(self.latches[: min(w.i for w in run.workers)]):
            if latch.is_set:
                run.check(i in wins, "set_once", lambda: f"latch {i} is set but no set() call returned True")
        run.note("wakeups", sum(w.waited for w in run.workers))


SCENARIOS = [LatchSetOnce("latch", target="ftlab:Latch")]

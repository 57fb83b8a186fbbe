"""One-shot primitives (`src/py/latch.rs`): Latch and PublishSlot.

`latch` — Latch: set exactly once, and nobody waiting on it sleeps through the set.

Workers walk the same list of fresh latches in lockstep. Latch i has an owner (worker
i % threads) that always calls `set()`; every other worker either races it with `set()` or
`wait()`s for it (with a short timeout, re-waiting until the owner has either set it or left).
Waiters pace the walk, so the racing `set()` calls really collide.
Latch invariants:
  during  `set_visible`: after `set()` returns, `is_set` is true;
          `wait_implies_set`: a `wait()` that returned True saw a set latch;
  after   `set_once`: exactly one `set()` call returned True for each latch that was set.

`publish_slot` — PublishSlot: a reader that sees the value sees all of it.

Workers walk the same list of fresh slots in lockstep. Slot i has a publisher (worker
i % threads), and every fourth slot a second one ((i+1) % threads) racing it to `publish` a
different payload; everyone else spins on `try_get()` until it returns a value (or the
publishers have left). Payloads are long (256
ints) so a slot that raises its "published" flag before the payload is complete leaves a wide
window to see it torn; readers spin in a tight loop.
PublishSlot invariants:
  during  `complete_publication`: `try_get()` returns None or exactly one publisher's payload;
          `published_value_stable`: once seen, the value never changes;
          `second_publish_rejected`: `publish` raises ValueError only when the other publisher
          claimed the slot: its value appears within moments;
  after   `single_assignment`: exactly one `publish` succeeded per slot, and the slot holds the
          winner's payload.
Seeded twin hunted here: `relaxed_publication`.
"""

from __future__ import annotations

import time

from ftlab_harness import DONE, Run, Scenario, Worker


class LatchSetOnce(Scenario):
    """Latch: exactly one set() wins, waiters wake up."""

    def setup(self, run: Run) -> None:
        self.latches = [run.target() for _ in range(self.params.get("latches", 5000))]

    def thread_setup(self, w: Worker) -> None:
        w.i = 0
        w.wins = []
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



LENGTH = 256


def payload(i: int, who: int) -> list[int]:
    base = (i * 2 + who) * LENGTH
    return list(range(base, base + LENGTH))


class PublishOnce(Scenario):
    """PublishSlot: single assignment, readers never see a partial payload."""

    def setup(self, run: Run) -> None:
        self.slots = [run.target() for _ in range(self.params.get("slots", 3000))]

    def thread_setup(self, w: Worker) -> None:
        w.i = 0
        w.won = []

    def step(self, w: Worker) -> object:
        if w.i >= len(self.slots):
            return DONE
        i = w.i
        slot = self.slots[i]
        n = w.run.threads
        publishers = {i % n: 0, (i + 1) % n: 1} if i % 4 == 0 else {i % n: 0}
        if w.index in publishers:
            try:
                slot.publish(payload(i, publishers[w.index]))
                w.won.append(i)
            except ValueError:
                # The slot was claimed by the other publisher, which may still be writing: its
                # value must appear within moments (2 s is generous on any machine).
                give_up = time.monotonic() + 2.0
                while slot.try_get() is None and time.monotonic() < give_up:
                    pass
                w.check(slot.try_get() is not None, "second_publish_rejected",
                        lambda: f"slot {i}: publish raised ValueError, but no value appeared within 2 s")
        else:
            others = [w.run.workers[p] for p in publishers]
            try_get = slot.try_get
            got = None
            while got is None:
                for _ in range(256):  # a tight loop: the torn window is a few hundred nanoseconds
                    got = try_get()
                    if got is not None:
                        break
                if got is None and (all(p.done for p in others) or w.run.stopping):
                    break
            if got is not None:
                ok = any(got == payload(i, who) for who in publishers.values())
                if not w.check(ok, "complete_publication",
                               lambda: f"slot {i}: try_get() returned {len(got)} items, first {got[:4]}, "
                               f"last {got[-4:]}: not a published payload"):
                    w.i += 1
                    return None
                again = slot.try_get()
                w.check(again == got, "published_value_stable", lambda: f"slot {i}: value changed after publication")
        w.i += 1
        return None

    def finish(self, run: Run) -> None:
        won: dict[int, list[int]] = {}
        for w in run.workers:
            for i in w.won:
                won.setdefault(i, []).append(w.index)
        for i, winners in won.items():
            run.check(len(winners) == 1, "single_assignment", lambda: f"slot {i}: publish succeeded in workers {winners}")
            got = self.slots[i].try_get()
            n = run.threads
            expected = payload(i, {i % n: 0, (i + 1) % n: 1}[winners[0]] if i % 4 == 0 else 0)
            run.check(got == expected, "single_assignment", lambda: f"slot {i} holds {got and got[:3]}..., "
                      f"not the payload of its publisher {winners[0]}")


SCENARIOS = [
    LatchSetOnce("latch", target="ftlab:Latch"),
    PublishOnce("publish_slot", target="ftlab:PublishSlot", hunts=["relaxed_publication"]),
]

"""Registry (`src/py/registry.rs`): a multi-key update is seen whole or not at all.

Writers (even workers) `update_many` a group of keys, all to the same generation tag
`(writer, seq)`; readers (odd workers) read the group with `get_many` (one read lock) and with
`snapshot()`. Every worker also owns one key it `set`s and reads back.
Invariants:
  during  `multi_key_update_atomic`: one `get_many` never mixes generations;
          `snapshot_consistent`: neither does a `snapshot()`;
          `no_stale_read`: a reader never sees a writer's older generation after a newer one;
          `read_own_write`: `get` returns what this thread last `set` on its own key;
  after   `final_is_a_last_write`: the group holds one writer's LAST update;
          `len_matches_snapshot`.
Seeded twin hunted here: `torn_multi_key_update` (one lock acquisition per key).
"""

from __future__ import annotations

from typing import Any, Callable

from ftlab_harness import Run, Scenario, Worker

GROUP = [f"group/{i}" for i in range(8)]
MISSING = object()


def start_worker(w: Worker) -> None:
    """The worker state of this scenario and of SnapshotMap's (`scenarios/snapshot.py`): its own
    key, whether it writes the group, the seq of its last group write, the newest seq seen per writer."""
    w.own_key = f"own/{w.index}"
    w.seq = 0
    w.last_seen = {}
    w.writer = w.index % 2 == 0 or w.run.threads == 1


def write_own_key(w: Worker, target: Any) -> None:
    """`set`s the worker's own key to its op count and reads it back: `read_own_write`."""
    target.set(w.own_key, w.ops)
    got = target.get(w.own_key, MISSING)
    w.check(got == w.ops, "read_own_write", lambda: f"set({w.own_key!r}, {w.ops}) then get -> {got!r}")


def write_group(w: Worker, update: Callable[[dict], Any]) -> None:
    """One multi-key write: every `GROUP` key to this writer's next generation tag `(writer, seq)`."""
    w.seq += 1
    update({k: (w.index, w.seq) for k in GROUP})


def check_snapshot(w: Worker, snap: Any) -> None:
    """A whole-map copy (a dict, a FrozenMap) holds one generation of the group: `snapshot_consistent`."""
    check_group(w, [snap.get(k) for k in GROUP], "snapshot_consistent")


def check_group(w: Worker, values: list, invariant: str) -> None:
    """One read of the `GROUP` keys: all one generation (else `invariant`), none older than seen.

    Shared with the SnapshotMap scenario (`scenarios/snapshot.py`), whose readers check the
    same two invariants. `w.last_seen` maps a writer to the newest seq this worker saw.
    """
    first = values[0]
    if any(v != first for v in values):
        w.violation(invariant, lambda: f"mixed generations in one read: {values}")
        return
    writer, seq = first
    if seq < w.last_seen.get(writer, -1):
        w.violation("no_stale_read", f"saw writer {writer}'s seq {seq} after its seq {w.last_seen[writer]}")
    w.last_seen[writer] = seq


class RegistryMultiKey(Scenario):
    """Registry: update_many is all-or-nothing for get_many and snapshot readers."""

    def setup(self, run: Run) -> None:
        self.registry = run.target()
        self.registry.update_many({k: (-1, 0) for k in GROUP})

    def thread_setup(self, w: Worker) -> None:
        start_worker(w)

    def step(self, w: Worker) -> None:
        r = w.rng.random()
        if r < 0.05:
            write_own_key(w, self.registry)
        elif w.writer:
            write_group(w, self.registry.update_many)
        elif r < 0.9:
            check_group(w, self.registry.get_many(GROUP), "multi_key_update_atomic")
        else:
            check_snapshot(w, self.registry.snapshot())

    def finish(self, run: Run) -> None:
        values = self.registry.get_many(GROUP)
        run.check(len(set(values)) == 1, "multi_key_update_atomic", lambda: f"final group {values}")
        writer, seq = values[0]
        last = {w.index: w.seq for w in run.workers if w.writer}
        ok = (writer == -1 and all(s == 0 for s in last.values())) or last.get(writer) == seq
        run.check(ok, "final_is_a_last_write",
                  lambda: f"group holds writer {writer}'s seq {seq}; the writers' last updates were {last}")
        snap = self.registry.snapshot()
        run.check(len(self.registry) == len(snap), "len_matches_snapshot",
                  lambda: f"len() = {len(self.registry)}, snapshot has {len(snap)} keys")
        run.check(self.registry.get("never/set", MISSING) is MISSING, "get_default",
                  "get() of a missing key did not return the default")


SCENARIOS = [RegistryMultiKey("registry", target="ftlab:Registry", hunts=["torn_multi_key_update"])]

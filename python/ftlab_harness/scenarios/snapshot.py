"""SnapshotMap (`src/py/snapshot.rs`): lock-free readers see whole snapshots; writers lose nothing.

Writers (even workers) `update` a group of keys, all to the same generation tag
`(writer, seq)`, in one new snapshot; readers (odd workers) read the group with `get_many` and
with `current()` (a frozen snapshot). Every worker also owns keys it `set`s and reads back, and
all of them contend for one more key, which they `set` (a new object each time) and `remove`.
Invariants:
  during  `multi_key_update_atomic`: one `get_many` never mixes generations;
          `snapshot_consistent`: neither does a `current()` snapshot;
          `no_stale_read`: a reader never sees a writer's older generation after a newer one;
          `read_own_write`: `get` returns what this thread last `set` on its own key;
  after   `no_lost_write`: every worker's own key holds its last `set`, and `version` counts
          every write that changed the map (no fewer);
          `version_counts_changes`: and no more — a `remove` that returned False changed nothing,
          so it must not have published a version.
Seeded twins hunted here: `lost_snapshot_update` (writers not serialised: of two concurrent
writes one is lost) and `lost_race_publishes` (issue 24: a `remove` that lost its race to
another remover of the contended key still publishes a version).
"""

from __future__ import annotations

from ftlab_harness import Run, Scenario, Worker
from ftlab_harness.scenarios.registry import GROUP, MISSING, check_group, check_snapshot, start_worker, write_group, write_own_key

#: The key every worker `set`s and `remove`s: racing removes of it are issue 24's race.
CONTENDED = "contended"


class SnapshotReadMostly(Scenario):
    """SnapshotMap: whole snapshots for readers, no lost writes among concurrent writers."""

    def setup(self, run: Run) -> None:
        self.map = run.target({k: (-1, 0) for k in GROUP})
        self.start_version = self.map.version

    def thread_setup(self, w: Worker) -> None:
        start_worker(w)
        w.writes = 0
        w.last_set = MISSING

    def step(self, w: Worker) -> None:
        r = w.rng.random()
        if r < 0.2:
            write_own_key(w, self.map)
            w.writes += 1
            w.last_set = w.ops
        elif w.writer and r < 0.4:
            write_group(w, self.map.update)
            w.writes += 1
        elif r < 0.5:
            if w.rng.random() < 0.3:
                self.map.set(CONTENDED, (w.index, w.ops))  # a new object: always a change
                w.writes += 1
            elif self.map.remove(CONTENDED):  # a remove that returns False changes nothing
                w.writes += 1
        elif r < 0.85:
            check_group(w, self.map.get_many(GROUP), "multi_key_update_atomic")
        else:
            check_snapshot(w, self.map.current())

    def finish(self, run: Run) -> None:
        lost = [w.index for w in run.workers if w.last_set is not MISSING
                and self.map.get(w.own_key, MISSING) != w.last_set]
        run.check(not lost, "no_lost_write", lambda: f"workers {lost}: own key does not hold their last set")
        writes = sum(w.writes for w in run.workers)
        version = self.map.version - self.start_version
        run.check(version >= writes, "no_lost_write",
                  lambda: f"version advanced by {version}, but {writes} writes changed the map ({writes - version} lost)")
        run.check(version <= writes, "version_counts_changes",
                  lambda: f"version advanced by {version}, but only {writes} writes changed the map "
                  f"({version - writes} published by writes that changed nothing)")


SCENARIOS = [SnapshotReadMostly("snapshot", target="ftlab:SnapshotMap", hunts=["lost_snapshot_update", "lost_race_publishes"])]

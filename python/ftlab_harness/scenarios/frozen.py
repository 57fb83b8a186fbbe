"""Frozen values (`src/py/frozen.rs`): Point and FrozenMap, shared by every thread, never change.

`point` — a handful of shared Points are used by every worker as values and as dict keys.
Invariants (all during the run):
  `value_stable`: `x`/`y` keep their construction values;
  `hash_stable`, `equality`: hash and == agree with a freshly built equal point, and the shared
        points still work as dict keys;
  `attributes_read_only`: assigning `x` raises (AttributeError or TypeError) and changes nothing;
  `pickle_roundtrip`: `pickle.loads(pickle.dumps(p)) == p`.

`frozen_map` — the checks every persistent map gets (`ftlab_harness/persistent.py`): deriving versions
with `set`/`remove`/`merge` never changes an older version (the shared base, the worker's
previous one, versions published by other threads) and gives exactly the expected contents.
FrozenMap adds `handle()`: a new Python object over the same Arc'd data, which must equal its
origin (`handle_shares_data`).
"""

from __future__ import annotations

import pickle
from typing import Any

from ftlab_harness import Run, Scenario, Worker
from ftlab_harness.persistent import PersistentMapSharing


class PointSharing(Scenario):
    """Point shared by all threads: values, hash and equality never change; writes are refused."""

    def setup(self, run: Run) -> None:
        self.coords = [(float(i), float(-2 * i) + 0.5) for i in range(32)]
        self.points = [run.target(x, y) for x, y in self.coords]
        self.hashes = [hash(p) for p in self.points]
        self.index = {p: i for i, p in enumerate(self.points)}

    def step(self, w: Worker) -> None:
        i = w.rng.randrange(len(self.points))
        p, (x, y) = self.points[i], self.coords[i]
        w.check(p.x == x and p.y == y, "value_stable", lambda: f"point {i} is ({p.x}, {p.y}), was ({x}, {y})")
        kind = w.ops & 31
        if kind < 8:
            w.check(hash(p) == self.hashes[i], "hash_stable", lambda: f"hash of point {i} changed")
            twin = w.run.target(x, y)
            w.check(twin == p and hash(twin) == hash(p) and self.index.get(twin) == i, "equality",
                    lambda: f"Point({x}, {y}) != shared point {i} (or its hash/dict lookup differs)")
        elif kind == 8:
            try:
                p.x = x + 1.0
            except (AttributeError, TypeError):
                pass
            else:
                w.violation("attributes_read_only", f"assigning point {i}.x succeeded")
            w.check(p.x == x, "attributes_read_only", lambda: f"point {i}.x is now {p.x}")
        elif kind == 9:
            copy = pickle.loads(pickle.dumps(p))
            w.check(copy == p, "pickle_roundtrip", lambda: f"pickle round trip of point {i} gave {copy!r}")


class FrozenMapSharing(PersistentMapSharing):
    """FrozenMap shared by all threads: old versions never change, derived ones are right."""

    def make(self, run: Run, items: dict[str, Any]) -> Any:
        return run.target(items)

    def with_item(self, m: Any, key: str, value: Any) -> Any:
        return m.set(key, value)

    def without(self, m: Any, key: str) -> Any:
        return m.remove(key)

    def merged(self, m: Any, other: Any) -> Any:
        return m.merge(other)

    def step(self, w: Worker) -> None:
        if w.ops % 97 == 0:
            handle = self.base.handle()
            w.check(handle == self.base and len(handle) == len(self.base_items), "handle_shares_data",
                    lambda: f"handle() != its map (len {len(handle)} vs {len(self.base_items)})")
            return
        super().step(w)


SCENARIOS = [
    PointSharing("point", target="ftlab:Point"),
    FrozenMapSharing("frozen_map", target="ftlab:FrozenMap"),
]

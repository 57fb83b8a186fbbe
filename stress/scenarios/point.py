"""Point (`src/py/point.rs`): a frozen value object read, hashed and pickled by every thread.

A handful of shared points are used by every worker as values and as dict keys.
Invariants (all during the run):
  `value_stable`: `x`/`y` keep their construction values;
  `hash_stable`, `equality`: hash and == agree with a freshly built equal point, and the shared
        points still work as dict keys;
  `attributes_read_only`: assigning `x` raises (AttributeError or TypeError) and changes nothing;
  `pickle_roundtrip`: `pickle.loads(pickle.dumps(p)) == p`.
"""

from __future__ import annotations

import pickle

from stress import Run, Scenario, Worker


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


SCENARIOS = [PointSharing("point", target="ftlab:Point")]

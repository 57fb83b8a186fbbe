"""A reusable scenario for persistent (immutable, structure-sharing) maps, part of the public API.

ftlab's FrozenMap and rpds-py's HashTrieMap both use it; a user with another persistent map
subclasses `PersistentMapSharing` and says how to build a map and derive versions (`make`,
`with_item`, `without`, optionally `merged`).

One base map is shared by every worker; each worker also grows its own chain of versions derived
from it and publishes some versions (with the contents they must have) on a shared board, where
other workers check them. A "persistent" map that mutates in place, or whose versions share
state unsafely across threads, breaks one of:
  `old_version_unchanged`: deriving a new version never changes the one it came from (the shared
        base, checked on every derive, and the worker's previous version);
  `derived_version_correct`: a derived version has exactly the expected contents;
  `shared_version_stable`: a version published by another thread still has the contents it was
        published with;
  after: the base still equals its initial contents.
"""

from __future__ import annotations

from typing import Any

from ftlab_harness import Run, Scenario, Worker

BASE_SIZE = 64


class PersistentMapSharing(Scenario):
    """Persistent map shared by all threads: old versions never change, new ones are right."""

    #: subclasses say how to build a map from a dict and how to derive new versions
    def make(self, run: Run, items: dict[str, Any]) -> Any:
        raise NotImplementedError

    def with_item(self, m: Any, key: str, value: Any) -> Any:
        raise NotImplementedError

    def without(self, m: Any, key: str) -> Any:
        raise NotImplementedError

    def merged(self, m: Any, other: Any) -> Any | None:
        """`m` merged with `other` (other's values win), or None if the type has no merge."""
        return None

    def contents(self, m: Any) -> dict[str, Any]:
        return dict(m.items())

    def setup(self, run: Run) -> None:
        self.base_items = {f"k{i}": i for i in range(BASE_SIZE)}
        self.base = self.make(run, dict(self.base_items))
        self.board: list[Any] = [None] * run.threads

    def thread_setup(self, w: Worker) -> None:
        w.cur = self.base
        w.expected = dict(self.base_items)

    def _check_base_key(self, w: Worker, key: str) -> None:
        got = self.base.get(key)
        want = self.base_items.get(key)
        w.check(got == want, "old_version_unchanged", lambda: f"shared base[{key!r}] is {got!r}, was {want!r}")

    def step(self, w: Worker) -> None:
        op = w.rng.random()
        key = f"k{w.rng.randrange(BASE_SIZE + 16)}"
        if op < 0.3:  # derive from the shared base
            value = (w.index, w.ops)
            derived = self.with_item(self.base, key, value)
            size = len(self.base_items) + (key not in self.base_items)
            w.check(derived.get(key) == value and len(derived) == size, "derived_version_correct",
                    lambda: f"base.set({key!r}) -> [{key!r}]={derived.get(key)!r}, len {len(derived)} (want {value}, {size})")
            self._check_base_key(w, key)
            w.check(len(self.base) == len(self.base_items), "old_version_unchanged",
                    lambda: f"len(shared base) = {len(self.base)}, was {len(self.base_items)}")
        elif op < 0.6:  # extend this worker's own chain; the previous version must not move
            previous, before = w.cur, w.expected.get(key)
            if key in w.expected and w.rng.random() < 0.4:
                w.cur = self.without(w.cur, key)
                del w.expected[key]
            else:
                w.cur = self.with_item(w.cur, key, (w.index, w.ops))
                w.expected[key] = (w.index, w.ops)
            w.check(previous.get(key) == before, "old_version_unchanged",
                    lambda: f"previous version's [{key!r}] changed from {before!r} to {previous.get(key)!r}")
            w.check(w.cur.get(key) == w.expected.get(key), "derived_version_correct",
                    lambda: f"new version's [{key!r}] is {w.cur.get(key)!r}, want {w.expected.get(key)!r}")
        elif op < 0.7:  # full comparison of this worker's current version
            got = self.contents(w.cur)
            w.check(got == w.expected, "derived_version_correct",
                    lambda: f"version has {len(got)} items, expected {len(w.expected)}; "
                    f"differ at {sorted(set(got.items()) ^ set(w.expected.items()))[:3]}")
        elif op < 0.8:  # publish a version with the contents it must keep
            self.board[w.index] = (w.cur, dict(w.expected))
        elif op < 0.95:  # check someone else's published version
            entry = self.board[w.rng.randrange(len(self.board))]
            if entry is not None:
                version, want = entry
                got = self.contents(version)
                w.check(got == want, "shared_version_stable",
                        lambda: f"a published version changed: {sorted(set(got.items()) ^ set(want.items()))[:3]}")
        else:
            merged = self.merged(self.base, w.cur)
            if merged is not None:
                want = {**self.base_items, **w.expected}
                got = self.contents(merged)
                w.check(got == want, "derived_version_correct",
                        lambda: f"merge: {sorted(set(got.items()) ^ set(want.items()))[:3]} differ")
            self._check_base_key(w, key)

    def finish(self, run: Run) -> None:
        got = self.contents(self.base)
        run.check(got == self.base_items, "old_version_unchanged",
                  lambda: f"shared base changed: {sorted(set(got.items()) ^ set(self.base_items.items()))[:3]}")

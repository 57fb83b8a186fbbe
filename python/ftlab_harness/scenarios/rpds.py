"""rpds-py's persistent HashTrieMap and List, shared across threads: the third-party example.

This file is what a user of the stress suite writes for their own extension: it names the
target module (`target = "rpds"`, never imported at the top), builds shared objects from
`run.target` in `setup`, hammers them in `step`, and checks invariants. Run it alone with
`ftlab-harness run --scenarios python/ftlab_harness/scenarios/rpds.py` (it is also one of the built-ins).

Invariants (persistent = every "mutation" returns a new version, old versions never change):
  rpds.hash_trie_map: see `ftlab_harness/persistent.py` (`old_version_unchanged`, `derived_version_correct`,
      `shared_version_stable`), with `insert`/`remove` and `update` as merge;
  rpds.list: `push_front` onto the shared base list gives a list whose `first` is the new value
      and whose `rest` equals the base (`derived_version_correct`); the base never changes
      (`old_version_unchanged`); lists published by other threads keep their contents
      (`shared_version_stable`).
"""

from __future__ import annotations

from typing import Any

from ftlab_harness import Run, Scenario, Worker
from ftlab_harness.persistent import PersistentMapSharing


class HashTrieMapSharing(PersistentMapSharing):
    """rpds.HashTrieMap shared by all threads: old versions never change."""

    def make(self, run: Run, items: dict[str, Any]) -> Any:
        return run.target.HashTrieMap(items)

    def with_item(self, m: Any, key: str, value: Any) -> Any:
        return m.insert(key, value)

    def without(self, m: Any, key: str) -> Any:
        return m.remove(key)

    def merged(self, m: Any, other: Any) -> Any:
        return m.update(other)


class ListSharing(Scenario):
    """rpds.List shared by all threads: push_front never changes the list it came from."""

    def setup(self, run: Run) -> None:
        self.base_items = list(range(32))
        self.base = run.target.List(self.base_items)
        self.board: list[Any] = [None] * run.threads

    def thread_setup(self, w: Worker) -> None:
        w.cur = self.base
        w.expected = list(self.base_items)

    def step(self, w: Worker) -> None:
        op = w.rng.random()
        value = (w.index, w.ops)
        if op < 0.3:
            derived = self.base.push_front(value)
            w.check(derived.first == value and derived.rest == self.base, "derived_version_correct",
                    lambda: f"base.push_front({value}) -> first {derived.first!r}")
            w.check(self.base.first == self.base_items[0] and len(self.base) == len(self.base_items),
                    "old_version_unchanged", lambda: f"shared base is now {list(self.base)[:5]}..., len {len(self.base)}")
        elif op < 0.6:
            previous, before = w.cur, len(w.expected)
            if len(w.expected) > 40 and w.rng.random() < 0.5:
                w.cur = w.cur.rest
                w.expected.pop(0)
            else:
                w.cur = w.cur.push_front(value)
                w.expected.insert(0, value)
            w.check(len(previous) == before, "old_version_unchanged",
                    lambda: f"previous version's length changed from {before} to {len(previous)}")
        elif op < 0.7:
            got = list(w.cur)
            w.check(got == w.expected, "derived_version_correct",
                    lambda: f"list has {len(got)} items, expected {len(w.expected)}")
        elif op < 0.8:
            self.board[w.index] = (w.cur, list(w.expected))
        else:
            entry = self.board[w.rng.randrange(len(self.board))]
            if entry is not None:
                version, want = entry
                got = list(version)
                w.check(got == want, "shared_version_stable", "a list published by another thread changed")

    def finish(self, run: Run) -> None:
        run.check(list(self.base) == self.base_items, "old_version_unchanged",
                  lambda: f"shared base is now {list(self.base)[:5]}...")


SCENARIOS = [
    HashTrieMapSharing("rpds.hash_trie_map", target="rpds", requires=["HashTrieMap"]),
    ListSharing("rpds.list", target="rpds", requires=["List"]),
]

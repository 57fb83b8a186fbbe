"""FrozenMap (`src/py/frozen_map.rs`): a persistent map shared by every thread never changes.

The checks are the ones every persistent map gets (see `stress/persistent.py`): deriving versions with
`set`/`remove`/`merge` never changes an older version (the shared base, the worker's previous
one, versions published by other threads) and gives exactly the expected contents. FrozenMap
adds `handle()`: a new Python object over the same Arc'd data, which must equal its origin.
"""

from __future__ import annotations

from typing import Any

from stress import Run, Worker
from stress.persistent import PersistentMapSharing


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


SCENARIOS = [FrozenMapSharing("frozen_map", target="ftlab:FrozenMap")]

"""Helpers for the zero-code tests: the operations discovery would generate for one method."""

from __future__ import annotations

import random

from ftlab_harness.zerocode.hammer import load_target
from ftlab_harness.zerocode.history import Op
from ftlab_harness.zerocode.ops import Values, discover


def generated_ops(target: str, name: str, n: int = 50) -> list[Op]:
    """`n` operations named `name` as discovery generates them for `target`'s object."""
    factory, _ = load_target(target)
    [t] = [t for t in discover(factory()) if t.name == name and t.kind == "method"]
    rng, values = random.Random(0), Values()
    return [t.make(rng, values) for _ in range(n)]

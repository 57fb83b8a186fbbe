"""Linearizability checker: is a recorded concurrent history explained by some sequential order?

A history is a list of `Call`s (invocation/response times, outcome token). It is linearizable if
some total order of its calls (1) respects real time — a call that responded before another was
invoked comes first — and (2) replayed one by one on a fresh object from the factory, reproduces
every recorded outcome. The object, run sequentially, is its own specification.

The search is Wing & Gong's, with Lowe's memoisation (as Porcupine does it): depth-first, at each
step try every call that no pending call must precede; a (set of linearized calls, state) pair
already explored is never explored again. The state is the replayed object, identified by a
fingerprint: its pickle when the object pickles (then equal states reached by different orders
meet in the cache) only for types whose pickle is their whole behavioural state
(`CONTENT_KEY_TYPES`: list, dict, deque, ...), otherwise the sequence of operations applied (exact
for any deterministic object). A pickle is not a state in general: two `set`s with equal pickles
can iterate differently after the next insertion (a removal leaves a hidden dummy slot), and a
search that merged them replayed the wrong state and called a sequential history a violation.
Transitions (state, operation) -> (outcome, next state) are cached too, so a replay is only
materialised (factory + prefix) when a transition was never seen. The replayed object is
kept "live" along the current path: extending the path costs one operation, not a replay.

Invariants: `check` never mutates its input; it returns `None` when the node budget runs out
(undecided, never reported as a violation); `minimise` returns a sub-history that is still not
linearizable. `check_ignoring_realtime` is the deliberately broken twin that the tests must reject.
Stdlib only.
"""

# The code under test may raise anything, and a harness that dies with it reports nothing:
# blind excepts here are deliberate.
# ruff: noqa: BLE001

from __future__ import annotations

import array
import collections
import itertools
import pickle
import time
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Callable

from ftlab_harness.zerocode.history import Call, Op, Token

Apply = Callable[[Any, Op], "tuple[bool, Token]"]  # (obj, op) -> (ok, token)
Compare = Callable[[Call, bool, Token], bool]


def exact(call: Call, ok: bool, token: Token) -> bool:
    """The default comparison: same outcome kind and the same token."""
    return call.ok == ok and call.token == token


#: Exact types whose pickle determines every later outcome: their observable behaviour is a
#: function of their ordered contents (insertion order for dicts), which the pickle holds. Not
#: `set` (hidden dummy slots change later iteration order), not user classes (their pickle is
#: whatever `__reduce__` chose to say), not subclasses (they may add state). Everything else is
#: keyed by its operation sequence, which is exact for any deterministic object.
CONTENT_KEY_TYPES: tuple[type, ...] = (list, dict, collections.OrderedDict, collections.defaultdict, collections.deque,
                                       bytearray, array.array, tuple, frozenset, str, bytes, int)


def content_key_safe(obj: Any) -> bool:
    """Whether `obj`'s pickle may stand for its state (see `CONTENT_KEY_TYPES`)."""
    return type(obj) in CONTENT_KEY_TYPES


class Replayer:
    """Replays operation sequences on fresh objects from `factory`, with a cached transition table.

    `fingerprint="auto"` probes the fresh object once: states are pickles only if its type is in
    `CONTENT_KEY_TYPES` (and it pickles); otherwise states are the operation sequences that
    produced them. `"pickle"` forces pickles (the caller asserts the pickle is the whole state;
    the tests use it as the checker's broken twin on `set`), `"sequence"` forces sequences.
    Reusable across histories of one target (the transition cache is kept, bounded by `max_cache`).
    """

    def __init__(self, factory: Callable[[], Any], apply: Apply, fingerprint: str = "auto", max_cache: int = 200_000) -> None:
        self.factory = factory
        self.apply = apply
        self.max_cache = max_cache
        self.use_pickle = False
        if fingerprint == "auto":
            probe = factory()
            self.use_pickle = content_key_safe(probe) and self._pickle_of(probe) is not None
        elif fingerprint == "pickle":
            self.use_pickle = True
        elif fingerprint != "sequence":
            raise ValueError(f"fingerprint must be auto, pickle or sequence, not {fingerprint!r}")
        self.trans: dict[tuple[Hashable, Hashable], tuple[bool, Token, Hashable]] = {}
        self.op_ids: dict[str, int] = {}
        self.replays = 0  # fresh objects made (a cost measure for benchmarks)

    @staticmethod
    def _pickle_of(obj: Any) -> bytes | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pickle.dumps(obj, protocol=4)
        except BaseException:
            return None

    def op_id(self, op: Op) -> int:
        key = repr((op.kind, op.name, op.args, op.kwargs))
        found = self.op_ids.get(key)
        if found is None:
            found = self.op_ids[key] = len(self.op_ids)
        return found


class _Search:
    """One search over one history; `prefix` is the path of call indices from the root."""

    def __init__(self, calls: Sequence[Call], rep: Replayer, compare: Compare, realtime: bool, max_nodes: int,
                 max_seconds: float | None = None) -> None:
        self.deadline = time.perf_counter() + max_seconds if max_seconds else None
        self.calls = calls
        self.rep = rep
        self.compare = compare
        self.realtime = realtime
        self.max_nodes = max_nodes
        self.nodes = 0
        self.inv = [c.invoke_ns for c in calls]
        self.resp = [c.response_ns for c in calls]
        self.ids = [rep.op_id(c.op) for c in calls]
        self.memo: set[tuple[int, Hashable]] = set()
        self.live: Any = None
        self.live_prefix: tuple[int, ...] | None = None
        self.order: list[int] = []

    def _materialise(self, prefix: tuple[int, ...]) -> Any:
        if self.live_prefix == prefix:
            return self.live
        obj = self.rep.factory()
        self.rep.replays += 1
        for i in prefix:
            self.rep.apply(obj, self.calls[i].op)
        self.live, self.live_prefix = obj, prefix
        return obj

    def step(self, state: Hashable, prefix: tuple[int, ...], c: int) -> tuple[bool, Token, Hashable]:
        key = (state, self.ids[c])
        hit = self.rep.trans.get(key)
        if hit is not None:
            return hit
        obj = self._materialise(prefix)
        ok, token = self.rep.apply(obj, self.calls[c].op)
        self.live_prefix = prefix + (c,)
        if self.rep.use_pickle:
            nxt: Hashable = self.rep._pickle_of(obj) or ("unpicklable", state, self.ids[c])
        else:
            nxt = (state, self.ids[c])
        if len(self.rep.trans) < self.rep.max_cache:
            self.rep.trans[key] = (ok, token, nxt)
        return ok, token, nxt

    def run(self) -> bool | None:
        n = len(self.calls)
        root: Hashable = self.rep._pickle_of(self._materialise(())) if self.rep.use_pickle else ()
        try:
            return self._dfs(0, (1 << n) - 1, root, ())
        except _Budget:
            return None

    def _dfs(self, mask: int, full: int, state: Hashable, prefix: tuple[int, ...]) -> bool:
        if mask == full:
            self.order = list(prefix)
            return True
        self.nodes += 1
        if self.nodes > self.max_nodes or (self.deadline is not None and not self.nodes & 31 and time.perf_counter() > self.deadline):
            raise _Budget
        n = len(self.calls)
        pending = [i for i in range(n) if not mask >> i & 1]
        if self.realtime:
            horizon = min(self.resp[i] for i in pending)
            candidates = [i for i in pending if self.inv[i] <= horizon]
        else:
            candidates = pending
        tried: set[int] = set()
        for c in candidates:
            if self.ids[c] in tried and self._same_outcome_as_tried(c, candidates, tried):
                continue
            ok, token, nxt = self.step(state, prefix, c)
            if not self.compare(self.calls[c], ok, token):
                continue
            key = (mask | 1 << c, nxt)
            if key in self.memo:
                continue
            self.memo.add(key)
            if self._dfs(mask | 1 << c, full, nxt, prefix + (c,)):
                return True
            tried.add(self.ids[c])
        return False

    def _same_outcome_as_tried(self, c: int, candidates: list[int], tried: set[int]) -> bool:
        # Two pending calls of the same operation with the same recorded outcome and the same
        # real-time position are interchangeable: if one failed here, so does the other.
        for d in candidates:
            if d != c and self.ids[d] == self.ids[c] and self.calls[d].token == self.calls[c].token \
                    and self.calls[d].ok == self.calls[c].ok and self.resp[d] == self.resp[c]:
                return True
        return False


class _Budget(Exception):
    pass


@dataclass
class Verdict:
    """The outcome of one check: `linearizable` is None when the node budget ran out."""

    linearizable: bool | None
    order: list[int]  # a witness order (indices into the calls) when linearizable
    nodes: int


def check(calls: Sequence[Call], rep: Replayer, compare: Compare = exact, max_nodes: int = 100_000,
          max_seconds: float | None = None) -> Verdict:
    """Wing–Gong/Lowe search: is `calls` linearizable against the sequential replays of `rep`?
    None (undecided) after `max_nodes` nodes or `max_seconds`."""
    search = _Search(calls, rep, compare, realtime=True, max_nodes=max_nodes, max_seconds=max_seconds)
    ok = search.run()
    return Verdict(ok, search.order, search.nodes)


def check_ignoring_realtime(calls: Sequence[Call], rep: Replayer, compare: Compare = exact, max_nodes: int = 100_000) -> Verdict:
    """BROKEN twin of `check` (for the tests only): ignores real-time order, so it accepts
    histories where a later call is explained by an order that puts it before an earlier one."""
    search = _Search(calls, rep, compare, realtime=False, max_nodes=max_nodes)
    ok = search.run()
    return Verdict(ok, search.order, search.nodes)


def brute_force(calls: Sequence[Call], rep: Replayer, compare: Compare = exact) -> bool:
    """Reference oracle for the tests: every permutation, real-time filter, replay from scratch."""
    n = len(calls)
    for perm in itertools.permutations(range(n)):
        pos = {c: k for k, c in enumerate(perm)}
        if any(calls[a].response_ns < calls[b].invoke_ns and pos[a] > pos[b] for a in range(n) for b in range(n)):
            continue
        obj = rep.factory()
        if all(compare(calls[c], *rep.apply(obj, calls[c].op)) for c in perm):
            return True
    return False


MINIMISE_MAX = 150  # longer bad prefixes are reported as they are
MINIMISE_SECONDS = 5.0  # delta debugging stops here and returns what it has (still a violation)


def shortest_bad_prefix(calls: Sequence[Call], rep: Replayer, compare: Compare = exact, max_nodes: int = 100_000) -> list[Call]:
    """The shortest prefix (calls by invocation time) that is still not linearizable. Prefixes
    of a linearizable history are linearizable, so the shortest bad one is found by bisection."""
    ordered = sorted(calls, key=lambda c: c.invoke_ns)
    lo, hi = 1, len(ordered)  # invariant: ordered[:hi] is not linearizable
    while lo < hi:
        mid = (lo + hi) // 2
        if check(ordered[:mid], rep, compare, max_nodes).linearizable is False:
            hi = mid
        else:
            lo = mid + 1
    return ordered[:hi]


def explainable(calls: Sequence[Call], rep: Replayer, target: Call, compare: Compare = exact, max_nodes: int = 20_000) -> bool:
    """Whether some real-time-respecting order reproduces `target`'s outcome (others unchecked)."""
    def only_target(call: Call, ok: bool, token: Token) -> bool:
        return call is not target or compare(call, ok, token)

    return check(calls, rep, only_target, max_nodes).linearizable is not False


def minimise(calls: Sequence[Call], rep: Replayer, compare: Compare = exact, max_nodes: int = 100_000) -> list[Call]:
    """A smaller sub-history that is still not linearizable, without losing the explanation.

    Dropping a call that others observed (a write) would leave a sub-history that is "not
    linearizable" only because its reads lost their cause — true, and useless. So a call is
    dropped (a whole thread first, then single calls) only if the rest stays not linearizable
    AND every remaining call whose outcome some order explained still has such an order. The
    result reads as: each outcome is possible on its own, no single order gives them all. An
    outcome that no order gives is kept with every call invoked before it responded (its
    possible causes).
    """
    current = shortest_bad_prefix(calls, rep, compare, max_nodes)
    if len(current) > MINIMISE_MAX:
        return current
    alone = {id(c) for c in current if explainable(current, rep, c, compare)}
    never = [c for c in current if id(c) not in alone]
    keep = {id(c) for c in current if any(c.invoke_ns <= r.response_ns for r in never)}

    def acceptable(candidate: list[Call]) -> bool:
        if len(candidate) < len(current) and not keep <= {id(c) for c in candidate}:
            return False
        if not candidate or check(candidate, rep, compare, max_nodes).linearizable is not False:
            return False
        return all(explainable(candidate, rep, c, compare) for c in candidate if id(c) in alone)

    # Delta debugging (Zeller's ddmin, complements only): whole threads, then chunks of halving
    # size down to single calls, each removal kept only if `acceptable`; a time budget bounds it.
    deadline = time.perf_counter() + MINIMISE_SECONDS
    changed = True
    while changed and time.perf_counter() < deadline:
        changed = False
        for thread in sorted({c.thread for c in current}):
            candidate = [c for c in current if c.thread != thread]
            if acceptable(candidate):
                current, changed = candidate, True
                break
        if changed:
            continue
        size = max(1, len(current) // 2)
        while size >= 1 and time.perf_counter() < deadline:
            k = len(current) - size
            while k >= 0 and time.perf_counter() < deadline:
                candidate = current[:k] + current[k + size:]
                if acceptable(candidate):
                    current, changed = candidate, True
                k -= size
            size //= 2
    return current

"""Tests of the linearizability checker (`ftlab_harness.zerocode.lincheck`), and of its broken twin.

Every test runs against the checker and against `check_ignoring_realtime`, the twin that forgets
real-time order. The cases whose verdict depends on real time are marked `xfail(strict=True)` for
the twin: if the twin ever passes one, the suite fails — a test that cannot fail is a defect. The
property test compares the checker with brute-force enumeration on small random histories (and
must find a counterexample against the twin). Runs on CPython 3.9-3.13t; hypothesis is optional.
"""

from __future__ import annotations

import collections
import itertools
import random
from typing import Any, Callable

import pytest

from ftlab_harness.zerocode.history import Call, Op, normalise
from ftlab_harness.zerocode.lincheck import (
    Replayer,
    brute_force,
    check,
    check_ignoring_realtime,
    minimise,
)
from ftlab_harness.zerocode.ops import make_apply


class Counter:
    """Sequential model: add returns the new value."""

    def __init__(self) -> None:
        self.n = 0

    def add(self, d: int = 1) -> int:
        self.n += d
        return self.n

    def get(self) -> int:
        return self.n


class Fifo:
    def __init__(self) -> None:
        self.items: list[int] = []

    def put(self, x: int) -> None:
        self.items.append(x)

    def get(self) -> int | None:
        return self.items.pop(0) if self.items else None


class Register:
    def __init__(self) -> None:
        self.v = 0

    def write(self, v: int) -> None:
        self.v = v

    def read(self) -> int:
        return self.v


def call(thread: int, name: str, args: tuple, result: Any, inv: int, resp: int, ok: bool = True) -> Call:
    token = normalise(result) if ok else ("raise", result)
    return Call(thread, 0, Op(name, "method", args), inv, resp, ok, token)


def rep_for(model: Callable[[], Any]) -> Replayer:
    return Replayer(model, make_apply())


# (name, model, history, linearizable?, depends_on_real_time?)
CASES = [
    ("concurrent adds, both orders possible", Counter,
     [call(0, "add", (1,), 1, 0, 10), call(1, "add", (1,), 2, 5, 15)], True, False),
    ("lost update: two adds both return 1", Counter,
     [call(0, "add", (1,), 1, 0, 10), call(1, "add", (1,), 1, 5, 15)], False, False),
    ("add returns 2 before the add that returns 1 started", Counter,
     [call(0, "add", (1,), 2, 0, 10), call(1, "add", (1,), 1, 20, 30)], False, True),
    ("stale read after a completed add", Counter,
     [call(0, "add", (1,), 1, 0, 10), call(1, "get", (), 0, 20, 30)], False, True),
    ("read overlapping an add may see either value", Counter,
     [call(0, "add", (1,), 1, 0, 30), call(1, "get", (), 0, 10, 20), call(2, "get", (), 1, 12, 25)], True, False),
    ("read sees a value that was never written", Register,
     [call(0, "write", (1,), None, 0, 10), call(1, "read", (), 2, 5, 15)], False, False),
    ("reads in real-time order cannot go back", Register,
     [call(0, "write", (1,), None, 0, 100), call(1, "read", (), 1, 10, 20), call(1, "read", (), 0, 30, 40)], False, True),
    ("fifo: completed puts are got in order", Fifo,
     [call(0, "put", (1,), None, 0, 10), call(0, "put", (2,), None, 20, 30), call(1, "get", (), 2, 40, 50)], False, True),
    ("fifo: concurrent puts in either order", Fifo,
     [call(0, "put", (1,), None, 0, 30), call(1, "put", (2,), None, 5, 35), call(2, "get", (), 2, 40, 50),
      call(2, "get", (), 1, 60, 70)], True, False),
    ("fifo: an item got twice", Fifo,
     [call(0, "put", (1,), None, 0, 10), call(1, "get", (), 1, 20, 30), call(2, "get", (), 1, 22, 32)], False, False),
    ("exceptions are outcomes too", Fifo,
     [call(0, "put", (1,), None, 0, 10), call(1, "get", (), None, 20, 30)], False, True),
    ("empty history", Counter, [], True, False),
]

CHECKERS = [pytest.param(check, id="checker"), pytest.param(check_ignoring_realtime, id="broken_twin")]


def _params() -> list[Any]:
    out = []
    for checker in CHECKERS:
        for name, model, calls, expected, realtime in CASES:
            marks = []
            if checker.values[0] is check_ignoring_realtime and realtime:
                marks.append(pytest.mark.xfail(strict=True, reason="the twin ignores real-time order"))
            out.append(pytest.param(checker.values[0], model, calls, expected, id=f"{checker.id}-{name}", marks=marks))
    return out


@pytest.mark.parametrize("checker,model,calls,expected", _params())
def test_hand_made_history(checker: Any, model: Any, calls: list[Call], expected: bool) -> None:
    verdict = checker(calls, rep_for(model))
    assert verdict.linearizable is expected
    if expected:  # the witness is a real-time-respecting order that replays every outcome
        assert sorted(verdict.order) == list(range(len(calls)))


def test_witness_order_respects_real_time() -> None:
    calls = [call(0, "add", (1,), 1, 0, 10), call(1, "add", (2,), 3, 20, 30), call(0, "get", (), 3, 40, 50)]
    verdict = check(calls, rep_for(Counter))
    assert verdict.linearizable and verdict.order == [0, 1, 2]


def test_budget_exhaustion_is_undecided_not_a_violation() -> None:
    calls = [call(t, "write", (1,), None, 0, 100) for t in range(8)] + [call(8, "read", (), 2, 0, 100)]
    verdict = check(calls, rep_for(Register), max_nodes=5)  # 2^8 subsets to try before "no"
    assert verdict.linearizable is None


def test_minimise_keeps_a_violation_and_drops_bystanders() -> None:
    calls = [call(0, "add", (1,), 1, 0, 10), call(1, "add", (1,), 1, 5, 15), call(2, "get", (), 0, 1, 3)]
    rep = rep_for(Counter)
    assert check(calls, rep).linearizable is False
    small = minimise(calls, rep)
    assert check(small, rep).linearizable is False
    assert len(small) < len(calls)
    assert {c.op.name for c in small} >= {"add"}


def test_pickle_fingerprints_merge_equal_states() -> None:
    # Register states pickle: two orders of identical writes meet in the cache, so the search
    # visits fewer nodes than with operation-sequence fingerprints.
    calls = [call(t, "write", (1 + t % 2,), None, 0, 100 + t) for t in range(6)] + [call(6, "read", (), 3, 0, 100)]
    by_pickle = check(calls, Replayer(Register, make_apply(), fingerprint="pickle"))
    by_sequence = check(calls, Replayer(Register, make_apply(), fingerprint="sequence"))
    assert by_pickle.linearizable is False and by_sequence.linearizable is False
    assert by_pickle.nodes < by_sequence.nodes


# ---------------------------------------------------------------- property test vs brute force

MODELS: dict[str, tuple[Callable[[], Any], list[tuple[str, tuple]]]] = {
    "counter": (Counter, [("add", (1,)), ("add", (2,)), ("get", ())]),
    "fifo": (Fifo, [("put", (1,)), ("put", (2,)), ("get", ())]),
    "register": (Register, [("write", (1,)), ("write", (2,)), ("read", ())]),
}


def random_history(rng: random.Random, model_name: str) -> list[Call]:
    """A small history: simulated from a random sequential order (so often linearizable), with
    random intervals around it and now and then a perturbed result."""
    model, ops = MODELS[model_name]
    threads = rng.randint(1, 3)
    script = [[rng.choice(ops) for _ in range(rng.randint(1, 2))] for _ in range(threads)]
    obj = model()
    cursors = [0] * threads
    t = 0
    calls: list[Call] = []
    live = [i for i in range(threads)]
    while live:
        th = rng.choice(live)
        name, args = script[th][cursors[th]]
        cursors[th] += 1
        if cursors[th] == len(script[th]):
            live.remove(th)
        result = getattr(obj, name)(*args)
        if rng.random() < 0.2:
            result = rng.choice([0, 1, 2, 3, None])
        inv = t + rng.randint(-15, 0)
        resp = t + rng.randint(1, 15)
        t += 10
        calls.append(call(th, name, args, result, inv, resp))
    # calls of one thread must not overlap: push each after the previous one of its thread
    last: dict[int, int] = {}
    fixed = []
    for c in calls:
        if c.thread in last and c.invoke_ns <= last[c.thread]:
            shift = last[c.thread] + 1 - c.invoke_ns
            c = Call(c.thread, 0, c.op, c.invoke_ns + shift, c.response_ns + shift, c.ok, c.token)
        last[c.thread] = c.response_ns
        fixed.append(c)
    return fixed


def _agree(checker: Any, seed: int, model_name: str) -> bool:
    calls = random_history(random.Random(seed), model_name)
    rep = rep_for(MODELS[model_name][0])
    return checker(calls, rep).linearizable == brute_force(calls, rep)


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_checker_agrees_with_brute_force_seeded(model_name: str) -> None:
    # Stdlib-only version of the property test (runs even without hypothesis).
    for seed in range(300):
        assert _agree(check, seed, model_name), f"seed {seed}"


@pytest.mark.xfail(strict=True, reason="the broken twin must disagree with brute force somewhere")
def test_twin_agrees_with_brute_force_seeded() -> None:
    for model_name in sorted(MODELS):
        for seed in range(300):
            assert _agree(check_ignoring_realtime, seed, model_name), f"{model_name} seed {seed}"


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - the seeded test above covers the same property
    given = None

if given is not None:

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2**32 - 1), model_name=st.sampled_from(sorted(MODELS)))
    def test_checker_agrees_with_brute_force_property(seed: int, model_name: str) -> None:
        assert _agree(check, seed, model_name)

    @pytest.mark.xfail(strict=True, reason="hypothesis must find a history the twin gets wrong")
    @settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2**32 - 1), model_name=st.sampled_from(sorted(MODELS)))
    def test_twin_agrees_with_brute_force_property(seed: int, model_name: str) -> None:
        assert _agree(check_ignoring_realtime, seed, model_name)


def test_brute_force_itself_on_the_hand_made_cases() -> None:
    for name, model, calls, expected, _ in CASES:
        assert brute_force(calls, rep_for(model)) is expected, name


def test_permutation_count_sanity() -> None:
    assert len(list(itertools.permutations(range(4)))) == 24


# ---------------------------------------------------------------- real objects: sound state keys

REAL_OPS: dict[str, tuple[Callable[[], Any], list[Op]]] = {
    # 1, 9 and 17 share a slot in a small set's table: a removal leaves a dummy that changes where
    # a later add lands, so equal pickles can iterate differently (issue 21's false alarm).
    "set": (set, [Op("add", args=(1,)), Op("add", args=(9,)), Op("discard", args=(1,)), Op("iter", "protocol")]),
    "dict": (dict, [Op("setitem", "protocol", ("a", 1)), Op("setitem", "protocol", ("b", 2)), Op("pop", args=("a", None)),
                    Op("popitem"), Op("iter", "protocol"), Op("setdefault", args=("b", 3))]),
    "list": (list, [Op("append", args=(1,)), Op("append", args=(2,)), Op("insert", args=(0, 3)), Op("pop"),
                    Op("remove", args=(1,)), Op("iter", "protocol")]),
    "deque": (collections.deque, [Op("append", args=(1,)), Op("appendleft", args=(2,)), Op("pop"), Op("popleft"),
                                  Op("rotate", args=(1,)), Op("iter", "protocol")]),
    "OrderedDict": (collections.OrderedDict, [Op("setitem", "protocol", ("a", 1)), Op("setitem", "protocol", ("b", 2)),
                                              Op("move_to_end", args=("a",)), Op("popitem", args=(False,)),
                                              Op("iter", "protocol")]),
}


def real_history(rng: random.Random, model_name: str) -> list[Call]:
    """Like `random_history`, on a real object: a random sequential order of real operations,
    random intervals around it, and now and then an outcome taken from another call."""
    factory, ops = REAL_OPS[model_name]
    apply = make_apply()
    threads = rng.randint(1, 3)
    per = {1: 6, 2: 3, 3: 2}[threads]
    script = [[rng.choice(ops) for _ in range(rng.randint(1, per))] for _ in range(threads)]
    obj = factory()
    cursors = [0] * threads
    live = list(range(threads))
    t = 0
    calls: list[Call] = []
    last: dict[int, int] = {}
    while live:
        th = rng.choice(live)
        op = script[th][cursors[th]]
        cursors[th] += 1
        if cursors[th] == len(script[th]):
            live.remove(th)
        ok, token = apply(obj, op)
        if calls and rng.random() < 0.15:
            other = rng.choice(calls)
            ok, token = other.ok, other.token
        inv = max(t + rng.randint(-15, 0), last.get(th, -10**9) + 1)
        resp = max(inv + 1, t + rng.randint(1, 15))
        last[th] = resp
        t += 10
        calls.append(Call(th, 0, op, inv, resp, ok, token))
    return calls


def _agree_run(fingerprint: str, model_name: str, seeds: range) -> list[int]:
    """Seeds whose verdict differs from brute force, with ONE replayer for the whole run (as a
    zero-code run keeps its transition cache across rounds)."""
    factory = REAL_OPS[model_name][0]
    rep = Replayer(factory, make_apply(), fingerprint=fingerprint)
    wrong = []
    for seed in seeds:
        calls = real_history(random.Random(seed), model_name)
        if check(calls, rep).linearizable != brute_force(calls, Replayer(factory, make_apply(), fingerprint="sequence")):
            wrong.append(seed)
    return wrong


@pytest.mark.parametrize("model_name", sorted(REAL_OPS))
def test_checker_agrees_with_brute_force_on_real_objects(model_name: str) -> None:
    assert _agree_run("auto", model_name, range(1000)) == []


def test_pickle_keyed_twin_disagrees_on_set() -> None:
    # The broken twin: states keyed by pickle on a set. It must get some history wrong, or this
    # property test could not catch the defect it exists for.
    assert _agree_run("pickle", "set", range(3000)) != []  # 2 of 3000 seeds, measured


def test_sequential_set_history_is_linearizable_after_a_cached_transition() -> None:
    # Issue 21's `--seed 7` finding, reduced: no two calls overlap, so the history is linearizable,
    # but the pickle-keyed twin replays the state {9} it cached from an earlier history.
    seq = [Op("add", args=(1,)), Op("add", args=(9,)), Op("discard", args=(1,)), Op("add", args=(1,)), Op("iter", "protocol")]
    obj: set = set()
    apply = make_apply()
    calls = [Call(0, k, op, 10 * k, 10 * k + 5, *apply(obj, op)) for k, op in enumerate(seq)]
    earlier = [Call(0, 0, Op("add", args=(9,)), 0, 5, *apply(set(), Op("add", args=(9,)))),
               Call(0, 1, Op("add", args=(1,)), 10, 15, True, None),
               Call(0, 2, Op("iter", "protocol"), 20, 25, True, ("list", (9, 1)))]
    for fingerprint, expected in (("auto", True), ("pickle", False)):
        rep = Replayer(set, apply, fingerprint=fingerprint)
        assert check(earlier, rep).linearizable is True
        assert check(calls, rep).linearizable is expected, fingerprint

"""Tests of the linearizability checker (`ftlab_harness.zerocode.lincheck`), and of its broken twin.

Every test runs against the checker and against `check_ignoring_realtime`, the twin that forgets
real-time order. The cases whose verdict depends on real time are marked `xfail(strict=True)` for
the twin: if the twin ever passes one, the suite fails — a test that cannot fail is a defect. The
property test compares the checker with brute-force enumeration on small random histories (and
must find a counterexample against the twin). Runs on CPython 3.9-3.13t; hypothesis is optional.
"""

from __future__ import annotations

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

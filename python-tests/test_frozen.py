"""Frozen values (src/py/frozen.rs): `Point` and `FrozenMap` never change after construction.

Checks value semantics (==, hash, repr, pickle), that attributes cannot be set or deleted, that
`set`/`remove`/`merge` return new maps while every old version stays exactly as it was (also
against a dict model driven by hypothesis), and that readers on many threads never see an
"update" made by other threads in the objects they hold.
"""

from __future__ import annotations

import copy
import math
import pickle
import threading
import types
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threads import run_in_threads, run_while

import ftlab
from ftlab import FrozenMap, Point

THREADS = 4

# --- Point ---------------------------------------------------------------------------------


def test_point_value_semantics():
    p = Point(1, 2.5)
    assert (p.x, p.y) == (1.0, 2.5)
    assert isinstance(p.x, float)
    assert p == Point(1.0, 2.5)
    assert p != Point(2.5, 1.0)
    assert hash(p) == hash(Point(1.0, 2.5))
    assert repr(p) == "Point(x=1.0, y=2.5)"
    assert repr(Point(1e100, float("-inf"))) == "Point(x=1e+100, y=-inf)"
    assert (p == (1.0, 2.5)) is False  # other types: NotImplemented, then identity
    assert len({Point(0, 0), Point(0.0, 0.0), Point(1, 0)}) == 2


def test_point_signed_zero_is_one_key():
    assert Point(0.0, -0.0) == Point(-0.0, 0.0)
    assert hash(Point(0.0, -0.0)) == hash(Point(-0.0, 0.0))
    assert {Point(0.0, 0.0): "origin"}[Point(-0.0, -0.0)] == "origin"


@given(st.floats(), st.floats(), st.floats(), st.floats())
@settings(deadline=None)
def test_point_eq_matches_tuples_and_hash_is_consistent(x1, y1, x2, y2):
    a, b = Point(x1, y1), Point(x2, y2)
    # Float tuples short-cut on identity; Points compare the floats, like `x1 == x2 and ...`.
    assert (a == b) == (x1 == x2 and y1 == y2)
    if a == b:
        assert hash(a) == hash(b)


@pytest.mark.parametrize("attr", ["x", "y", "z", "__dict__"])
def test_point_attributes_cannot_be_set_or_deleted(attr):
    p = Point(1, 2)
    with pytest.raises(AttributeError):
        setattr(p, attr, 3.0)
    with pytest.raises(AttributeError):
        delattr(p, attr)
    assert p == Point(1, 2)


def test_point_translated_returns_a_new_point():
    p = Point(1, 2)
    q = p.translated(0.5, -1)
    assert q == Point(1.5, 1.0)
    assert p == Point(1, 2)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_point_pickles(protocol):
    p = Point(-3.25, float("inf"))
    q = pickle.loads(pickle.dumps(p, protocol))
    assert q == p and type(q) is Point
    assert copy.copy(p) == p and copy.deepcopy(p) == p
    nan = pickle.loads(pickle.dumps(Point(float("nan"), 0), protocol))
    assert math.isnan(nan.x)


# --- FrozenMap -----------------------------------------------------------------------------


def test_frozenmap_reads():
    m = FrozenMap({"b": 2, "a": [1], "c": None})
    assert len(m) == 3
    assert list(m) == ["a", "b", "c"]  # sorted, whatever the insertion order
    assert m.keys() == ["a", "b", "c"]
    assert m.values() == [[1], 2, None]
    assert m.items() == [("a", [1]), ("b", 2), ("c", None)]
    assert m.to_dict() == {"a": [1], "b": 2, "c": None}
    assert m["b"] == 2 and m.get("b") == 2
    assert m.get("zz") is None and m.get("zz", 5) == 5
    assert m.get(1, "d") == "d"  # non-str keys simply miss, like a str-keyed dict
    assert "a" in m and "zz" not in m and 1 not in m
    with pytest.raises(KeyError) as info:
        m["zz"]
    assert info.value.args == ("zz",)
    assert repr(m) == "FrozenMap({'a': [1], 'b': 2, 'c': None})"
    assert len(FrozenMap()) == 0 and FrozenMap() == FrozenMap(None) == FrozenMap({})


def test_frozenmap_accepts_any_mapping():
    proxy = types.MappingProxyType({"x": 1})
    assert FrozenMap(proxy).to_dict() == {"x": 1}
    base = FrozenMap({"y": 2})
    assert FrozenMap(base).shares_data_with(base)


def test_frozenmap_updates_return_new_maps():
    m = FrozenMap({"a": 1, "b": 2})
    m2 = m.set("c", 3)
    m3 = m2.set("a", 10)
    m4 = m3.remove("b")
    m5 = m4.merge({"b": 20, "d": 4})
    m6 = m5.merge(FrozenMap({"d": 40}))
    assert m.to_dict() == {"a": 1, "b": 2}
    assert m2.to_dict() == {"a": 1, "b": 2, "c": 3}
    assert m3.to_dict() == {"a": 10, "b": 2, "c": 3}
    assert m4.to_dict() == {"a": 10, "c": 3}
    assert m5.to_dict() == {"a": 10, "b": 20, "c": 3, "d": 4}
    assert m6.to_dict() == {"a": 10, "b": 20, "c": 3, "d": 40}
    with pytest.raises(KeyError):
        m.remove("zz")
    assert FrozenMap().merge(m).shares_data_with(m)


def test_frozenmap_values_are_the_same_objects():
    value = object()
    m = FrozenMap({"k": value}).set("j", 1)
    assert m["k"] is value and m.get("k") is value


def test_frozenmap_is_immutable():
    m = FrozenMap({"a": 1})
    with pytest.raises(TypeError):
        m["a"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        del m["a"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        m.anything = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del m.set  # type: ignore[misc]
    assert m.to_dict() == {"a": 1}


def test_frozenmap_equality_and_hash():
    a = FrozenMap({"x": 1, "y": (2, 3)})
    b = FrozenMap({"y": (2, 3)}).set("x", 1)
    assert a == b and not (a != b)
    assert hash(a) == hash(b)
    assert a != a.set("x", 2)
    assert a != a.remove("x")
    assert (a == {"x": 1, "y": (2, 3)}) is False  # only FrozenMaps compare equal
    nan = float("nan")
    assert FrozenMap({"n": nan}) == FrozenMap({"n": nan})  # identity first, like dict
    with pytest.raises(TypeError):
        hash(FrozenMap({"l": []}))
    assert {a: "ok"}[b] == "ok"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_frozenmap_pickles(protocol):
    m = FrozenMap({"p": Point(1, 2), "n": 3, "nested": FrozenMap({"q": [4]})})
    m2 = pickle.loads(pickle.dumps(m, protocol))
    assert m2 == m and type(m2) is FrozenMap
    assert not m2.shares_data_with(m)


def test_handle_shares_data_but_is_a_new_object():
    m = FrozenMap({str(i): i for i in range(100)})
    h = m.handle()
    assert h is not m and h == m and h.shares_data_with(m)
    assert not m.set("x", 1).shares_data_with(m)
    assert m.lookup_many(["1", "2", "nope"], repeat=10) == 20
    assert h.lookup_many(["1", "2", "nope"], repeat=10, detach=True) == 20
    assert m.lookup_many([], repeat=5) == 0


@st.composite
def operations(draw):
    keys = st.sampled_from("abcdefgh")
    op = st.one_of(
        st.tuples(st.just("set"), keys, st.integers()),
        st.tuples(st.just("remove"), keys),
        st.tuples(st.just("merge"), st.dictionaries(keys, st.integers(), max_size=4)),
    )
    return draw(st.lists(op, max_size=40))


@given(operations())
@settings(deadline=None)
def test_frozenmap_matches_dict_and_old_versions_never_change(ops):
    m, model = FrozenMap(), {}
    versions = [(m, dict(model))]
    for op in ops:
        if op[0] == "set":
            m = m.set(op[1], op[2])
            model[op[1]] = op[2]
        elif op[0] == "remove":
            if op[1] in model:
                m = m.remove(op[1])
                del model[op[1]]
            else:
                with pytest.raises(KeyError):
                    m.remove(op[1])
        else:
            m = m.merge(op[1])
            model.update(op[1])
        assert m.to_dict() == model and list(m) == sorted(model)
        versions.append((m, dict(model)))
    for version, snapshot in versions:
        assert version.to_dict() == snapshot
        assert version == FrozenMap(snapshot)


def test_readers_never_see_other_threads_updates():
    """4 reader threads re-check shared frozen objects while 4 writer threads derive new
    versions from the same objects; every published version must equal its snapshot and the
    shared originals must never change."""
    base_dict = {f"k{i}": i for i in range(64)}
    base = FrozenMap(base_dict)
    origin = Point(0, 0)
    published: list[tuple[FrozenMap, dict, Point]] = []  # list.append is thread-safe

    def writer(w: int) -> Callable[[threading.Barrier], None]:
        def write(barrier: threading.Barrier) -> None:
            barrier.wait()
            m, snapshot, p = base, dict(base_dict), origin
            for i in range(150):
                key = f"k{(i * 7 + w) % 80}"
                if i % 3 == 2 and key in snapshot:
                    m = m.remove(key)
                    del snapshot[key]
                else:
                    m = m.set(key, (w, i))
                    snapshot[key] = (w, i)
                p = p.translated(1, w)
                published.append((m, dict(snapshot), p))
            assert base.to_dict() == base_dict and origin == Point(0, 0)

        return write

    def reader(barrier: threading.Barrier, writers_done: threading.Event) -> None:
        mine = base.handle()  # per-thread handle over the shared data
        barrier.wait()
        checked = 0
        while not writers_done.is_set() or checked < len(published):
            assert mine.to_dict() == base_dict and base["k5"] == 5 and len(base) == 64
            assert origin.x == 0.0 and origin.y == 0.0
            if checked < len(published):
                m, snapshot, p = published[checked]
                assert m.to_dict() == snapshot, "a published version changed"
                assert isinstance(p, Point)
                checked += 1

    # The readers run until every writer is done, then check what is left to check.
    run_while([reader] * THREADS, [writer(w) for w in range(THREADS)])
    assert len(published) == THREADS * 150
    for m, snapshot, _ in published:  # once more, after everything is quiet
        assert m.to_dict() == snapshot
    assert base.to_dict() == base_dict


def test_building_from_a_dict_other_threads_mutate():
    """FrozenMap(d) copies d's items in one step, so threads resizing d meanwhile can't make
    the construction fail half-way ("dictionary changed size during iteration")."""
    shared = {f"k{i}": i for i in range(100)}
    sizes: list[int] = []
    mutators = THREADS // 2

    def mutator(t: int) -> Callable[[threading.Barrier, threading.Event], None]:
        def mutate(barrier: threading.Barrier, stop: threading.Event) -> None:
            barrier.wait()
            i = 0
            while not stop.is_set():
                shared[f"x{t}-{i % 7}"] = i
                shared.pop(f"x{t}-{(i + 3) % 7}", None)
                i += 1

        return mutate

    def build(barrier: threading.Barrier) -> None:
        barrier.wait()
        for _ in range(300):
            m = FrozenMap(shared)
            assert all(f"k{i}" in m for i in range(0, 100, 9))
            sizes.append(len(m))

    run_while([mutator(t) for t in range(mutators)], [build] * (THREADS - mutators))
    assert all(100 <= n <= 100 + 7 * mutators for n in sizes)


def test_handles_on_many_threads_agree():
    m = FrozenMap({str(i): i for i in range(256)})
    keys = [str(i) for i in range(0, 300, 3)]
    expected = sum(1 for k in keys if k in m)
    results: list[int] = []

    def work(i: int) -> None:
        shared = i % 2 == 0
        target = m if shared else m.handle()
        for _ in range(20):
            results.append(target.lookup_many(keys, repeat=50, detach=not shared))

    run_in_threads(THREADS, work)
    assert results == [50 * expected] * (20 * THREADS)


def test_module_exports():
    for name in ("Point", "FrozenMap"):
        assert getattr(ftlab, name).__module__ == "ftlab"
        assert getattr(ftlab, name).__doc__

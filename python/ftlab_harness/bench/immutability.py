"""The immutability study: why one shared frozen object scales poorly on 3.13t, and what scales.

Observation (issue 6): calls on one shared *frozen* instance scaled only 0.9-1.3x at 2 threads
on 3.13t while thread-local work scaled ~2x. The instance is immutable and its Rust data is
only read, so no lock is involved.

Hypothesis: the shared object's *reference count*. On 3.13t every object has a thread-local
refcount for its owning thread (plain increments) and a shared refcount for every other thread
(atomic read-modify-write on ``ob_ref_shared``). ``obj.method()`` loads ``obj`` (an incref) and
drops it after the call (a decref); from N threads that is N cores doing atomic RMWs on the
same cache line, which bounces between them: the calls serialise on that line. Immortal objects
(None, small ints, interned constants) skip refcounting entirely, so they do not contend.

The probes below test that hypothesis by taking ftlab out of the picture and then putting it
back piece by piece; every case runs at 1 .. 2 x cores threads, interleaved, with the
calibration beside it:

* ``probe_*``: a bare ``x = obj`` loop (one incref + one decref per iteration, nothing else) on
  an object made by the main thread (shared refcount, contended), one made by the worker
  (owner's fast path), and an immortal one (None: no refcounting at all). If the hypothesis
  holds, the first scales like a shared frozen instance and the other two like the calibration.
  ``probe_load_global_function`` loads a module-level function: on 3.13t functions, modules
  and descriptors are marked for *deferred* reference counting (their refcount ops from the
  interpreter's stack may be skipped and their freeing is left to the GC), so they need not
  contend either, where the interpreter takes that path.
* ``python_*_instance_method``: the same split for a plain Python class, to show the effect is
  CPython's, not PyO3's.
* ``frozenmap_*``: ``FrozenMap.get`` on one shared instance; on a per-thread *copy* (made in the
  worker); on a per-thread *handle* (``shared.handle()``, a new Python object made in the worker
  that shares the same Arc'd Rust data: nothing is copied); on handles made by the main thread
  and handed out (owned by main, so each worker uses atomic refcount ops, but on its own object:
  atomic but uncontended); through a bound method made in the worker (the loop no longer loads
  the shared object, but the call still passes it as ``self``); and on per-thread handles whose
  *values* are shared non-immortal floats (the returned value's refcount then contends).
* ``frozenmap_shared_rust_side_lookups``: the shared instance again, but each call does 256
  lookups inside Rust (``lookup_many``): the shared Rust data is read as much as ever while the
  shared object's refcount is touched 256 times less often. If this scales like the calibration,
  reading the Arc'd tree is not what serialises the threads.
* ``point_*``: attribute reads of one shared frozen Point vs a Point per thread.
"""

from __future__ import annotations

from typing import List

from .context import CaseSpec, Context, scaling_group

NAME = "immutability"
DESCRIPTION = "shared frozen instance vs per-thread instances vs per-thread handles (3.13t)"

KEYS = [f"k{i}" for i in range(16)]


def _shared_value():
    """Not immortal: built at run time (small ints and constants may be)."""
    return [1.5 * i for i in range(16)]


# --------------------------------------------------------------------------- pure-Python probes


def _load_loop(make_obj, in_worker: bool):
    def factory(_ftlab):
        shared = None if in_worker else make_obj()

        def make_loop(index):
            obj = make_obj() if in_worker else shared

            def loop(n):
                o = obj
                x = None
                for _ in range(n):
                    x = o  # LOAD_FAST o (incref) + STORE_FAST x (decref of the previous x)
                return x

            return loop

        return make_loop

    return factory


def module_level_function():
    """Loaded by `probe_load_global_function`: on 3.13t, functions use deferred refcounting."""
    return None


def _global_function_loop(_ftlab):
    def make_loop(index):
        def loop(n):
            x = None
            for _ in range(n):
                x = module_level_function  # LOAD_GLOBAL of a function object (deferred refcount on 3.13t)
            return x

        return loop

    return make_loop


def _get_loop(obj, key):
    """The timed loop of the read cases: `n` calls of `obj.get(key)` (a PlainReader or a FrozenMap)."""

    def loop(n):
        o = obj
        for _ in range(n):
            o.get(key)

    return loop


class PlainReader:
    """A plain Python class with one read-only method (the non-PyO3 control)."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = {k: i for i, k in enumerate(KEYS)}

    def get(self, key):
        return self.data.get(key)


def _python_method(shared_instance: bool):
    def factory(_ftlab):
        shared = PlainReader()

        def make_loop(index):
            obj = shared if shared_instance else PlainReader()
            return _get_loop(obj, key=KEYS[index % len(KEYS)])

        return make_loop

    return factory


# --------------------------------------------------------------------------- ftlab FrozenMap


def _frozenmap(how: str, values: str = "int"):
    def factory(ftlab):
        vals = list(range(16)) if values == "int" else _shared_value()
        mapping = dict(zip(KEYS, vals))
        shared = ftlab.FrozenMap(mapping)
        from_main = [shared.handle() for _ in range(64)] if how == "handle_made_by_main" else []

        def make_loop(index):
            # Keys: a different one per thread, so key objects are not shared between threads --
            # except with shared values, where every thread must read the SAME value object.
            key = KEYS[0] if values == "float" else KEYS[index % len(KEYS)]
            if how == "shared":
                return _get_loop(shared, key)
            if how == "per_thread_copy":
                return _get_loop(ftlab.FrozenMap(mapping), key)
            if how == "per_thread_handle":
                return _get_loop(shared.handle(), key)
            if how == "handle_made_by_main":
                return _get_loop(from_main[index % len(from_main)], key)
            if how == "rust_side_lookups":
                keys = [k.encode().decode() for k in KEYS]  # str objects owned by this thread

                def loop(n):
                    m = shared
                    for _ in range(n):
                        m.lookup_many(keys, 16)  # 256 lookups in Rust, one Python call on the shared object

                return loop
            if how == "bound_method":
                get = shared.get  # a bound-method object made by (and owned by) this worker

                def loop(n):
                    g = get
                    for _ in range(n):
                        g(key)

                return loop
            raise ValueError(how)

        return make_loop

    return factory


def _point(shared_instance: bool):
    def factory(ftlab):
        shared = ftlab.Point(1.0, 2.0)

        def make_loop(index):
            p0 = shared if shared_instance else ftlab.Point(1.0, 2.0)

            def loop(n):
                p = p0
                for _ in range(n):
                    p.x

            return loop

        return make_loop

    return factory


SPECS: List[CaseSpec] = [
    ("probe_load_shared_object", [], "x = obj on one object made by the main thread (contended refcount)",
     _load_loop(object, in_worker=False)),
    ("probe_load_thread_local_object", [], "x = obj on an object made by the worker (owner refcount)",
     _load_loop(object, in_worker=True)),
    ("probe_load_immortal_object", [], "x = obj with obj = None (immortal: no refcounting)",
     _load_loop(lambda: None, in_worker=False)),
    ("probe_load_global_function", [], "x = f, f a module-level function (3.13t: deferred refcounting)",
     _global_function_loop),
    ("python_shared_instance_method", [], "plain Python class: obj.get(k) on one shared instance",
     _python_method(shared_instance=True)),
    ("python_per_thread_instance_method", [], "plain Python class: obj.get(k) on an instance per thread",
     _python_method(shared_instance=False)),
    ("frozenmap_shared_instance", ["FrozenMap"], "FrozenMap.get(k) on one shared instance",
     _frozenmap("shared")),
    ("frozenmap_per_thread_copy", ["FrozenMap"], "FrozenMap.get(k) on a copy made in each worker",
     _frozenmap("per_thread_copy")),
    ("frozenmap_per_thread_handle", ["FrozenMap"],
     "FrozenMap.get(k) on shared.handle() made in each worker (same Arc'd data, no copy)",
     _frozenmap("per_thread_handle")),
    ("frozenmap_handle_made_by_main", ["FrozenMap"],
     "FrozenMap.get(k) on a handle per worker, made by the main thread (atomic but uncontended refcount)",
     _frozenmap("handle_made_by_main")),
    ("frozenmap_shared_bound_method", ["FrozenMap"],
     "get = shared.get made in each worker; loop calls get(k) (self still passed to the call)",
     _frozenmap("bound_method")),
    ("frozenmap_shared_rust_side_lookups", ["FrozenMap.lookup_many"],
     "shared.lookup_many(16 keys, 16): 256 lookups of the shared Arc'd tree per call on the shared instance",
     _frozenmap("rust_side_lookups")),
    ("frozenmap_per_thread_handle_shared_values", ["FrozenMap"],
     "per-thread handles, but every thread reads the same key, whose value is a shared non-immortal float",
     _frozenmap("per_thread_handle", values="float")),
    ("point_shared_instance", ["Point"], "Point.x on one shared frozen Point",
     _point(shared_instance=True)),
    ("point_per_thread_instance", ["Point"], "Point.x on a Point made in each worker",
     _point(shared_instance=False)),
]


def run(ctx: Context) -> List[dict]:
    return scaling_group(ctx, NAME, SPECS)

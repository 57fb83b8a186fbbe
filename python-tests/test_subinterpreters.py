"""Sub-interpreters: ftlab refuses them cleanly, ftlab_isolated runs in many of them at once.

Runs on every interpreter >= 3.12 of the matrix (3.12 `_xxsubinterpreters`, 3.13/3.13t
`_interpreters`, 3.14 the same module under `concurrent.interpreters`), through the adapter in
`ftlab_harness/subinterp.py`; skipped with the reason on older interpreters or builds without the
modules. Two configurations are exercised:

* "isolated": own GIL, own allocator; CPython itself refuses extensions that do not declare
  per-interpreter-GIL support, so importing ftlab fails with CPython's message;
* "legacy": shared GIL and no extension check; PyO3 0.28 would load ftlab there (sharing the
  main interpreter's type objects), so ftlab's own check (`src/py/subinterpreters.rs`) refuses
  it with ftlab's message.

Each test starts its own threads on a Barrier and counts process-wide things (live
interpreters, module states, RSS), so all are thread-unsafe for pytest-run-parallel.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ftlab_harness import subinterp as S  # noqa: E402

pytestmark = [
    pytest.mark.skipif(not S.available(), reason=f"no sub-interpreters: {S.MISSING_REASON}"),
    pytest.mark.thread_unsafe(reason="creates interpreters and threads; checks process-wide counts"),
]

import ftlab  # noqa: E402
import ftlab_isolated  # noqa: E402
from threads import run_in_threads  # noqa: E402

# CPython's refusal in an own-GIL interpreter (the extension lacks Py_mod_multiple_interpreters).
ISOLATED_REFUSAL = "module ftlab.ftlab does not support loading in subinterpreters"
# ftlab's own refusal in a shared-GIL interpreter (src/py/subinterpreters.rs, REFUSAL).
LEGACY_REFUSAL = "ftlab cannot be imported in a sub-interpreter (PyO3 0.28 modules keep per-process Python state"
REFUSAL = {"isolated": ISOLATED_REFUSAL, "legacy": LEGACY_REFUSAL}
WORKERS = 8
#: Deadline of the tests that create interpreters from several threads at once (see
#: test_refusal_under_load_leaves_main_interpreter_intact for why they are slow under load).
LOADED_DEADLINE = 240.0
GIL_NOW = getattr(sys, "_is_gil_enabled", lambda: True)


def assert_refused(iid, config):
    with pytest.raises(S.RunFailed) as info:
        S.run(iid, "import ftlab")
    assert info.value.type_name == "ImportError"
    assert REFUSAL[config] in info.value.msg
    assert "\n" not in info.value.msg


# --- ftlab refuses, cleanly ---------------------------------------------------------------------


@pytest.mark.parametrize("config", S.CONFIGS)
def test_ftlab_import_in_subinterpreter_is_refused(config):
    counter = ftlab.AtomicCounter(10)
    module_before = sys.modules["ftlab"]
    iid = S.create(config)
    try:
        assert_refused(iid, config)
        # Refused again, the same way: nothing half-initialised was cached.
        assert_refused(iid, config)
        # The sub-interpreter keeps working, and holds no trace of ftlab.
        [state] = S.run_collect(
            iid,
            "import sys, json\n"
            "_emit({'sum': sum(range(10)), 'ftlab': sorted(m for m in sys.modules if m.startswith('ftlab'))})",
        )
        assert state == {"sum": 45, "ftlab": []}
        # ftlab_isolated is what works there.
        [got] = S.run_collect(iid, "import ftlab_isolated as f\n_emit(f.word_count('x y x'))")
        assert got == {"x": 2, "y": 1}
    finally:
        S.destroy(iid)
    # The main interpreter's ftlab and its objects are unaffected.
    assert sys.modules["ftlab"] is module_before
    assert counter.add(5) == 15
    assert ftlab.MutexGuardedCounter(1).add() == 2
    assert S.list_ids() == [0]


def test_refusal_under_load_leaves_main_interpreter_intact():
    """Threads hammer ftlab in main while others create sub-interpreters, try the import, and
    destroy them: no crash, every attempt refused with the right message, no interpreter left
    behind, and the main interpreter's ftlab objects count every increment.

    Sized for a loaded 2-core machine: on 3.13.5t interpreter creation slows down sharply once
    threads running Python outnumber the cores (measured with this test's own loop: 4 churners
    and 4 hammers, 6 rounds, took 35 s quiet and 112 s beside two busy processes; 2 and 2, 3
    rounds, which still gives each churner both configurations, 1 s quiet and about 40 s under
    that load). The deadline is LOADED_DEADLINE.
    """
    hammers, churners, rounds = 2, 2, 3
    atomic, guarded = ftlab.AtomicCounter(0), ftlab.MutexGuardedCounter(0)
    module_before = sys.modules["ftlab"]
    stop = threading.Event()
    done = [0] * hammers
    refusals = [0] * churners
    churners_left = [churners]
    lock = threading.Lock()

    def work(i):
        if i < hammers:
            n = 0
            while not stop.is_set():
                atomic.add()
                guarded.add(2)
                n += 1
            done[i] = n
            return
        j = i - hammers
        try:
            for r in range(rounds):
                config = S.CONFIGS[(j + r) % 2]
                iid = S.create(config)
                try:
                    assert_refused(iid, config)
                    S.run(iid, "assert sum(range(4)) == 6")
                    refusals[j] += 1
                finally:
                    S.destroy(iid)
        finally:
            with lock:
                churners_left[0] -= 1
                if churners_left[0] == 0:
                    stop.set()  # the hammers stop once every churner is done (or failed)

    try:
        run_in_threads(hammers + churners, work, deadline=LOADED_DEADLINE)
    finally:
        stop.set()
    assert refusals == [rounds] * churners
    assert all(n > 0 for n in done), done
    assert atomic.value == sum(done)
    assert guarded.value == 2 * sum(done)
    assert sys.modules["ftlab"] is module_before
    assert S.list_ids() == [0]
    assert sys.exc_info() == (None, None, None)


# --- ftlab_isolated runs in many sub-interpreters at once ----------------------------------------

ISOLATED_WORKLOAD = """
import sys, array, collections
import ftlab_isolated as f
for _ in range(adds):
    f.counter_add()
text = ' '.join('w%d' % (k % (seed + 2)) for k in range(3000))
data = array.array('d', [float(k % 11) for k in range(50000)])
ok_words = all(f.word_count(text, detach=d) == collections.Counter(text.split()) for d in (True, False))
sums = [f.sum_of_squares(data, detach=d) for d in (True, False)]
_emit({
    'interpreter_id': f.interpreter_id(),
    'counter': f.counter_value(),
    'ok_words': ok_words,
    'sums': sums,
    'lookup': f.shared_lookup('w00042'),
    'info': f.shared_info(),
    'gil': getattr(sys, '_is_gil_enabled', lambda: True)(),
})
"""


@pytest.mark.parametrize("config", S.CONFIGS)
def test_isolated_module_runs_in_8_concurrent_subinterpreters(config):
    gc.collect()  # module objects of earlier tests sit in cycles: free them before counting states
    gil_before = GIL_NOW()
    main_counter = ftlab_isolated.counter_value()
    main_info = ftlab_isolated.shared_info()
    states_before = ftlab_isolated.live_module_states()
    results: list = [None] * WORKERS
    ids: list = [None] * WORKERS
    in_flight = threading.Barrier(WORKERS, timeout=LOADED_DEADLINE)

    def work(i):
        ids[i] = iid = S.create(config)
        try:
            [results[i]] = S.run_collect(iid, ISOLATED_WORKLOAD, {"adds": 10 * (i + 1), "seed": i})
            in_flight.wait()  # all eight module states alive at once
            [results[i]["states_alive"]] = S.run_collect(iid, "_emit(f.live_module_states())")
            in_flight.wait()
        finally:
            S.destroy(iid)

    run_in_threads(WORKERS, work, deadline=LOADED_DEADLINE)
    expected_sum = sum(float(k % 11) ** 2 for k in range(50000))
    for i, r in enumerate(results):
        assert r["interpreter_id"] == ids[i] != 0
        assert r["counter"] == 10 * (i + 1), "per-interpreter counters must be independent"
        assert r["ok_words"]
        assert r["sums"] == [pytest.approx(expected_sum, rel=1e-12)] * 2
        assert r["lookup"] == (42 * 2_654_435_761) % 1000
        # One Rust lexicon for the whole process: same address, built once, by main.
        assert r["info"]["address"] == main_info["address"]
        assert r["info"]["build_count"] == 1
        assert r["info"]["built_by_interpreter"] == main_info["built_by_interpreter"]
        assert r["states_alive"] == states_before + WORKERS
        if config == "isolated":
            # Its own GIL state: importing the module did not turn it on. (A legacy
            # interpreter shares the main GIL state, which 3.13t enables *transiently* while any
            # interpreter imports an extension, so a read there races with the others' imports.)
            assert r["gil"] == gil_before
    # Main interpreter: its counter untouched; every sub-interpreter's state freed.
    assert GIL_NOW() == gil_before
    assert ftlab_isolated.counter_value() == main_counter
    assert ftlab_isolated.live_module_states() == states_before
    assert ftlab_isolated.shared_info()["strong_count"] == main_info["strong_count"]
    assert S.list_ids() == [0]


def test_panic_in_subinterpreter_raises_that_interpreters_exception():
    iid = S.create("isolated")
    try:
        [got] = S.run_collect(
            iid,
            "import ftlab_isolated as f\n"
            "out = []\n"
            "for where in ('attached', 'detached'):\n"
            "    try:\n"
            "        f.trigger_panic(where)\n"
            "    except f.PanicException as e:\n"
            "        out.append(str(e))\n"
            "_emit({'caught': out, 'after': f.word_count('a a')})",
        )
    finally:
        S.destroy(iid)
    assert got["caught"] == [f"ftlab_isolated: deliberate panic ({w})" for w in ("attached", "detached")]
    assert got["after"] == {"a": 2}


# --- load / unload in a loop: memory stays bounded ---------------------------------------------------

CYCLE_WITH_MODULE = (
    "import ftlab_isolated as f\n"
    "f.counter_add(3)\n"
    "assert f.word_count('a b a') == {'a': 2, 'b': 1}\n"
    "assert f.shared_lookup('w00001') is not None\n"
)
CYCLE_CONTROL = "import json\nassert json.loads('[1]') == [1]\n"
# Mean extra RSS per create/import/destroy cycle that the module may add over the control
# cycle. A per-interpreter copy of the shared lexicon (~3 MiB) or a leaked module with its
# data would exceed it; RSS noise (page-granular, arena reuse) stays far below.
EXCESS_BOUND_MIB = 1.0


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def excess_growth_mib(iterations, arms):
    """Run the arms interleaved (A, B, A, B, ...) for `iterations` rounds after a warm-up; return
    {arm: mean RSS growth per cycle in MiB}. Each arm is a zero-argument callable."""
    for arm in arms.values():  # warm-up: first-time imports, caches, arenas
        for _ in range(3):
            arm()
    growth = {name: 0.0 for name in arms}
    for _ in range(iterations):
        for name, arm in arms.items():
            before = rss_mib()
            arm()
            growth[name] += rss_mib() - before
    return {name: g / iterations for name, g in growth.items()}


def subinterpreter_cycle(code):
    def cycle():
        iid = S.create("isolated")
        try:
            S.run(iid, code)
        finally:
            S.destroy(iid)

    return cycle


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="RSS is read from /proc (Linux)")
def test_load_unload_loop_memory_is_bounded():
    gc.collect()
    states_before = ftlab_isolated.live_module_states()
    per_cycle = excess_growth_mib(
        30, {"module": subinterpreter_cycle(CYCLE_WITH_MODULE), "control": subinterpreter_cycle(CYCLE_CONTROL)}
    )
    excess = per_cycle["module"] - per_cycle["control"]
    # CPython itself keeps ~1.5-3 MiB per destroyed own-GIL interpreter on 3.13 (its obmalloc
    # arenas), so the bound is on what the module adds over the same cycle without it.
    assert excess < EXCESS_BOUND_MIB, per_cycle
    assert ftlab_isolated.live_module_states() == states_before
    assert S.list_ids() == [0]


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="RSS is read from /proc (Linux)")
def test_memory_detector_flags_a_leaking_cycle():
    """The detector above must be able to fail: a cycle that keeps 2 MiB per round is flagged."""
    kept = []

    def leaking_cycle():
        subinterpreter_cycle(CYCLE_CONTROL)()
        kept.append(bytearray(2 * 2**20))  # touched pages: really resident

    per_cycle = excess_growth_mib(10, {"module": leaking_cycle, "control": subinterpreter_cycle(CYCLE_CONTROL)})
    assert per_cycle["module"] - per_cycle["control"] > EXCESS_BOUND_MIB, per_cycle
    kept.clear()


# --- the four-models benchmark's server (ftlab_harness/bench/subinterp_models.py) --------------------------------


def test_models_server_runs_every_kernel_under_threads_and_subinterpreters():
    from ftlab_harness.bench import subinterp_models

    server = subinterp_models.Server()
    try:
        for execution in ("threads", "subinterp"):
            for kernel in subinterp_models.KERNELS:
                for detach in (False, True):
                    assert server.measure(execution, kernel, detach, workers=2, calls=3) > 0
        assert len(server.pool) == 2
    finally:
        server.close()
    assert S.list_ids() == [0]


def test_models_cli_rejects_bad_input_with_exit_2():
    from ftlab_harness.bench import subinterp_models

    assert subinterp_models.main(["--workers", "0"]) == 2
    assert subinterp_models.main(["--reps", "0"]) == 2
    assert subinterp_models.main(["--gil-python", "/nonexistent/python"]) == 2

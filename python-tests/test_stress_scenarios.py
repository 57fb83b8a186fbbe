"""Every invariant check of every built-in stress scenario can fail.

Each case runs one built-in scenario (in this process, through the same code the harness's child
runs) against a pure-Python twin from `stress_fixtures/stress_twins.py` that breaks exactly one
promise, and asserts that the matching invariant is reported. The Rust seeded twins are hunted
separately (`ftlab-harness hunt`); these cover every check, including the ones no seeded bug
targets, and the third-party example (rpds-py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "stress_fixtures"
for p in (str(ROOT), str(FIXTURES)):
    if p not in sys.path:
        sys.path.insert(0, p)

from ftlab_harness import child, loader  # noqa: E402
from ftlab_harness.records import RunSpec  # noqa: E402

pytestmark = pytest.mark.thread_unsafe(reason="runs a multi-threaded stress round and sets the switch interval")

CASES = [
    ("counter.atomic", "LosesIncrements", "counter_total"),
    ("counter.atomic", "AddReturnsOldValue", "own_increments_visible"),
    ("counter.atomic", "ValueJitters", "value_monotonic"),
    ("counter.sharded", "LosesIncrements", "counter_total"),
    ("bank", "LeakyBank", "snapshot_total"),
    ("bank", "LeakyBank", "total_conserved"),
    ("bank", "LeakyBank", "balances_accounted"),
    ("bank", "OverdraftBank", "no_overdraft"),
    ("bank", "StaleBalanceBank", "balance_matches_snapshot"),
    ("bank", "HidesAnAccountBank", "accounts_listed"),
    ("registry", "TornGetManyRegistry", "multi_key_update_atomic"),
    ("registry", "TornSnapshotRegistry", "snapshot_consistent"),
    ("registry", "StaleReadRegistry", "no_stale_read"),
    ("registry", "ForgetfulRegistry", "read_own_write"),
    ("registry", "LaggingRegistry", "final_is_a_last_write"),
    ("registry", "MiscountingRegistry", "len_matches_snapshot"),
    ("registry", "IgnoresDefaultRegistry", "get_default"),
    ("latch", "EveryoneWinsLatch", "set_once"),
    ("latch", "SlowFlagLatch", "set_visible"),
    ("latch", "ImpatientLatch", "wait_implies_set"),
    ("publish_slot", "TornSlot", "complete_publication"),
    ("publish_slot", "ChangingSlot", "published_value_stable"),
    ("publish_slot", "OverwritingSlot", "single_assignment"),
    ("publish_slot", "RefusingSlot", "second_publish_rejected"),
    ("work_queue", "DroppingQueue", "delivered_at_least_once"),
    ("work_queue", "DuplicatingQueue", "delivered_at_most_once"),
    ("work_queue", "PhantomQueue", "no_phantom_items"),
    ("work_queue", "OverfullQueue", "bounded"),
    ("work_queue", "NoCloseQueue", "close_drains_then_raises"),
    ("work_queue", "AcceptsAfterCloseQueue", "put_after_close_rejected"),
    ("once_resource", "TwiceInitResource", "init_ran_once"),
    ("once_resource", "TwiceInitResource", "init_count_one"),
    ("once_resource", "PerThreadResource", "same_value_for_everyone"),
    ("once_resource", "NeverInitializedResource", "initialized_after_get"),
    ("latch_wakeup", "LateWakeLatch", "wakeup_latency"),
    ("queue_wakeup", "LateWakeQueue", "wakeup_latency"),
    ("once_wakeup", "LateWakeResource", "wakeup_latency"),
    ("once_wakeup", "WrongValueResource", "value"),
    ("frozen_map", "MutableFrozenMap", "old_version_unchanged"),
    ("frozen_map", "MutableFrozenMap", "shared_version_stable"),
    ("frozen_map", "WrongSetFrozenMap", "derived_version_correct"),
    ("frozen_map", "EmptyHandleFrozenMap", "handle_shares_data"),
    ("rpds.hash_trie_map", "MutableRpds", "old_version_unchanged"),
    ("rpds.hash_trie_map", "MutableRpds", "shared_version_stable"),
    ("rpds.hash_trie_map", "WrongDerivedRpds", "derived_version_correct"),
    ("rpds.list", "MutableRpds", "old_version_unchanged"),
    ("rpds.list", "MutableRpds", "shared_version_stable"),
    ("rpds.list", "WrongDerivedRpds", "derived_version_correct"),
    ("point", "MutablePoint", "attributes_read_only"),
    ("point", "DriftingPoint", "value_stable"),
    ("point", "IdentityPoint", "equality"),
    ("point", "UnstableHashPoint", "hash_stable"),
    ("point", "BadPicklePoint", "pickle_roundtrip"),
    ("anti_pattern", "WrongErrorCounter", "only_borrow_errors"),
    ("anti_pattern", "CorruptingCounter", "never_corrupts"),
    ("parallel.word_count", "BrokenParallel", "word_count_correct"),
    ("parallel.sum_of_squares", "BrokenParallel", "sum_of_squares_correct"),
    ("parallel.panic", "BrokenParallel", "panic_becomes_exception"),
    ("counter.per_thread", "LosesIncrements", "counter_total"),
    ("event_bus", "ForgetfulBus", "own_listeners_exact"),
    ("event_bus", "DoubleCallBus", "emit_calls_each_once"),
    ("event_bus", "MiscountingBus", "subscriptions_total"),
    ("snapshot", "TornGetManySnapshot", "multi_key_update_atomic"),
    ("snapshot", "TornCurrentSnapshot", "snapshot_consistent"),
    ("snapshot", "StaleSnapshot", "no_stale_read"),
    ("snapshot", "ForgetfulSnapshot", "read_own_write"),
    ("snapshot", "UncountedSnapshot", "no_lost_write"),
    ("snapshot", "PhantomRemoveSnapshot", "version_counts_changes"),
]

# Exception classes some scenarios take from ftlab itself (the twins raise them too).
NEEDS = {"bank": "OverdraftError", "work_queue": "QueueClosed"}

_SOURCES = {sc.name: src for sc, src in loader.load(loader.builtin_sources())}


#: A twin keeps getting rounds (0.25 s each; the first one usually shows the break) until the case's
#: own invariant fires, and is given up on only after at least MIN_ROUNDS rounds AND MIN_OPS
#: operations (so a loaded machine, where a round may do only a few dozen operations, gets more
#: rounds rather than fewer chances), or after GIVE_UP_SECONDS of wall time.
MIN_ROUNDS = 4
MIN_OPS = 5_000
GIVE_UP_SECONDS = 120.0


def run_inprocess(scenario: str, target: str, duration: float = 0.25, threads: int = 4) -> dict:
    """One round of a built-in scenario against `target`, in this process."""
    src = _SOURCES[scenario]
    spec = RunSpec(source_kind=src.kind, source_ref=src.ref, scenario=scenario, target=target, threads=threads,
                   seed=1234, switch_interval=1e-5, hang_timeout=30.0, allow_gil=True, duration=duration)
    old = sys.getswitchinterval()
    try:
        return child.execute(spec, child._State())
    finally:
        sys.setswitchinterval(old)


@pytest.mark.parametrize(("scenario", "twin", "invariant"), CASES, ids=[f"{s}-{t}-{i}" for s, t, i in CASES])
def test_invariant_catches_broken_twin(scenario, twin, invariant):
    import ftlab

    if scenario in NEEDS and not hasattr(ftlab, NEEDS[scenario]):
        pytest.skip(f"ftlab.{NEEDS[scenario]} is not built yet (the scenario takes its exception class from ftlab)")
    # Most twins break every Nth call, so the twin must get enough calls; and a round ends at its
    # first violation or error, which may be another invariant than this case's (a mutating map
    # breaks `old_version_unchanged` and `shared_version_stable`, whichever a round sees first).
    # So rounds accumulate until this case's invariant fires; see MIN_ROUNDS / MIN_OPS.
    rounds = ops = 0
    seen: dict[str, int] = {}
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while True:
        result = run_inprocess(scenario, f"stress_twins:{twin}")
        rounds += 1
        ops += result["ops"]
        details = result.get("violation_details") or {}
        for name, entry in details.items():
            seen[name] = seen.get(name, 0) + entry["count"]
        if invariant in details or not result["ops"]:  # fired, or a round that cannot run at all
            break
        if (rounds >= MIN_ROUNDS and ops >= MIN_OPS) or time.monotonic() > give_up:
            break
    assert invariant in details, (
        f"{invariant!r} never fired against {twin} in {rounds} rounds, {ops} operations; "
        f"other invariants that fired: {seen or 'none'}; last round: {result['outcome']}: {result['detail']}")


def test_every_invariant_of_every_builtin_scenario_has_a_case():
    """The table above covers every invariant name a built-in scenario module can report."""
    import re

    module_of = {name: src.ref.rsplit(".", 1)[-1] for name, src in _SOURCES.items()}
    covered = {(module_of[s], i) for s, _, i in CASES}
    persistent_users = {module_of[s] for s in ("frozen_map", "rpds.hash_trie_map")}
    missing = []
    files = sorted((ROOT / "python" / "ftlab_harness" / "scenarios").glob("[!_]*.py")) + [ROOT / "python" / "ftlab_harness" / "persistent.py"]
    for path in files:
        text = path.read_text()
        names = set(re.findall(r'(?:check|violation)\([^"]*?"([a-z_]+)"', text))
        assert names or path.stem == "__init__", f"no invariant found in {path.name}"
        for name in names:
            modules = persistent_users if path.stem == "persistent" else {path.stem}
            missing += [(m, name) for m in modules if (m, name) not in covered]
    assert not missing, f"invariants without a broken-twin case: {missing}"


def test_the_real_rpds_passes_the_same_run():
    result = run_inprocess("rpds.hash_trie_map", "rpds")
    assert result["outcome"] == "pass", result

"""Tests of the zero-code engine: discovery, learning, rounds, findings, isolation, CLI, bad input.

Targets are the small classes of `zerocode_targets.py` (beside this file, put on the child's
PYTHONPATH). Runs on CPython 3.9-3.13t without ftlab; each isolated run takes a few seconds.
"""

from __future__ import annotations

import collections
import os
import sys
from typing import Any

import pytest

from ftlab_harness.zerocode import cli
from ftlab_harness.zerocode.hammer import BadTarget, Config, load_target, run_in_process
from ftlab_harness.zerocode.history import Finding, normalise
from ftlab_harness.zerocode.ops import discover
from ftlab_harness.zerocode.parent import ZeroCodeResult, run_isolated

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def quick(target: str, **kw: Any) -> list[Finding]:
    events: list[tuple[str, dict]] = []
    cfg = Config(target=target, seconds=kw.pop("seconds", 3.0), seed=kw.pop("seed", 1), learn_seconds=3.0, **kw)
    return run_in_process(cfg, lambda k, d: events.append((k, d)))


def test_discovers_methods_properties_and_protocols() -> None:
    names = {t.name for t in discover(collections.OrderedDict(a=1))}
    assert {"move_to_end", "popitem", "iter", "len", "getitem", "setitem", "delitem", "contains", "repr"} <= names
    gen = (i for i in range(3))
    names = {t.name for t in discover(gen)}
    assert "next" in names and "iter" not in names  # an iterator: next, never "drain me"


def test_explicit_ops_with_literal_arguments() -> None:
    [t] = discover([1, 2, 3], include=["index(2)"])
    assert t.fixed is not None and t.fixed.args == (2,)
    with pytest.raises(ValueError):
        discover([1], include=["no_such_op"])


def test_normalise_makes_results_comparable() -> None:
    class Opaque:
        pass

    assert normalise(float("nan")) == normalise(float("nan"))
    assert normalise(Opaque())[0] == "Opaque"  # default repr: by type and pickle, no address
    obj = object()
    assert normalise(obj, target=obj) == ("self",)
    assert normalise({"b": 1, "a": [1, 2]}) == ("dict", (("b", 1), ("a", ("list", (1, 2)))))


def test_racy_counter_is_not_linearizable() -> None:
    findings = quick("zerocode_targets:RacyCounter", mode="lincheck")
    assert findings and findings[0].kind == "not_linearizable"
    assert "add" in findings[0].history and findings[0].seed == 1


def test_locked_counter_is_clean() -> None:
    assert quick("zerocode_targets:LockedCounter", seconds=1.5) == []


def test_deque_at_its_ends_is_clean() -> None:
    assert quick("collections:deque", ops=["append", "appendleft", "pop", "popleft", "len"], seconds=1.5) == []


def test_exception_never_raised_alone_is_a_finding() -> None:
    findings = quick("zerocode_targets:BusyFlag", mode="hammer")
    assert findings and findings[0].kind == "unexpected_exception" and "RuntimeError" in findings[0].detail


def test_learning_excludes_an_operation_that_blocks_alone() -> None:
    """`Gate.wait` never returns on a fresh gate: learning gives up on it after LEARN_OP_TIMEOUT,
    excludes it with the reason, and the rest of the plan is the same on every run."""
    import random
    import time

    from ftlab_harness.zerocode.hammer import LEARN_OP_TIMEOUT, learn
    from ftlab_harness.zerocode.ops import Values, make_apply

    factory, _ = load_target("zerocode_targets:Gate")

    def plan() -> Any:
        return learn(factory, discover(factory()), Values(), make_apply(), random.Random(2), 3.0)

    t0 = time.monotonic()
    first = plan()
    assert time.monotonic() - t0 < 30 * LEARN_OP_TIMEOUT
    assert "blocked for" in first.excluded["wait"], first.excluded
    assert {t.name for t in first.templates} >= {"open", "is_open"} and "wait" not in {t.name for t in first.templates}
    assert first.summary() == plan().summary()


def test_replay_round_regenerates_the_same_scenario() -> None:
    import random

    from ftlab_harness.zerocode.hammer import learn, round_scenario
    from ftlab_harness.zerocode.ops import Values, make_apply

    factory, _ = load_target("collections:deque")
    cfg = Config(target="collections:deque", seed=5)

    def plan() -> Any:
        return learn(factory, discover(factory(), include=["append", "pop"]), Values(), make_apply(), random.Random(5), 3.0)

    assert round_scenario(cfg, plan(), 17)[1] == round_scenario(cfg, plan(), 17)[1]


@pytest.mark.parametrize("target,needle", [
    ("nocolon", "expected module:factory"),
    ("no_such_module_xyz:f", "cannot import"),
    ("collections:no_such_attr", "has no attribute"),
    ("collections:deque(", "not an expression"),
    ("zerocode_targets:make_raises", "factory raised OSError"),
    ("importlib:import_module('json')", "returned the same object twice"),  # a module persists across rounds
])
def test_bad_targets_are_one_line_errors(target: str, needle: str) -> None:
    with pytest.raises(BadTarget) as e:
        quick(target, seconds=0.2)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_factory_expression_with_arguments() -> None:
    factory, literals = load_target("collections:OrderedDict.fromkeys('ab', 0)")
    assert factory() == {"a": 0, "b": 0} and "ab" in literals


# ---------------------------------------------------------------- isolated runs (child process)


def isolated(target: str, **kw: Any) -> ZeroCodeResult:
    cfg = Config(target=target, seconds=kw.pop("seconds", 3.0), seed=1, learn_seconds=3.0, **kw)
    return run_isolated(cfg, [HERE])


def test_isolated_crash_is_a_finding_with_stacks() -> None:
    res = isolated("zerocode_targets:Crasher", ops=["safe", "boom"])
    assert res.outcome == "finding" and res.finding_kind == "crash", res
    assert "SIGSEGV" in res.detail and "boom" in res.stacks


def test_isolated_deadlock_is_a_hang_with_stacks() -> None:
    res = isolated("zerocode_targets:TwoLocks", round_timeout=1.0, seconds=10)
    assert res.outcome == "finding" and res.finding_kind == "hang", res
    assert "ab" in res.stacks or "ba" in res.stacks


def test_isolated_clean_run_and_record_round_trip() -> None:
    res = isolated("zerocode_targets:LockedCounter", seconds=1.0)
    assert res.outcome == "clean", res
    assert res.progress["rounds"] > 0 and res.plan["operations"]
    assert ZeroCodeResult.from_json(res.as_json()) == res


def test_isolated_bad_target_is_bad_input() -> None:
    res = isolated("zerocode_targets:make_raises")
    assert res.outcome == "bad_input" and "OSError" in res.detail


def test_normaliser_option_is_applied() -> None:
    assert quick("zerocode_targets:LockedCounter", normaliser="zerocode_targets:shout", seconds=0.5) == []
    with pytest.raises(BadTarget):
        quick("zerocode_targets:LockedCounter", normaliser="zerocode_targets:nope", seconds=0.5)


# ---------------------------------------------------------------- CLI exit codes


def test_cli_usage_errors_exit_2(capsys: Any) -> None:
    assert cli.main(["collections:deque", "--seconds", "-1"]) == 2
    assert cli.main([]) == 2
    assert "error" in capsys.readouterr().err


def test_cli_bad_target_exits_2_with_one_line(capsys: Any) -> None:
    assert cli.main(["no_such_module_xyz:f", "--seconds", "0.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot import" in err


def test_cli_finding_exits_1_and_writes_jsonl(tmp_path: Any, capsys: Any) -> None:
    out = tmp_path / "zc.jsonl"
    code = cli.main(["zerocode_targets:RacyCounter", "--seconds", "3", "--seed", "1", "--path", HERE,
                     "--mode", "lincheck", "--jsonl", str(out), "--learn-seconds", "3"])
    assert code == 1
    assert "FOUND not_linearizable" in capsys.readouterr().out
    import json

    [rec] = [json.loads(x) for x in out.read_text().splitlines()]
    assert rec["kind"] == "zerocode" and rec["schema_version"] == 1 and rec["finding_kind"] == "not_linearizable"


def test_split_keeps_commas_inside_parentheses() -> None:
    assert cli._split(["a,b(1, 2),c"]) == ["a", "b(1, 2)", "c"]


def test_assert_no_finding_for_test_suites() -> None:
    from ftlab_harness.zerocode import assert_no_finding

    assert assert_no_finding("zerocode_targets:LockedCounter", [HERE], seconds=0.5, learn_seconds=3.0).outcome == "clean"
    with pytest.raises(AssertionError, match="not_linearizable"):
        assert_no_finding("zerocode_targets:RacyCounter", [HERE], seconds=3.0, mode="lincheck", learn_seconds=3.0)


# ---------------------------------------------------------------- issue 21: trust


# CPython 3.13.5t's own bugs the mode finds on these (docs/zerocode.md, "Trust"), left out so the
# test checks the harness: pickling a list racing an insert crashes (gh-146533), deque.index reads
# its stop outside the lock (gh-150750).
KNOWN_CPYTHON_BUGS = {"builtins:list()": ["pickle"], "collections:deque()": ["index"]}


def test_correct_builtin_containers_are_clean() -> None:
    # Each was flagged before the atomicity model and the sound state keys (set in 3 of 3 10 s
    # runs). In a child: a CPython crash must not take the test process with it.
    # set() is left out: a fresh-clone run flagged it once with len() excluded (50 of 54 calls,
    # intersection_update/intersection; not reproduced in 9 runs since) -- open, docs/zerocode.md.
    for target in ("builtins:list()", "builtins:dict()", "collections:deque()"):
        res = run_isolated(Config(target=target, seconds=2.0, seed=7, exclude=KNOWN_CPYTHON_BUGS.get(target, [])))
        assert res.outcome == "clean", (target, res.detail, res.history)


def test_an_invented_value_from_iteration_is_a_finding() -> None:
    findings = quick("zerocode_targets:TornIterBag", seconds=10.0, ops=["add", "iter", "len"], mode="lincheck")
    assert findings and findings[0].kind == "impossible_value", findings
    assert "-7" in findings[0].detail


def test_iteration_is_composite_and_views_are_read_by_element() -> None:
    [t] = discover([1], include=["iter"])
    assert t.composite
    assert normalise({"a": 1}.values()) == ("dict_values", (1,))


def test_changed_size_during_iteration_from_an_atomic_call_is_a_finding() -> None:
    findings = quick("zerocode_targets:NativeLookingMap", seconds=10.0, mode="hammer")
    assert findings and findings[0].kind == "unexpected_exception" and "RuntimeError" in findings[0].detail, findings
    # The user may still declare it by design, everywhere:
    assert quick("zerocode_targets:NativeLookingMap", seconds=2.0, mode="hammer", transient=["RuntimeError:during iteration"]) == []
    # A method written in Python iterates in steps and promises no atomicity: by design there.
    assert quick("zerocode_targets:SelfUpdatingMap", seconds=2.0, mode="hammer") == []


def test_no_default_transients_reports_a_by_design_exception() -> None:
    target = "zerocode_targets:ExportGuard"
    assert quick(target, seconds=2.0, mode="hammer") == []
    findings = quick(target, seconds=10.0, mode="hammer", default_transients=False)
    assert findings and "BufferError" in findings[0].detail, findings


def test_a_history_without_overlap_is_never_a_violation() -> None:
    from ftlab_harness.zerocode.hammer import Plan, _no_overlap, _note_nondeterminism
    from ftlab_harness.zerocode.history import Call, Op
    from ftlab_harness.zerocode.lincheck import Replayer, check
    from ftlab_harness.zerocode.ops import Values, make_apply

    # `depth` depends on the caller's stack: the worker's answer is not the replay's.
    calls = [Call(0, 0, Op("append", args=(1,)), 0, 10, True, None), Call(1, 0, Op("pop"), 20, 30, True, 2)]
    rep = Replayer(list, make_apply())
    assert check(calls, rep).linearizable is False and _no_overlap(calls)
    plan, events = Plan([], Values()), []
    _note_nondeterminism(plan, calls, rep, lambda k, d: events.append(k), 5)
    assert plan.nondeterministic == {"pop"} and events == ["observation"]
    assert not _no_overlap([calls[0], Call(1, 0, Op("pop"), 5, 30, True, 1)])


def test_private_optional_parameters_are_left_out() -> None:
    from ops_helpers import generated_ops

    ops = generated_ops("zerocode_targets:Knobs", "rebuild")
    assert ops and all("_depth" not in dict(op.kwargs) for op in ops)


def test_stub_annotations_in_builtins_spelling() -> None:
    from ftlab_harness.zerocode.ops import kind_of_annotation

    assert kind_of_annotation("builtins.bool") == "bool"
    assert kind_of_annotation("builtins.int | None") == "int"


def test_instance_attributes_can_be_assigned_and_deleted() -> None:
    from zerocode_targets import Knobs

    keys = {t.key for t in discover(Knobs())}
    assert {"label", "rebuild"} <= keys and "set:label" not in keys and "del:label" not in keys  # only when asked
    [w] = discover(Knobs(), include=["set:label"])
    assert w.kind == "setprop"
    [t] = discover(Knobs(), include=["del:label"])
    assert t.kind == "delattr" and t.make(__import__("random").Random(0), None).label() == "del .label"  # type: ignore[arg-type]


def test_the_child_runs_in_a_scratch_directory(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    res = run_isolated(Config(target="zerocode_targets:FileWriter", seconds=1.0, seed=1), [HERE])
    assert res.outcome == "clean", res.detail
    assert sorted(os.listdir(tmp_path)) == [], "the child wrote into the caller's directory"
    kept = run_isolated(Config(target="zerocode_targets:FileWriter", seconds=0.5, seed=1), [HERE], keep_workdir=True)
    assert kept.workdir and os.listdir(kept.workdir), "the scratch directory should hold what dump() wrote"
    import shutil

    shutil.rmtree(kept.workdir)


def test_a_crash_names_the_round_to_replay() -> None:
    res = run_isolated(Config(target="zerocode_targets:CrashWhenShared", seconds=10.0, seed=1), [HERE])
    assert res.finding_kind == "crash" and res.round is not None, res
    assert f"--replay-round {res.round}" in cli.describe(res)
    assert res.to_json()["rounds"] >= 1


# ---------------------------------------------------------------- waiting operations (issue 23)


def test_a_forgotten_notify_is_a_lost_wakeup() -> None:
    findings = quick("zerocode_targets:ForgetfulQueue()", seconds=40.0)  # found in 1-13 s (seeds 1-4, loaded machine)
    assert findings and findings[0].kind == "lost_wakeup", findings


@pytest.mark.parametrize("target", ["zerocode_targets:CondQueue()", "zerocode_targets:SlowOnce()",
                                    "zerocode_targets:ForgetfulOnce()",  # a wait with no timeout: checked for hangs only
                                    "builtins:frozenset({1, 2})", "queue:Queue()",
                                    "threading:Event()", "threading:Semaphore(2)", "threading:Barrier(2)"])
def test_correct_waiting_objects_are_clean(target: str) -> None:
    assert quick(target, seconds=3.0) == []


def test_waiting_variants_are_discovered_and_replayed_without_waiting() -> None:
    import queue

    from ftlab_harness.zerocode.ops import make_apply

    [t] = [t for t in discover(queue.Queue()) if t.blocking and t.name == "get"]
    op = t.make(__import__("random").Random(0), __import__("ftlab_harness.zerocode.ops", fromlist=["Values"]).Values())
    assert op.blocking and dict(op.kwargs)["timeout"] > 0
    import time as _time

    t0 = _time.perf_counter()
    assert make_apply()(queue.Queue(), op) == (False, ("raise", "Empty"))
    assert _time.perf_counter() - t0 < 0.05, "a replay must not wait"


def test_learning_stops_at_its_cap() -> None:
    import time as _time

    events: list[tuple[str, dict]] = []
    t0 = _time.monotonic()
    run_in_process(Config(target="zerocode_targets:SlowMethods", seconds=0.5, seed=1, learn_seconds=1.0),
                   lambda k, d: events.append((k, d)))
    plan = next(d for k, d in events if k == "plan")
    assert plan["learning_truncated"] is True
    assert plan["learn_seconds"] < 2.0, plan  # the cap plus one call in flight, not 150 sequences x 40 ms
    assert _time.monotonic() - t0 < 10


def test_module_scan_checks_every_constructible_class(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(HERE)
    code = cli.main(["scan_targets", "--seconds", "3", "--seed", "1", "--path", HERE])
    out = capsys.readouterr().out
    assert code == 1, out
    table = out[out.index("class "):]
    assert "Locked" in table and "Racy" in table and "NeedsArg" in table
    rows = {line.split()[0]: line for line in table.splitlines()[1:] if line.strip()}
    assert "clean" in rows["Locked"] and "FOUND not_linearizable" in rows["Racy"] and "not checked" in rows["NeedsArg"], table


def test_a_user_argument_generator_reaches_an_operation(capsys: Any) -> None:
    code = cli.main(["zerocode_targets:Pairs", "--seconds", "0.5", "--seed", "1", "--path", HERE, "--show-plan"])
    assert code == 2 and "put: rejected every generated argument" in capsys.readouterr().err  # no pair of ints
    code = cli.main(["zerocode_targets:Pairs", "--seconds", "0.5", "--seed", "1", "--path", HERE, "--show-plan",
                     "--arg", "pair=zerocode_targets:pair"])
    out = capsys.readouterr().out
    assert code == 0 and "kept    put" in out, out
    assert cli.main(["zerocode_targets:Pairs", "--arg", "pair"]) == 2


def test_a_result_that_looks_like_a_token_tag_is_harvested_safely() -> None:
    from ftlab_harness.zerocode.ops import Values

    v = Values()
    v.harvest_token(("list", (("list", None), "x")))  # the result ["list", None] inside a list: Counter() did this
    assert "x" in v.strs

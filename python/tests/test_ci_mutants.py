"""ftlab_ci.mutants: sites, selection, the loom mapping, verdicts, the scratch tree, a whole campaign.

The campaign test runs on a tiny fake crate whose "build" is `true` and whose layers are shell
commands (no cargo): a mutant that removes the notification the layer greps for is caught, one
that it does not look at survives, and survivors are listed first.
"""

from __future__ import annotations

import json
import time

import pytest

from ftlab_ci import mutants

SRC = "fn put(&self) {\n    self.cv.notify_one();\n    self.n.load(Ordering::Acquire);\n}\n"


def site(op: str, original: str, replacement: str, file: str = "src/lib.rs", src: str = SRC) -> mutants.Site:
    start = src.encode().index(original.encode())
    line = src[:start].count("\n") + 1
    return mutants.Site(file, op, line, 1, start, start + len(original.encode()), original, replacement, "put")


def test_apply_replaces_the_byte_range_and_refuses_a_changed_source():
    s = site("notify_removed", "self.cv.notify_one();", "")
    assert s.apply(SRC.encode()).decode() == "fn put(&self) {\n    \n    self.n.load(Ordering::Acquire);\n}\n"
    with pytest.raises(mutants.BadInput, match="changed"):
        s.apply(SRC.replace("notify_one", "notify_all").encode())
    assert s.ident == "src/lib.rs:2:1:notify_removed"
    assert s.describe() == "notify_removed in put: self.cv.notify_one();"


def test_apply_counts_bytes_not_characters():
    src = "// é\nfn f() { x.store(1, Ordering::Release); }\n"
    s = site("ordering_relaxed", "Release", "Relaxed", src=src)
    assert s.apply(src.encode()).decode() == src.replace("Release", "Relaxed")


def test_parse_sites_makes_paths_relative(tmp_path):
    line = json.dumps({"file": str(tmp_path / "src" / "a.rs"), "op": "rmw_split", "line": 3, "column": 5,
                       "start": 1, "end": 2, "original": "x", "replacement": "y", "function": "f"})
    [s] = mutants.parse_sites(line + "\n\n", tmp_path)
    assert s.file == "src/a.rs" and s.op == "rmw_split"


def make_sites() -> list[mutants.Site]:
    out = []
    for i, op in enumerate(["ordering_relaxed"] * 3 + ["notify_removed"] * 2 + ["rmw_split", "lock_order_swapped"]):
        out.append(mutants.Site(f"src/core/f{i}.rs", op, i + 1, 1, 0, 1, "x", "y"))
    return out


def test_select_quick_takes_the_first_site_of_each_main_operator():
    picks = mutants.select(make_sites(), None, [], None, quick=True)
    assert [s.op for s in picks] == ["notify_removed", "ordering_relaxed", "rmw_split", "lock_order_swapped"]
    assert picks[0].file == "src/core/f3.rs"


def test_select_max_spreads_over_operators_and_filters():
    picks = mutants.select(make_sites(), None, [], 5)
    assert [s.op for s in picks] == ["notify_removed", "ordering_relaxed", "rmw_split", "lock_order_swapped",
                                     "notify_removed"]
    assert [s.file for s in mutants.select(make_sites(), ["ordering_relaxed"], ["f1.rs"], None)] == ["src/core/f1.rs"]
    assert len(mutants.select(make_sites(), None, [], None)) == 7


def test_loom_models_map_files_to_their_models(tmp_path):
    (tmp_path / "tests").mkdir()
    for name in ("latch", "queue", "bank"):
        (tmp_path / "tests" / f"loom_{name}.rs").write_text("")
    assert mutants.loom_models(tmp_path, "src/core/queue.rs") == ["queue"]
    assert mutants.loom_models(tmp_path, "src/core/bank/broken.rs") == ["bank"]
    assert mutants.loom_models(tmp_path, "src/core/wake.rs") == ["latch", "queue"]  # once has no model here
    assert mutants.loom_models(tmp_path, "src/core/sync.rs") is None  # every model
    assert mutants.loom_models(tmp_path, "src/core/kernels.rs") == []  # none: not run


@pytest.mark.parametrize("rc, log, want", [
    (0, "", mutants.SURVIVED),
    (1, "test failed", mutants.CAUGHT),
    (None, "", mutants.TIMEOUT),
    (None, "FAILED python-tests/test_bank.py::t\n1 failed, 21 passed in 61.53s (0:01:01)\n", mutants.CAUGHT),
    (101, "error: could not compile `ftlab`", mutants.ERROR),
    (100, "     TIMEOUT [  60.007s] (49/49) ftlab core::queue::tests::x\n", mutants.TIMEOUT),
    (100, "     TIMEOUT [  60.0s] ftlab a\n        FAIL [   0.1s] ftlab b\n", mutants.CAUGHT),
    (1, "queue      put_wakes                  correct  TIMEOUT      120.00             -\n", mutants.TIMEOUT),
    (1, "queue      a  correct  TIMEOUT  1.0  -\nlatch      b  twin     NOT CAUGHT  0.1  3\n", mutants.CAUGHT),
])
def test_verdict(rc, log, want):
    assert mutants.verdict(rc, log) == want


def test_run_bounded_kills_the_process_group_at_its_bound(tmp_path):
    t0 = time.monotonic()
    rc = mutants.run_bounded(["bash", "-c", "sleep 30 & sleep 30"], tmp_path, {"PATH": "/usr/bin:/bin"}, 0.5,
                             tmp_path / "log")
    assert rc is None and time.monotonic() - t0 < 10
    assert mutants.run_bounded(["bash", "-c", "echo hi; exit 3"], tmp_path, {"PATH": "/usr/bin:/bin"}, 10,
                               tmp_path / "log") == 3
    assert (tmp_path / "log").read_text() == "hi\n"


def test_run_bounded_stops_waiting_once_the_log_has_the_verdict(tmp_path):
    t0 = time.monotonic()
    rc = mutants.run_bounded(["bash", "-c", "echo '1 failed, 2 passed in 1.0s'; sleep 60"], tmp_path,
                             {"PATH": "/usr/bin:/bin"}, 60, tmp_path / "log", mutants.PYTEST_FAILED, grace=0.5)
    assert rc == 1 and time.monotonic() - t0 < 15


def test_sync_tree_rewrites_only_changed_files(tmp_path):
    crate, tree = tmp_path / "crate", tmp_path / "tree"
    (crate / "src").mkdir(parents=True)
    (crate / "src" / "lib.rs").write_text("a")
    (crate / "Cargo.toml").write_text("b")
    files = mutants.crate_files(crate)
    assert files == ["Cargo.toml", "src/lib.rs"]
    assert mutants.sync_tree(crate, tree, files) == 2
    assert mutants.sync_tree(crate, tree, files) == 0
    (tree / "src" / "lib.rs").write_text("mutated")  # a mutant left behind by a killed run
    assert mutants.sync_tree(crate, tree, files) == 1
    assert (tree / "src" / "lib.rs").read_text() == "a"


def result(status_layers: dict[str, str], compiled: bool = True, line: int = 1) -> mutants.MutantResult:
    return mutants.MutantResult(f"f:{line}", "notify_removed", "src/f.rs", line, "f", "x", "", compiled, 1.0,
                                status_layers, dict.fromkeys(status_layers, 1.0))


def test_status_and_order_put_survivors_first():
    caught = result({"a": mutants.CAUGHT, "b": mutants.SURVIVED}, line=1)
    survived = result({"a": mutants.SURVIVED, "b": mutants.NOT_RUN}, line=2)
    hang = result({"a": mutants.TIMEOUT, "b": mutants.SURVIVED}, line=3)
    broken = result({"a": mutants.NOT_RUN}, compiled=False, line=4)
    assert [r.status() for r in (caught, survived, hang, broken)] == ["caught", "SURVIVED", "hang only",
                                                                        "does not compile"]
    assert mutants.order([broken, caught, hang, survived]) == [survived, hang, caught, broken]
    text = mutants.table([caught, survived], ["a", "b"])
    assert text.splitlines()[1].startswith("SURVIVED")
    md = mutants.table([caught, survived], ["a", "b"], markdown=True)
    assert md.splitlines()[0] == "| result | operator | site | a | b | build |"
    assert "a: caught 1/2 run" in mutants.summary([caught, survived, broken], ["a", "b"])


def test_a_campaign_on_a_fake_crate(tmp_path):
    crate = tmp_path / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "src" / "lib.rs").write_text(SRC)
    tree = tmp_path / "scratch" / "tree"
    out = tmp_path / "out"
    layers = mutants.command_layers(["notify=:grep -q notify_one src/lib.rs", "grep -q fn src/lib.rs"], 20,
                                    tmp_path / "target")
    assert [la.name for la in layers] == ["notify", "test2"]
    mutants.sync_tree(crate, tree, mutants.crate_files(crate))
    campaign = mutants.Campaign(crate, tree, tmp_path / "target", ["true"], layers, out)
    clean = campaign.clean(["src/lib.rs"])
    assert {k: v.verdict for k, v in clean.items()} == {"notify": mutants.SURVIVED, "test2": mutants.SURVIVED}
    notify = campaign.mutant(site("notify_removed", "self.cv.notify_one();", ""), 1)
    relaxed = campaign.mutant(site("ordering_relaxed", "Acquire", "Relaxed"), 2)
    assert notify.layers == {"notify": mutants.CAUGHT, "test2": mutants.SURVIVED}
    assert relaxed.layers == {"notify": mutants.SURVIVED, "test2": mutants.SURVIVED}
    assert (tree / "src" / "lib.rs").read_text() == SRC  # every mutant reverted
    assert (crate / "src" / "lib.rs").read_text() == SRC  # the crate itself never touched
    assert mutants.order([notify, relaxed])[0] is relaxed
    assert (out / "logs" / "001-lib-2-notify_removed" / "notify.log").exists()


def test_a_layer_failing_on_the_clean_build_stops_the_campaign(tmp_path):
    (tmp_path / "tree").mkdir()
    layers = mutants.command_layers(["false"], 5, tmp_path / "target")
    campaign = mutants.Campaign(tmp_path, tmp_path / "tree", tmp_path / "target", ["true"], layers, tmp_path / "o")
    with pytest.raises(mutants.BadInput, match="does not pass on the clean build"):
        campaign.clean(["src/lib.rs"])


def test_bad_options_exit_2(capsys):
    assert mutants.main(["--test-cmd", "true"]) == 2
    assert "--test-cmd goes with --crate" in capsys.readouterr().err


def test_resume_reads_the_mutant_records_back(tmp_path):
    r = result({"a": mutants.CAUGHT}, line=7)
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"kind": "clean", "layers": {}}) + "\n"
                    + json.dumps(dict(mutants.asdict(r), kind="mutant", status=r.status())) + "\n")
    [back] = mutants.load_results(path)
    assert back == r
    with pytest.raises(mutants.BadInput, match="no "):
        mutants.load_results(tmp_path / "missing.jsonl")


def test_matches_site_by_line_column_or_ident():
    s = mutants.Site("src/core/latch.rs", "ordering_relaxed", 59, 72, 0, 1, "x", "y")
    assert mutants.matches_site(s, ["latch.rs:59"])
    assert mutants.matches_site(s, ["src/core/latch.rs:59:72"])
    assert mutants.matches_site(s, ["src/core/latch.rs:59:72:ordering_relaxed"])
    assert not mutants.matches_site(s, ["latch.rs:5"])
    assert not mutants.matches_site(s, ["latch.rs:59:54"])
    assert not mutants.matches_site(s, ["once.rs:59"])

"""ftlab_ci.matrix: argument checking, step commands and record parsing (no builds, no runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ftlab_ci import labels, matrix


def test_quick_plan_is_3_13_and_3_13t_with_three_configurations():
    p = matrix.plan(True, "", "", [], {})
    assert p.interpreters == ["3.13", "3.13t"] and not p.bad_input
    names = [c.name for lb in p.interpreters for c in labels.Interpreter(lb).configurations() if p.wants(c.name)]
    assert names == ["3.13", "3.13t", "3.13t+gil"]


def test_full_plan_searches_every_label_and_adds_explicit_ones():
    p = matrix.plan(False, "", "", ["3.14t=/opt/py314t"], {})
    assert p.interpreters == list(labels.SEARCHED) + ["3.14t"]
    assert p.env_overrides == {"FTLAB_PYTHON_3_14T": "/opt/py314t"}
    assert matrix.plan(False, "", "", [], {"FTLAB_PYTHON_3_14": "/x"}).interpreters[-1] == "3.14"


def test_only_selects_interpreters_and_configurations():
    p = matrix.plan(True, "3.13t+gil", "", [], {})
    assert p.interpreters == ["3.13t"] and p.wants("3.13t+gil") and not p.wants("3.13t")


def test_bad_only_and_skip_are_one_line_messages_and_the_rest_still_runs():
    p = matrix.plan(True, "3.13,3.13+gil", "bench,nope", ["3.7=/x", "junk"], {})
    assert p.interpreters == ["3.13"] and p.skip_steps == ["bench"]
    assert len(p.bad_input) == 4 and all("\n" not in m for m in p.bad_input)
    assert any("--only '3.13+gil'" in m for m in p.bad_input)
    assert any("--skip 'nope': unknown step" in m for m in p.bad_input)
    assert p.skip_records[0]["config"] == "3.13+gil"


def test_only_with_nothing_known_runs_nothing():
    p = matrix.plan(True, "4.0", "", [], {})
    assert p.interpreters == [] and "nothing to run" in p.notes[-1]


def test_explicit_interpreter_not_selected_by_only_is_noted():
    p = matrix.plan(True, "3.13", "", ["3.14t=/x"], {})
    assert any("--python 3.14t" in n for n in p.notes)


@pytest.mark.parametrize("quick, label, hunts", [(True, "3.13t", True), (True, "3.13", False),
                                                 (False, "3.13", True), (False, "3.12", False)])
def test_where_the_hunt_runs(quick, label, hunts):
    assert matrix.plan(quick, "", "", [], {}).hunts(label) is hunts
    assert matrix.plan(quick, "", "hunt", [], {}).hunts(label) is False


def test_step_commands():
    out = Path("/o")
    assert matrix.stress_command("py", "3.13t", out / "s.jsonl", True) == \
        ["py", "-m", "ftlab_harness", "run", "--label", "3.13t", "--jsonl", "/o/s.jsonl", "--quick"]
    cfg = {"config": "3.13t", "seeded_path": "/v/seeded", "PYTHON_GIL": None, "free_threaded": True}
    assert matrix.hunt_command("py", cfg, out / "h.jsonl", False)[-3:] == ["--seeded-path", "/v/seeded",
                                                                           "--compare-pytest"]
    assert matrix.hunt_command("py", dict(cfg, PYTHON_GIL="1"), out / "h.jsonl", False)[-1] == "/v/seeded"
    assert matrix.hunt_command("py", cfg, out / "h.jsonl", True)[-1] == "--quick"
    assert matrix.bench_command("py", "3.13", out / "b.jsonl", False)[-1] == "/o/b.jsonl"
    assert "--junitxml=/o/x.xml" in matrix.pytest_command("py", out / "x.xml")
    assert matrix.envs_command("3.13t", True)[-3:] == ["--json", "--seeded", "3.13t"]


def test_subinterp_command_drives_from_the_gil_build():
    cmd = matrix.subinterp_command("/v/3.13/bin/python", "/v/3.13t/bin/python", Path("/o/s.jsonl"), True)
    assert cmd[:3] == ["/v/3.13/bin/python", "-m", "ftlab_harness.bench.subinterp_models"]
    assert cmd[cmd.index("--ft-python") + 1] == "/v/3.13t/bin/python" and cmd[-1] == "--quick"
    assert "subinterp" in matrix.STEPS


def test_read_jsonl_keeps_unparsable_lines_as_records(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_text('{"kind": "bench", "x": 1}\n\nnot json\n[1, 2]\n')
    got = matrix.read_jsonl(p)
    # Records come back through the harness's typed records (defaults filled in, extras kept).
    assert [r["kind"] for r in got] == ["bench", "unparsed", "unparsed"]
    assert got[0]["x"] == 1 and got[0]["schema_version"] == 1
    assert [r["line"] for r in got[1:]] == ["not json", "[1, 2]"]
    assert matrix.read_jsonl(tmp_path / "missing.jsonl") == []


def test_envs_json_takes_the_last_object_and_ignores_noise():
    assert matrix.envs_json("no json here\n{broken\n") is None
    log = '{"venv": "/a", "python": "a"}\nnoise\n{"venv": "/b", "python": "b"}\n'
    assert matrix.envs_json(log)["python"] == "b"


def test_probe_result():
    assert matrix.probe_result('warning\n{"version": "3.13.5"}\n', "")["version"] == "3.13.5"
    assert matrix.probe_result("", "Traceback\nImportError: no ftlab\n") == {"ftlab_error": "ImportError: no ftlab"}
    assert matrix.probe_result("", "") == {"ftlab_error": "probe failed"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_out_falls_back_with_a_note(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    out, note = matrix.usable_out(locked / "sub", tmp_path / "default")
    assert out == tmp_path / "default" and "is not writable" in note


def test_writable_out_is_used(tmp_path):
    assert matrix.usable_out(tmp_path / "o", tmp_path / "d") == (tmp_path / "o", "")


def test_usable_out_when_the_requested_path_is_a_file(tmp_path):
    (tmp_path / "file").write_text("")
    out, note = matrix.usable_out(tmp_path / "file", tmp_path / "default")
    assert out == tmp_path / "default" and note.startswith("--out ")


def test_import_jsonl_takes_result_records_and_marks_their_origin(tmp_path):
    f = tmp_path / "hunt.jsonl"
    f.write_text('{"kind": "hunt", "bug": "lost_update", "detected": true, "label": "3.13t-loaded"}\n'
                 '{"kind": "run", "quick": true}\n'
                 '{"kind": "tsan", "signature": "x"}\n')
    taken, problem = matrix.imported_records(f)
    assert not problem
    assert [r["kind"] for r in taken] == ["hunt", "tsan"]  # the other run's bookkeeping stays out
    assert all(r["imported_from"] == str(f) for r in taken)
    assert [r["config"] for r in taken] == ["3.13t-loaded", "hunt"]  # the label, else the file's name


@pytest.mark.parametrize("content", [None, "", '{"kind": "run"}\n'])
def test_import_jsonl_of_nothing_is_one_line_of_bad_input(tmp_path, content):
    f = tmp_path / "x.jsonl"
    if content is not None:
        f.write_text(content)
    taken, problem = matrix.imported_records(f)
    assert taken == [] and problem.startswith(f"--import-jsonl {f}") and "\n" not in problem

"""ftlab_ci.envs: bad input, the --json line the matrix reads back, the rebuild digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlab_ci import envs, matrix


def test_bad_label_is_one_line_exit_2_before_anything_is_built(capsys):
    assert envs.main(["3.13", "3.77"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("envs: error: unknown interpreter label '3.77'") and "\n" not in err


def test_interpreter_for_an_unknown_label_is_no_interpreter():
    with pytest.raises(envs.NoInterpreter, match="unknown interpreter label"):
        envs.interpreter("2.7")


def test_json_line_round_trips_through_the_matrix_reader():
    line = envs.json_line("3.13t", Path("/v/3.13t"), Path("/v/3.13t/seeded"),
                          {"version": "3.13.5", "free_threaded": True})
    rec = json.loads(line)
    assert rec["python"] == "/v/3.13t/bin/python" and rec["seeded_path"] == "/v/3.13t/seeded"
    log = "[envs] building\n" + line + "\n[envs] done\n"
    assert matrix.envs_json(log) == rec
    assert json.loads(envs.json_line("3.13", Path("/v/3.13"), None, {"version": "3.13.0",
                                                                     "free_threaded": False}))["seeded_path"] is None


def test_source_digest_depends_on_the_features():
    assert envs.source_digest("") != envs.source_digest("seeded-bugs")
    assert envs.source_digest("") == envs.source_digest("")

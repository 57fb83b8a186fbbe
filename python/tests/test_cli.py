"""`ftlab-harness` command line: bad input at the new flags is one line and exit 2; exit codes."""

from __future__ import annotations

import pytest
from conftest import missing_target_scenario, passing_scenario

from ftlab_harness import cli

pytestmark = pytest.mark.thread_unsafe(reason="changes the working directory and reads the process streams")

SCENARIO = passing_scenario("cli") + missing_target_scenario("Skipped", "cli.skipped")


@pytest.fixture
def scen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "scen.py"
    f.write_text(SCENARIO)
    return str(f)


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--junit-xml", "scen.py/j.xml"], "is not a writable directory"),
    (["run", "--junit-xml", "."], "is a directory"),
    (["run", "--jsonl", "scen.py/sub/r.jsonl"], "is not a writable directory"),
    (["hunt", "--junit-xml", "."], "is a directory"),
    (["run", "--threads", "0"], "must be > 0"),
])
def test_bad_flags_are_one_line_and_exit_2(scen, capsys, args, message):
    assert cli.main([*args, "--scenarios", scen]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_exit_codes_clean_and_nothing_checked(scen, tmp_path, capsys):
    base = ["run", "--scenarios", scen, "--duration", "0.2", "--threads", "2", "--jsonl", str(tmp_path / "r.jsonl")]
    assert cli.main([*base, "--scenario", "cli.passes", "--junit-xml", str(tmp_path / "out" / "j.xml")]) == 0
    assert (tmp_path / "out" / "j.xml").exists()
    assert cli.main([*base, "--scenario", "cli.skipped"]) == 3  # everything skipped: nothing checked, not clean
    assert "nothing was checked (exit 3)" in capsys.readouterr().out

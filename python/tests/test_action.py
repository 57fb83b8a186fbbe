"""The GitHub Action's step (`ftlab_harness.action`) and its wiring in `action.yml`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import passing_scenario

from ftlab_harness import action

pytestmark = pytest.mark.thread_unsafe(reason="changes the working directory and reads the process streams")

ACTION_YML = Path(__file__).resolve().parents[2] / "action.yml"
SCENARIO = passing_scenario("action") + '''
class Violates(Scenario):
    name = "action.violates"
    target = "threading"
    def finish(self, run):
        run.check(False, "never_holds", "as designed")
    def step(self, w):
        pass
'''


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scen.py").write_text(SCENARIO)
    return tmp_path


@pytest.mark.parametrize(("env", "message"), [
    ({}, "input scenarios: required"),
    ({"FTLAB_SCENARIOS": "missing.py"}, "input scenarios: missing.py does not exist"),
    ({"FTLAB_SCENARIOS": "scen.py", "FTLAB_DURATION": "soon"}, "input duration: 'soon' is not a number"),
    ({"FTLAB_SCENARIOS": "scen.py", "FTLAB_DURATION": "-1"}, "input duration: must be > 0"),
    ({"FTLAB_SCENARIOS": "scen.py", "FTLAB_THREADS": "0"}, "input threads: must be > 0"),
    ({"FTLAB_SCENARIOS": "scen.py", "FTLAB_THREADS": "2.5"}, "input threads: '2.5' is not a whole number"),
    ({"FTLAB_SCENARIOS": "scen.py", "FTLAB_ALLOW_GIL": "yes"}, "input allow-gil: must be true or false"),
    ({"FTLAB_SCENARIOS": "scen.py", "FTLAB_SCENARIO": "nope"}, "unknown scenario 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2(workspace, capsys, env, message):
    assert action.main(env) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


@pytest.mark.parametrize(("scenario", "code"), [("action.passes", 0), ("action.violates", 1)])
def test_runs_and_reports_the_exit_code_through_github_output(workspace, scenario, code):
    out = workspace / "github_output"
    env = {"FTLAB_SCENARIOS": "scen.py", "FTLAB_SCENARIO": scenario, "FTLAB_DURATION": "0.2",
           "FTLAB_THREADS": "2", "GITHUB_OUTPUT": str(out)}
    assert action.main(env) == 0  # the step itself succeeds, so the report is uploaded first
    assert f"exit-code={code}\n" in out.read_text()
    from ftlab_harness.junit import read_junit

    report = read_junit(workspace / "ftlab-harness-out" / "junit.xml")
    assert len(report.cases) == 1 and (report.cases[0].outcome == "passed") == (code == 0)


def test_action_yml_passes_every_input_through_env():
    text = ACTION_YML.read_text()
    inputs = set(re.findall(r"^  ([a-z-]+):\n    description:", text.split("\noutputs:")[0], re.M))
    assert {"python-version", "install", "scenarios", "scenario", "duration", "threads", "allow-gil"} <= inputs
    for name in inputs:
        assert f"inputs.{name} }}}}" in text, f"input {name} is never used"
    read = set(re.findall(r'env.get\("(FTLAB_[A-Z_]+)"\)', Path(action.__file__).read_text()))
    for var in read:
        assert f"{var}:" in text, f"action.yml does not set {var}"

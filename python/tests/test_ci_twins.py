"""ftlab_ci.twins: one pytest process per bug, a hard timeout, HANG rows, merged verdicts.

The end-to-end test runs a tiny fake test directory (no ftlab needed) with this interpreter's
pytest: a twin that hangs forever is reported as HANG and the next bug's detectors still run.
"""

from __future__ import annotations

import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from ftlab_ci import junit, twins

pytest.importorskip("pytest_timeout")


def test_parse_collect_and_group_by_bug():
    out = ("noise\nDETECTS python-tests/test_counter.py::test_a[X] lost_update\n"
           "DETECTS python-tests/test_bank.py::test_b check_then_act\n"
           "DETECTS python-tests/test_counter.py::test_c lost_update\nDETECTS broken\n")
    found = twins.parse_collect(out)
    assert twins.by_bug(found) == {
        "check_then_act": ["python-tests/test_bank.py::test_b"],
        "lost_update": ["python-tests/test_counter.py::test_a[X]", "python-tests/test_counter.py::test_c"],
    }
    assert twins.short("python-tests/test_counter.py::test_a[X]") == "test_counter.py::test_a[X]"


@pytest.mark.parametrize("outcome, message, want", [
    ("failure", "AssertionError: 3 adds lost", "caught"),
    ("passed", "", "MISSED"),
    ("failure", "Failed: Timeout (>5.0s) from pytest-timeout.", "HANG (Failed: Timeout (>5.0s) from pytest-timeout.)"),
    ("error", "ImportError: x\nmore", "ERROR: ImportError: x"),
    ("skipped", "why", "skipped"),
])
def test_verdicts(outcome, message, want):
    assert twins.verdict(junit.Case("d.test_x", "t", 0.1, outcome, message)) == want


def test_rows_for_a_killed_process_use_the_verbose_log():
    tests = ["d/test_x.py::t1", "d/test_x.py::t2", "d/test_x.py::t3"]
    log = "d/test_x.py::t1 FAILED   [ 33%]\nd/test_x.py::t2 "
    rows = twins.rows_for("bug", tests, [], "timeout", log, timed_out=True, timeout=60)
    assert [r.verdict for r in rows] == ["caught", "HANG (killed after 60 s)", "HANG (killed after 60 s)"]
    assert [r.seconds for r in rows] == [None, 60, 60]


def test_find_case_matches_module_and_class_tests():
    cases = [junit.Case("python-tests.test_x", "t[a]", 0.1, "passed"),
             junit.Case("python-tests.test_y.TestThing", "t[a]", 0.2, "failure", "AssertionError")]
    assert twins.find_case("python-tests/test_x.py::t[a]", cases) is cases[0]
    assert twins.find_case("python-tests/test_y.py::TestThing::t[a]", cases) is cases[1]
    assert twins.find_case("python-tests/test_z.py::t[a]", cases) is None


def test_rows_for_a_process_that_wrote_no_junit_and_was_not_killed():
    rows = twins.rows_for("bug", ["d/test_x.py::t1"], [], -11, "", timed_out=False, timeout=60)
    assert rows[0].verdict == "ERROR: no JUnit result (pytest exit -11)"


def test_pytest_command_selects_one_bugs_detectors_with_its_own_junit():
    cmd = twins.pytest_command("py", ["a.py::t1", "a.py::t2"], Path("/o/bug.xml"), 115)
    assert cmd[3:5] == ["a.py::t1", "a.py::t2"] and "--junitxml=/o/bug.xml" in cmd and "--timeout=115" in cmd


GIL_ON = twins.Probe(gil_enabled=True, bugs=["lost_update", "lost_wakeup_queue"], gil_proof=["lost_wakeup_queue"])


@pytest.mark.parametrize("require, found, want", [
    ("auto", GIL_ON, {"lost_update": False, "lost_wakeup_queue": True}),
    ("all", GIL_ON, {"lost_update": True, "lost_wakeup_queue": True}),
    ("auto", twins.Probe(gil_enabled=False, bugs=[], gil_proof=["lost_wakeup_queue"]),
     {"lost_update": True, "lost_wakeup_queue": True}),
    # A probe that failed excuses nothing, whatever it guessed of the GIL.
    ("auto", twins.Probe(gil_enabled=True, bugs=[], gil_proof=[], error="probe failed"),
     {"lost_update": True, "lost_wakeup_queue": True}),
])
def test_which_detectors_must_catch_their_twin(require, found, want):
    assert {bug: twins.required(bug, require, found) for bug in want} == want


def test_with_the_gil_on_only_a_gil_proof_miss_fails_the_run():
    def row(bug, verdict, required):
        return twins.Row(bug, f"test_{bug}", verdict, 1.0, required)

    excused_miss = [row("lost_wakeup_queue", "caught", True), row("lost_update", "MISSED", False)]
    line, rc = twins.verdict_line(excused_miss)
    assert rc == 0 and line.startswith("1/1 required detectors caught their twin; 0 of the other 1 too")
    assert excused_miss[1].shown == "passed (GIL on: not required)"
    # The broken twins of this rule: a required miss, and an excused detector that errs or hangs.
    assert twins.verdict_line([row("lost_wakeup_queue", "MISSED", True), excused_miss[1]])[1] == 1
    assert twins.verdict_line([excused_miss[0], row("lost_update", "ERROR: boom", False)])[1] == 1
    assert twins.verdict_line([excused_miss[0], row("lost_update", "HANG (killed after 60 s)", False)])[1] == 1
    assert twins.verdict_line([row("lost_update", "caught", True)]) == ("1/1 detectors caught their twin", 0)


def test_the_probe_reads_the_gil_its_detectors_run_with(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}
    found = twins.probe(sys.executable, {**env, "PYTHON_GIL": "1"})
    assert found.gil_enabled is True
    assert found.error.startswith("ModuleNotFoundError")  # this venv's ftlab is not the seeded build
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        assert twins.probe(sys.executable, {**env, "PYTHON_GIL": "0"}).gil_enabled is False


def test_usage_errors_exit_2(capsys):
    assert twins.main(["3.77"]) == 2
    assert twins.main(["3.13t", "--jobs", "0"]) == 2
    assert twins.main(["--bogus"]) == 2


FAKE_CONFTEST = """
def pytest_configure(config):
    config.addinivalue_line("markers", "detects(bug): fails on the twin of bug")
"""

FAKE_TESTS = """
import signal, threading
import pytest

@pytest.mark.detects("a_deadlock")
def test_hangs_forever():
    # Like a thread stuck in a Rust lock during a stop-the-world pause: no Python code runs
    # again, so pytest-timeout's SIGALRM handler cannot help (here: the signal is blocked).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()

@pytest.mark.detects("b_lost_update")
def test_catches():
    assert 1 + 1 == 3, "lost an update"

@pytest.mark.detects("c_weak_check")
def test_misses():
    pass

@pytest.mark.detects("d_crash")
def test_errors():
    raise RuntimeError("not an assertion")
"""


def test_a_hanging_twin_is_a_hang_row_and_the_next_bugs_still_run(tmp_path, capsys):
    tests = tmp_path / "fake_tests"
    tests.mkdir()
    (tests / "conftest.py").write_text(textwrap.dedent(FAKE_CONFTEST))
    (tests / "test_fake.py").write_text(textwrap.dedent(FAKE_TESTS))
    seeded = tmp_path / "seeded"
    seeded.mkdir()
    rc = twins.main(["3.13t", "--python", sys.executable, "--seeded", str(seeded), "--tests", str(tests),
                     "--out", str(tmp_path / "out"), "--timeout", "8", "--jobs", "1", "--require", "all"])
    out = capsys.readouterr().out
    rows = {line.split()[1]: line for line in out.splitlines() if "test_fake.py::" in line}
    assert rc == 1
    assert "HANG (killed after 8 s)" in rows["test_fake.py::test_hangs_forever"]
    assert rows["test_fake.py::test_catches"].endswith("caught")
    assert rows["test_fake.py::test_misses"].endswith("MISSED")
    assert "ERROR: RuntimeError: not an assertion" in rows["test_fake.py::test_errors"]
    assert "1/4 detectors caught their twin" in out
    # The hang cost one timeout, not the run: the bugs after it ran, one process each, sequentially.
    # (No wall-clock bound: four pytest start-ups took 12 s quiet and 49 s beside two busy
    # processes on 3.13t; the row above says the hung process was killed at its 8 s timeout.)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.xml")) == [
        "pytest-twins-b_lost_update.xml", "pytest-twins-c_weak_check.xml", "pytest-twins-d_crash.xml"]
    assert (tmp_path / "out" / "pytest-twins-a_deadlock.log").exists()

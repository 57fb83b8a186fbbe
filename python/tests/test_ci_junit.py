"""ftlab_ci.junit: the one JUnit reader of the ci/ logic."""

from __future__ import annotations

from ftlab_ci import junit

XML = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4" failures="1" errors="1" skipped="1">
<testcase classname="python-tests.test_counter" name="test_a[AtomicCounter]" time="0.25">
  <failure message="AssertionError: lost 3 of 4000 adds">trace</failure></testcase>
<testcase classname="python-tests.test_bank" name="test_b" time="1.5"/>
<testcase classname="python-tests.test_once" name="test_c" time="0.01">
  <error message="ImportError: no module named ftlab._seeded&#10;more">trace</error></testcase>
<testcase classname="python-tests.test_queue" name="test_d" time="x"><skipped message="why"/></testcase>
</testsuite></testsuites>
"""


def test_read_junit_outcomes_seconds_and_nodeids(tmp_path):
    p = tmp_path / "j.xml"
    p.write_text(XML)
    cases = junit.read_junit(p)
    assert [c.outcome for c in cases] == ["failure", "passed", "error", "skipped"]
    assert [c.nodeid for c in cases] == ["test_counter.py::test_a[AtomicCounter]", "test_bank.py::test_b",
                                         "test_once.py::test_c", "test_queue.py::test_d"]
    assert cases[0].seconds == 0.25 and cases[0].message.startswith("AssertionError")
    assert cases[3].seconds == 0.0  # an unparsable time is 0, not an exception
    assert junit.counts(cases) == {"tests": 4, "passed": 1, "failures": 1, "errors": 1, "skipped": 1}
    assert junit.first_line(cases[2].message) == "ImportError: no module named ftlab._seeded"


def test_bare_testsuite_root(tmp_path):
    p = tmp_path / "j.xml"
    p.write_text('<testsuite><testcase classname="t" name="x" time="1"/></testsuite>')
    assert junit.counts(junit.read_junit(p))["passed"] == 1


def test_missing_or_broken_file_is_empty(tmp_path):
    assert junit.read_junit(tmp_path / "nope.xml") == []
    (tmp_path / "bad.xml").write_text("<testsuite><testcase")
    assert junit.read_junit(tmp_path / "bad.xml") == []

"""JUnit writer and the one reader (`ftlab_harness.junit`)."""

from __future__ import annotations

import pytest

from ftlab_harness import junit


def rec(outcome: str, **kw):
    base = {"kind": "stress-run", "scenario": "s." + outcome, "label": "3.13t", "outcome": outcome,
            "detail": f"{outcome} happened\nsecond line", "wall_seconds": 1.5, "ops": 3}
    base.update(kw)
    return base


def test_one_testcase_per_scenario_run_and_failures_carry_the_detail(tmp_path):
    path = tmp_path / "out" / "j.xml"
    records = [rec("pass"), rec("violation", violation_details={"inv": {"count": 2, "details": ["worker 1: boom"]}}),
               rec("crash", signal="SIGSEGV", detail="child killed by SIGSEGV\nFatal Python error\x00"),
               rec("timeout"), rec("skipped"), {"kind": "config", "config": "x"}]
    junit.write_junit(path, records)
    report = junit.read_junit(path)
    assert [c.name for c in report.cases] == ["s.pass[3.13t]", "s.violation[3.13t]", "s.crash[3.13t]",
                                              "s.timeout[3.13t]", "s.skipped[3.13t]"]
    assert report.counts() == {"passed": 1, "failed": 3, "error": 0, "skipped": 1}
    viol = report.cases[1]
    assert viol.type == "violation" and viol.message == "violation happened"
    assert "invariant inv: 2 violation(s)" in viol.text and "worker 1: boom" in viol.text
    crash = report.cases[2]
    assert "SIGSEGV" in crash.text and "\x00" not in crash.text


def test_hunt_records(tmp_path):
    path = tmp_path / "h.xml"
    junit.write_junit(path, [
        {"kind": "hunt", "bug": "lost_update", "detected": True, "outcome": "violation"},
        {"kind": "hunt", "bug": "torn", "detected": False, "outcome": "pass", "required": True},
        {"kind": "hunt", "bug": "gil_only", "detected": False, "outcome": "pass", "required": False},
        {"kind": "hunt-clean", "scenario": "bank", "false_alarm": True, "outcome": "violation", "detail": "x"},
    ])
    assert junit.read_junit(path).outcomes() == {"lost_update": "passed", "torn": "failed", "gil_only": "skipped",
                                                 "bank": "failed"}


def test_reads_pytest_style_single_testsuite(tmp_path):
    path = tmp_path / "p.xml"
    path.write_text('<testsuite name="pytest" tests="3"><testcase classname="t" name="a" time="0.1"/>'
                    '<testcase classname="t" name="b"><failure message="assert 0">tb</failure></testcase>'
                    '<testcase classname="t" name="c"><error message="E"/></testcase></testsuite>')
    report = junit.read_junit(path)
    assert report.outcomes() == {"a": "passed", "b": "failed", "c": "error"}
    assert report.cases[1].message == "assert 0" and report.cases[1].text == "tb"


@pytest.mark.parametrize("content", [None, "not xml <", "<html/>"])
def test_unreadable_files_are_one_line_errors(tmp_path, content):
    path = tmp_path / "bad.xml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(junit.JunitError) as info:
        junit.read_junit(path)
    assert "\n" not in str(info.value)

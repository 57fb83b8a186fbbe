"""ftlab_ci.loadtest: verdict rows from JUnit cases and hunt records; busy processes stop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ftlab_ci import junit, loadtest


def test_pytest_rows_need_a_failure_within_the_limit():
    cases = [junit.Case("python-tests.test_a", "caught_fast", 1.0, "failure"),
             junit.Case("python-tests.test_a", "caught_slow", 31.0, "failure"),
             junit.Case("python-tests.test_a", "missed", 0.5, "passed"),
             junit.Case("python-tests.test_a", "broken", 0.5, "error")]
    rows = loadtest.pytest_rows(cases, 30.0)
    assert [r.ok for r in rows] == [True, False, False, False]
    assert rows[1].verdict == "caught, OVER 30 s"
    assert rows[2].verdict == "NOT caught (passed)"


def test_hunt_rows_need_detection_within_the_limit():
    records = [{"kind": "hunt", "bug": "a", "detected": True, "detector": "x", "seconds_to_detect": 2.0},
               {"kind": "hunt", "bug": "b", "detected": True, "detector": "x", "seconds_to_detect": 45.0},
               {"kind": "hunt", "bug": "c", "detected": False, "wall_seconds": 20.0},
               {"kind": "hunt", "bug": "d", "detected": False, "wall_seconds": 20.0, "required": True},
               {"kind": "hunt", "bug": "tsan_only", "detected": False, "wall_seconds": 20.0, "required": False},
               {"kind": "hunt-clean", "scenario": "s"}]
    rows = loadtest.hunt_rows(records, 30.0)
    assert [(r.name, r.ok) for r in rows] == [("a", True), ("b", False), ("c", False), ("d", False),
                                              ("tsan_only", True)]
    assert "OVER 30 s" in rows[1].verdict and rows[2].verdict == "NOT caught"
    assert rows[4].verdict == "not caught (not required: TSan only)"


def test_busy_processes_are_started_and_stopped():
    procs = loadtest.start_busy(2)
    try:
        assert all(p.poll() is None for p in procs)
    finally:
        loadtest.stop_busy(procs)
    assert all(p.returncode is not None for p in procs)


def test_bad_usage_is_exit_2(capsys):
    assert loadtest.main(["--limit", "0"]) == 2
    assert loadtest.main(["no-such-label"]) == 2
    assert "no seeded build for no-such-label" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="cpu affinity is Linux-only")
def test_pinned_children_run_on_that_one_cpu_only():
    cpu = min(os.sched_getaffinity(0))
    show = [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"]
    pinned = subprocess.run(show, capture_output=True, text=True, check=True, **loadtest.pinned_to(cpu))
    assert pinned.stdout.strip() == f"[{cpu}]"
    assert loadtest.pinned_to(-1) == {}


def test_a_cpu_this_process_cannot_use_is_exit_2(capsys):
    assert loadtest.main(["--cpu", "4096"]) == 2
    assert "--cpu 4096 is not one this process may use" in capsys.readouterr().err

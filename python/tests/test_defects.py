"""The defects an outside user hit (issue 11, item 9), each with the test that failed before its fix.

Every case runs `ftlab-harness run` on a scenarios file written here (stdlib targets only, so
these need no ftlab) and reads the JSONL record.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from ftlab_harness.child import EXIT_HANG
from ftlab_harness.records import ChildEvent, ScenarioResult
from ftlab_harness.runner import _fate

pytestmark = pytest.mark.thread_unsafe(reason="runs harness children")


def run(tmp_path, body: str, *args: str, timeout: float = 120):
    f = tmp_path / "defect_scenarios.py"
    f.write_text("import ctypes, sys, threading, time\nfrom ftlab_harness import Scenario, DONE\n\n" + textwrap.dedent(body))
    out = tmp_path / "r.jsonl"
    if out.exists():
        out.unlink()
    res = subprocess.run([sys.executable, "-m", "ftlab_harness", "run", "--scenarios", str(f), "--jsonl", str(out),
                          "--threads", "2", *args], capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL, cwd=tmp_path)
    records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return res, records


def test_a_violation_is_not_lost_to_a_crash_and_the_crash_shows_the_work_done(tmp_path):
    res, (rec,) = run(tmp_path, '''
        class FiresThenCrashes(Scenario):
            name = "defect.fires_then_crashes"
            target = "ctypes"
            def setup(self, run):
                self.t0 = time.monotonic()
            def step(self, w):
                if w.index == 0 and time.monotonic() - self.t0 > 0.6:
                    w.violation("fired_first", "the invariant that fired before the segfault")
                    ctypes.string_at(0)
        ''', "--duration", "5")
    assert res.returncode == 1, res.stdout + res.stderr
    assert rec["outcome"] == "crash" and rec["signal"] == "SIGSEGV", rec
    assert rec["violations"] >= 1 and "fired_first" in rec["violation_details"], rec
    assert "fired_first" in rec["detail"] and "the invariant that fired before the segfault" in rec["detail"]
    # progress reached the parent before the crash: not "ops 0, 0.0 s" ("never ran")
    assert rec["ops"] > 0 and rec["seconds"] > 0 and rec["ops_per_s"] > 0, rec


def test_hang_time_is_the_time_to_the_verdict_even_when_the_report_blocks(tmp_path):
    # The scenario replaced sys.stderr with a writer that blocks: the watchdog's report used to
    # block on it until the backup timer fired, while the record claimed detection at the hang
    # timeout.
    res, (rec,) = run(tmp_path, '''
        class Blocking:
            def write(self, s):
                threading.Event().wait()
            def flush(self):
                threading.Event().wait()

        class HangsWithBlockedStderr(Scenario):
            name = "defect.hang_blocked_stderr"
            target = "threading"
            def setup(self, run):
                self.lock = threading.Lock()
                self.lock.acquire()
                sys.stderr = Blocking()
            def step(self, w):
                if w.ops == 3:
                    self.lock.acquire()
        ''', "--duration", "30", "--hang-timeout", "1.5")
    assert rec["outcome"] == "timeout", rec
    # The watchdog's own report finished: the child exited with EXIT_HANG. Had the report blocked,
    # the backup timer (faulthandler, exit code 1) or the parent's kill would have ended it. No
    # wall-clock bound here: under load the child's start-up alone can take seconds.
    assert rec["returncode"] == EXIT_HANG, rec
    assert "could not finish its report" not in rec["detail"], rec
    assert 1.5 <= rec["seconds_to_detect"] <= rec["wall_seconds"], rec


def test_seconds_to_detect_of_a_hang_is_the_time_to_the_verdict_not_to_the_notice():
    # The child's record says when its watchdog noticed; the runner replaces that with the time
    # from the child's start to the process being gone (stacks written), whatever the load.
    written = ScenarioResult(outcome="timeout", detector="timeout", detail="worker 0 made no progress",
                             seconds_to_detect=1.6)
    events = [ChildEvent(event="start", monotonic=100.0)]
    rec = _fate(written, events, EXIT_HANG, wall=9.0, ended=107.25, killed_after=None, timeout=60.0, stderr="")
    assert rec.outcome == "timeout" and rec.seconds_to_detect == 7.25, rec
    assert rec.wall_seconds == 9.0 and rec.returncode == EXIT_HANG, rec


def test_a_step_that_returns_done_on_its_first_call_is_counted(tmp_path):
    res, (rec,) = run(tmp_path, '''
        class OneShot(Scenario):
            name = "defect.one_shot"
            target = "threading"
            def setup(self, run):
                self.done = []
            def step(self, w):
                self.done.append(w.index)   # the work
                return DONE
            def finish(self, run):
                run.check(len(self.done) == sum(w.ops for w in run.workers), "every_call_counted",
                          lambda: f"{len(self.done)} calls, {sum(w.ops for w in run.workers)} ops")
        ''', "--duration", "0.3")
    assert res.returncode == 0, res.stdout + res.stderr
    assert rec["outcome"] == "pass" and rec["ops"] >= 2 and rec["rounds"] > 1, rec


def test_a_run_that_did_no_work_is_never_clean():
    from ftlab_harness.exitcodes import EXIT_FINDINGS, EXIT_NOT_CHECKED, NO_WORK, run_status

    no_work = {"outcome": "error", "detector": NO_WORK, "ops": 0}
    assert run_status([no_work]) == EXIT_NOT_CHECKED
    assert run_status([{"outcome": "pass", "ops": 5}, no_work]) == EXIT_FINDINGS
    assert run_status([]) == EXIT_NOT_CHECKED


def test_finish_is_told_when_the_round_was_cut_short(tmp_path):
    res, (rec,) = run(tmp_path, '''
        class Shares(Scenario):
            """Each worker's share is 50 steps; finish checks the shares only on a complete round."""
            name = "defect.shares"
            target = "threading"
            def step(self, w):
                if w.ops + 1 >= 50:
                    return DONE
            def finish(self, run):
                run.note("complete", int(run.complete))
                run.note("cut_short", int(run.cut_short))
                if run.complete:
                    run.check(all(w.ops == 50 for w in run.workers), "every_worker_did_its_share",
                              lambda: str([w.ops for w in run.workers]))
        ''', "--iterations", "10")
    assert res.returncode == 0, res.stdout + res.stderr
    assert rec["outcome"] == "pass" and rec["notes"] == {"complete": 0, "cut_short": 1}, rec
    assert rec["cut_short_rounds"] == 1 and rec["complete_rounds"] == 0

    res, (rec,) = run(tmp_path, '''
        class Shares(Scenario):
            name = "defect.shares"
            target = "threading"
            def step(self, w):
                if w.ops + 1 >= 50:
                    return DONE
            def finish(self, run):
                run.check(all(w.ops == 50 for w in run.workers) and run.complete, "every_worker_did_its_share",
                          lambda: str([w.ops for w in run.workers]))
        ''', "--iterations", "1000")
    assert rec["outcome"] == "pass" and rec["complete_rounds"] == 1, rec


def test_a_scenario_without_a_target(tmp_path):
    res, (rec,) = run(tmp_path, '''
        class Generator(Scenario):
            """A shared generator: no extension to import, a language feature under test."""
            name = "defect.no_target"
            def setup(self, run):
                assert run.target is None
                self.lock = threading.Lock()
                self.gen = iter(range(10**9))
            def step(self, w):
                with self.lock:
                    next(self.gen)
        ''', "--duration", "0.3")
    assert res.returncode == 0, res.stdout + res.stderr
    assert rec["outcome"] == "pass" and rec["target"] == "" and rec["ops"] > 0, rec
    listing = subprocess.run([sys.executable, "-m", "ftlab_harness", "list", "--scenarios",
                              str(tmp_path / "defect_scenarios.py")], capture_output=True, text=True)
    assert listing.returncode == 0 and "defect.no_target  -" in listing.stdout, listing.stdout

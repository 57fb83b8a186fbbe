"""The stress harness itself: isolation, reporting, bad input, the GIL guard, a user's scenarios.

Each test runs `ftlab-harness ...` as a subprocess from the repository root, the way users and
ci/test do, and checks its exit status, its output and the JSONL it appended.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import gil_guard

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "stress_fixtures"
MISBEHAVING = FIXTURES / "harness_scenarios.py"

pytestmark = pytest.mark.thread_unsafe(reason="runs the stress CLI in child processes")

REQUIRED_FIELDS = {
    "interpreter": str, "version": str, "free_threaded": bool, "gil_enabled": bool, "scenario": str, "threads": int,
    "ops": int, "seconds": float, "ops_per_s": float, "violations": int, "outcome": str, "detail": str,
    "python_gil_env": (str, type(None)), "label": (str, type(None)),
}


def stress(*args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("PYTHON_GIL", None) if env is not None and "PYTHON_GIL" in env and env["PYTHON_GIL"] is None else None
    full_env.update({k: v for k, v in (env or {}).items() if v is not None})
    return subprocess.run([sys.executable, "-m", "ftlab_harness", *args], cwd=ROOT, capture_output=True, text=True,
                          env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def one_scenario(path: Path, cls: str, name: str, target: str) -> Path:
    """Writes a scenarios file at `path` holding one do-nothing scenario `cls` (`name`, `target`)."""
    path.write_text(f"from ftlab_harness import Scenario\n\nclass {cls}(Scenario):\n    name = {name!r}\n"
                    f"    target = {target!r}\n    def step(self, w):\n        pass\n")
    return path


def one_line_error(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ftlab-harness: error: "), res.stderr
    return lines[0]


def test_crash_hang_and_exception_are_reported_and_the_run_goes_on(tmp_path):
    out = tmp_path / "results.jsonl"
    res = stress("run", "--scenarios", str(MISBEHAVING), "--duration", "0.3", "--hang-timeout", "1",
                 "--threads", "4", "--jsonl", str(out), "--label", "harness-test")
    text = res.stdout + res.stderr
    assert res.returncode == 1, text
    got = {r["scenario"]: r for r in records(out)}
    assert list(got) == ["harness.segfault", "harness.after_segfault", "harness.abort", "harness.hang",
                         "harness.hang_native", "harness.raises", "harness.violates", "harness.passes"], text

    segv = got["harness.segfault"]
    assert segv["outcome"] == "crash" and segv["signal"] == "SIGSEGV", segv
    assert "Segmentation fault" in segv["detail"] and "harness_scenarios.py" in segv["detail"], segv["detail"]
    assert got["harness.after_segfault"]["outcome"] == "pass"

    abort = got["harness.abort"]
    assert abort["outcome"] == "crash" and abort["signal"] == "SIGABRT", abort

    hang = got["harness.hang"]
    assert hang["outcome"] == "timeout", hang
    assert "no progress" in hang["detail"] and "hangs_here" not in hang["detail"]  # stacks, not source text
    assert hang["detail"].count("in step") >= 4, hang["detail"]  # every worker's stack is there

    native = got["harness.hang_native"]  # holds the GIL on GIL builds: faulthandler's timer reports it
    assert native["outcome"] == "timeout", native
    assert "harness_scenarios.py" in native["detail"], native["detail"]

    raised = got["harness.raises"]
    assert raised["outcome"] == "error" and "ValueError: boom from the scenario" in raised["detail"], raised
    assert raised["error_phase"] == "step"

    violated = got["harness.violates"]
    assert violated["outcome"] == "violation" and violated["violations"] == 1, violated
    assert "always_false" in violated["detail"]
    assert got["harness.passes"]["outcome"] == "pass"

    for r in got.values():
        for field, kind in REQUIRED_FIELDS.items():
            assert isinstance(r.get(field), kind), (r["scenario"], field, r.get(field))
        assert r["label"] == "harness-test"
    # the summary table names every scenario and its outcome
    for name, r in got.items():
        assert any(name in line and r["outcome"] in line for line in res.stdout.splitlines()), (name, res.stdout)


def test_jsonl_is_appended_as_each_scenario_finishes(tmp_path):
    out = tmp_path / "results.jsonl"
    out.write_text(json.dumps({"earlier": True}) + "\n")
    res = stress("run", "--scenarios", str(MISBEHAVING), "--scenario", "harness.passes", "--scenario",
                 "harness.violates", "--iterations", "100", "--jsonl", str(out))
    assert res.returncode == 1, res.stdout + res.stderr
    rows = records(out)
    assert rows[0] == {"earlier": True}
    assert [r["scenario"] for r in rows[1:]] == ["harness.passes", "harness.violates"]
    assert all(r["ops"] == 400 for r in rows[1:]), rows  # 4 threads x 100 iterations


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--scenario", "no_such_scenario"], "unknown scenario 'no_such_scenario'"),
        (["run", "--threads", "0"], "must be > 0"),
        (["run", "--threads", "-3"], "must be > 0"),
        (["run", "--duration", "0"], "must be > 0"),
        (["run", "--scenarios", "does/not/exist.py"], "does not exist"),
        (["hunt", "--seeded-path", "/nonexistent/seeded"], "no seeded-bugs build"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    assert message in one_line_error(stress(*args))


def test_scenarios_file_that_fails_to_import(tmp_path):
    bad = tmp_path / "broken_scenarios.py"
    bad.write_text("from ftlab_harness import Scenario\nraise RuntimeError('cannot even import')\n")
    line = one_line_error(stress("run", "--scenarios", str(bad)))
    assert "broken_scenarios.py failed to import (line 2): RuntimeError: cannot even import" in line


def test_target_that_is_not_importable(tmp_path):
    f = one_scenario(tmp_path / "ghost_scenarios.py", "Ghost", "ghost", "no_such_module_anywhere:Thing")
    line = one_line_error(stress("run", "--scenarios", str(f)))
    assert "target 'no_such_module_anywhere' is not importable" in line


def test_missing_class_is_skipped_with_a_clear_detail(tmp_path):
    f = one_scenario(tmp_path / "missing_scenarios.py", "Missing", "missing", "json:NoSuchClass")
    out = tmp_path / "r.jsonl"
    res = stress("run", "--scenarios", str(f), "--iterations", "10", "--jsonl", str(out))
    assert res.returncode == 3, "a run in which everything was skipped checked nothing: exit 3, never 0"
    (rec,) = records(out)
    assert rec["outcome"] == "skipped" and "json has no attribute 'NoSuchClass'" in rec["detail"], rec


@pytest.mark.skipif(not gil_guard.guard_active(), reason="the GIL guard applies on a free-threaded build with the GIL off")
def test_gil_guard_fails_a_target_that_re_enables_the_gil(tmp_path):
    gil_guard.build_gil_reenabler(tmp_path)
    f = one_scenario(tmp_path / "gil_scenarios.py", "UsesGilModule", "gil_module", "gil_reenabler")
    out = tmp_path / "r.jsonl"
    env = {"PYTHONPATH": str(tmp_path)}
    res = stress("run", "--scenarios", str(f), "--iterations", "10", "--jsonl", str(out), env=env)
    assert res.returncode == 3, res.stdout + res.stderr  # GIL guard: nothing checked, distinct status
    (rec,) = records(out)
    assert rec["outcome"] == "error" and rec["detail"].startswith("GIL guard:"), rec
    assert rec["gil_enabled"] is True and rec["free_threaded"] is True
    assert "GIL enabled after importing the targets" in res.stdout

    res = stress("run", "--scenarios", str(f), "--iterations", "10", "--jsonl", str(out), "--allow-gil", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    rec = records(out)[-1]
    assert rec["outcome"] == "pass" and rec["gil_enabled"] is True


@pytest.mark.skipif(not gil_guard.guard_active(), reason="the GIL guard applies on a free-threaded build with the GIL off")
def test_zerocode_gil_guard_never_reports_clean(tmp_path):
    # Issue 21: a target whose import re-enabled the GIL was "no finding", exit 0, a passing JUnit case.
    gil_guard.build_gil_reenabler(tmp_path)
    env = {"PYTHONPATH": str(tmp_path)}
    junit, out = tmp_path / "z.xml", tmp_path / "z.jsonl"
    res = stress("zerocode", "gil_reenabler:list()", "--seconds", "0.5", "--junit-xml", str(junit), "--jsonl", str(out), env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "re-enabled the GIL" in res.stdout and "--allow-gil" in res.stdout
    (rec,) = records(out)
    assert rec["outcome"] == "skipped" and rec["zerocode_outcome"] == "not_checked", rec
    assert "<skipped" in junit.read_text() or "<failure" in junit.read_text()
    res = stress("zerocode", "gil_reenabler:list()", "--seconds", "0.5", "--allow-gil", "--jsonl", str(out), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert records(out)[-1]["gil_enabled"] is True


def test_gil_state_and_python_gil_env_are_recorded(tmp_path):
    out = tmp_path / "r.jsonl"
    res = stress("run", "--scenarios", str(MISBEHAVING), "--scenario", "harness.passes", "--iterations", "10",
                 "--jsonl", str(out), env={"PYTHON_GIL": "1"} if sysconfig.get_config_var("Py_GIL_DISABLED") else None)
    assert res.returncode == 0, res.stdout + res.stderr
    (rec,) = records(out)
    assert rec["gil_enabled"] is True or (rec["free_threaded"] and not rec["gil_enabled"])
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        assert rec["python_gil_env"] == "1" and rec["gil_enabled"] is True


def test_user_scenarios_file_for_rpds_catches_a_mutable_twin(tmp_path):
    """The rpds-py example run the way a user runs their own file, against rpds and a broken twin."""
    out = tmp_path / "r.jsonl"
    rpds_file = str(ROOT / "python" / "ftlab_harness" / "scenarios" / "rpds.py")
    res = stress("run", "--scenarios", rpds_file, "--duration", "0.5", "--jsonl", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    assert [r["outcome"] for r in records(out)] == ["pass", "pass"]

    res = stress("run", "--scenarios", rpds_file, "--duration", "0.5", "--jsonl", str(out),
                 "--target", "stress_twins:MutableRpds", env={"PYTHONPATH": str(FIXTURES)})
    assert res.returncode == 1, res.stdout + res.stderr
    broken = records(out)[-2:]
    assert [r["outcome"] for r in broken] == ["violation", "violation"], broken
    assert all("old_version_unchanged" in r["detail"] for r in broken), broken


def test_list_names_every_builtin_scenario():
    res = stress("list")
    assert res.returncode == 0, res.stderr
    for name in ("counter.atomic", "bank", "registry", "work_queue", "once_resource", "rpds.hash_trie_map"):
        assert name in res.stdout


def fake_seeded_build(tmp_path: Path) -> Path:
    """A stand-in for `ci/envs --seeded`: the installed ftlab plus a Python `ftlab._seeded` whose
    twins come from `stress_fixtures/stress_twins.py` (the Rust twins are hunted by ci/test)."""
    import importlib.util
    import shutil

    spec = importlib.util.find_spec("ftlab")
    seeded = tmp_path / "seeded"
    if spec.submodule_search_locations:
        shutil.copytree(list(spec.submodule_search_locations)[0], seeded / "ftlab")
    else:  # a single-file extension: wrap it in a package
        (seeded / "ftlab").mkdir(parents=True)
        shutil.copy(spec.origin, seeded / "ftlab" / Path(spec.origin).name)
        (seeded / "ftlab" / "__init__.py").write_text("from .ftlab import *\n")
    (seeded / "ftlab" / "_seeded.py").write_text(
        "from stress_twins import LosesIncrements as LostCounter, DeadlockingCounter as StuckCounter\n"
        "BUGS = {'fake_lost_update': 'LostCounter', 'fake_deadlock': 'StuckCounter'}\n"
    )
    return seeded


def test_hunt_detects_twins_and_checks_the_clean_build(tmp_path):
    seeded = fake_seeded_build(tmp_path)
    out = tmp_path / "hunt.jsonl"
    res = stress("hunt", "--seeded-path", str(seeded), "--scenarios", str(FIXTURES / "hunt_scenarios.py"),
                 "--cap", "15", "--round", "0.2", "--hang-timeout", "1", "--clean-seconds", "0.5", "--no-zerocode",
                 "--require", "all", "--jsonl", str(out), "--label", "hunt-test", env={"PYTHONPATH": str(FIXTURES)})
    text = res.stdout + res.stderr
    assert res.returncode == 0, text
    rows = records(out)
    hunted = {r["bug"]: r for r in rows if r["kind"] == "hunt"}
    assert set(hunted) == {"fake_lost_update", "fake_deadlock"}, rows
    lost = hunted["fake_lost_update"]
    assert lost["detected"] and lost["detector"] in ("counter_total", "own_increments_visible"), lost
    assert lost["seconds_to_detect"] is not None and lost["label"] == "hunt-test"
    stuck = hunted["fake_deadlock"]
    assert stuck["detected"] and stuck["detector"] == "timeout" and stuck["outcome"] == "timeout", stuck
    clean = [r for r in rows if r["kind"] == "hunt-clean"]
    assert [r["scenario"] for r in clean] == ["hunt_test.lost", "hunt_test.deadlock"], clean
    assert all(r["outcome"] == "pass" and not r["false_alarm"] for r in clean), clean
    assert "2/2 seeded bugs detected" in res.stdout and "clean build: 0 false alarm(s)" in res.stdout, text


def test_hunt_fails_when_a_bug_escapes(tmp_path):
    """A twin that is not broken at all must come out as NOT detected, and --require all fails."""
    seeded = fake_seeded_build(tmp_path)
    (seeded / "ftlab" / "_seeded.py").write_text(
        "from ftlab import AtomicCounter as NotActuallyBroken\nBUGS = {'fake_lost_update': 'NotActuallyBroken'}\n")
    out = tmp_path / "hunt.jsonl"
    res = stress("hunt", "--seeded-path", str(seeded), "--scenarios", str(FIXTURES / "hunt_scenarios.py"),
                 "--cap", "1", "--round", "0.2", "--no-clean", "--no-zerocode", "--require", "all", "--jsonl", str(out))
    assert res.returncode == 1, res.stdout + res.stderr
    (rec,) = records(out)  # one hunt record and nothing else (no clean check, no zero-code run)
    assert rec["detected"] is False and rec["detector"] is None, rec
    assert "missed: fake_lost_update" in res.stdout


@pytest.mark.parametrize("gil_proof", [("fake_lost_update",), ()])
def test_hunt_with_the_gil_on_still_requires_the_gil_proof_bugs(tmp_path, gil_proof):
    """`--require auto`: every bug with the GIL off; with it on, only those in GIL_PROOF (a lost
    wake-up shows through any GIL). The escaping twin fails the run unless the GIL excuses it."""
    seeded = fake_seeded_build(tmp_path)
    (seeded / "ftlab" / "_seeded.py").write_text(
        "from ftlab import AtomicCounter as NotActuallyBroken\nBUGS = {'fake_lost_update': 'NotActuallyBroken'}\n"
        f"GIL_PROOF = {gil_proof!r}\n")
    res = stress("hunt", "--seeded-path", str(seeded), "--scenarios", str(FIXTURES / "hunt_scenarios.py"),
                 "--cap", "1", "--round", "0.2", "--no-clean", "--no-zerocode", "--jsonl", str(tmp_path / "h.jsonl"))
    gil_on = subprocess.run([sys.executable, "-c", "import sys; print(getattr(sys, '_is_gil_enabled', lambda: True)())"],
                            capture_output=True, text=True, timeout=120, check=True).stdout.strip() == "True"
    excused = gil_on and not gil_proof
    assert res.returncode == (0 if excused else 1), res.stdout + res.stderr
    if gil_on and gil_proof:
        assert "GIL_PROOF: fake_lost_update, missed: fake_lost_update;" in res.stdout, res.stdout

"""The command line in an outside user's hands (issue 22, items 2, 4, 5, 6), each with the test
that failed before its fix: a segfault while importing the target, Ctrl-C through a real signal,
the report's bad input, torn lines and exit status, and the help texts.

Every case runs the real `ftlab-harness` in a child process (stdlib targets only: no ftlab).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable

import pytest
from conftest import build_needs_gil

from ftlab_harness.junit import read_junit

pytestmark = pytest.mark.thread_unsafe(reason="runs harness children and sends signals")

HEADER = "import ctypes, threading, time\nfrom ftlab_harness import Scenario, DONE\n\n"


def harness(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ftlab_harness", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)


def outcomes(junit: Path) -> dict:
    """{testcase name without its `[interpreter]` suffix: outcome}."""
    return {c.name.split("[")[0]: c.outcome for c in read_junit(junit).cases}


def jsonl(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# --------------------------------------------------------------------------- item 2


def test_a_segfault_while_importing_the_target_is_a_crash_record_and_the_run_goes_on(tmp_path: Path) -> None:
    """It was exit 2 ("not importable: importing crashed the interpreter"), no record, no stacks,
    and the file's other scenarios never ran."""
    (tmp_path / "crashes_on_import.py").write_text("import ctypes\n\nctypes.string_at(0)  # segfault_here\n")
    (tmp_path / "scen.py").write_text(HEADER + textwrap.dedent('''
        class ImportCrashes(Scenario):
            name = "trial.import_crashes"
            target = "crashes_on_import"
            def step(self, w):
                pass

        class Passes(Scenario):
            name = "trial.passes"
            target = "threading"
            def step(self, w):
                pass
    '''))
    res = harness("run", "--scenarios", "scen.py", "--threads", "2", "--duration", "0.3", "--jsonl", "r.jsonl",
                  "--junit-xml", "j.xml", cwd=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    records = {r["scenario"]: r for r in jsonl(tmp_path / "r.jsonl")}
    crash, passed = records["trial.import_crashes"], records["trial.passes"]
    assert crash["outcome"] == "crash" and crash["signal"] == "SIGSEGV" and crash["error_phase"] == "import"
    assert "importing the target 'crashes_on_import' crashed the interpreter" in crash["detail"]
    assert "crashes_on_import.py" in crash["detail"] and "line 3" in crash["detail"]  # the stacks
    assert passed["outcome"] == "pass" and passed["ops"] > 0
    assert outcomes(tmp_path / "j.xml") == {"trial.import_crashes": "failed", "trial.passes": "passed"}


# --------------------------------------------------------------------------- item 5


def interrupt(cmd: list, cwd: Path, ready: Callable[[], bool], limit: float = 60) -> subprocess.CompletedProcess:
    """Starts `cmd` in its own process group, waits until `ready()`, then sends SIGINT to the whole
    group (what Ctrl-C in a terminal does) and waits for it to end."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + limit
        while not ready():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never got ready to be interrupted"
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the next unit of work
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_ctrl_c_during_run_keeps_the_jsonl_and_writes_a_junit_that_does_not_pass(tmp_path: Path) -> None:
    """`run` exited 130 and kept the JSONL, but wrote no JUnit."""
    (tmp_path / "scen.py").write_text(HEADER + textwrap.dedent('''
        class Passes(Scenario):
            name = "trial.a_passes"
            def step(self, w):
                pass

        class RunsOn(Scenario):
            name = "trial.b_interrupted"
            def step(self, w):
                pass

        class NeverStarts(Scenario):
            name = "trial.c_never_starts"
            def step(self, w):
                pass
    '''))
    results = tmp_path / "r.jsonl"
    res = interrupt([sys.executable, "-m", "ftlab_harness", "run", "--scenarios", "scen.py", "--threads", "2",
                     "--duration", "3", "--jsonl", str(results), "--junit-xml", "j.xml"], tmp_path,
                    lambda: len(jsonl(results)) == 1)
    assert res.returncode == 130, res.stdout + res.stderr
    assert [(r["scenario"], r["outcome"]) for r in jsonl(results)] == [("trial.a_passes", "pass")]
    assert outcomes(tmp_path / "j.xml") == {"trial.a_passes": "passed", "trial.b_interrupted": "failed",
                                            "trial.c_never_starts": "skipped"}
    interrupted = next(c for c in read_junit(tmp_path / "j.xml").cases if c.name.startswith("trial.b_interrupted"))
    assert interrupted.type == "interrupted" and "interrupted" in interrupted.message


COUNTER = '''
import threading


class Counter:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def add(self, d=1):
        with self.lock:
            self.n += d
            return self.n
'''


def test_ctrl_c_during_zerocode_never_writes_a_passing_junit(tmp_path: Path) -> None:
    """`zerocode` wrote a JUnit of the finished runs only: the interrupted run read as passing."""
    (tmp_path / "counter_target.py").write_text(COUNTER)
    results = tmp_path / "z.jsonl"
    res = interrupt([sys.executable, "-m", "ftlab_harness", "zerocode", "counter_target:Counter", "--path",
                     str(tmp_path), "--seconds", "1", "--runs", "3", "--seed", "1", "--jsonl", str(results),
                     "--junit-xml", "z.xml", "--quiet"], tmp_path, lambda: len(jsonl(results)) == 1)
    assert res.returncode == 130, res.stdout + res.stderr
    assert [r["outcome"] for r in jsonl(results)] == ["pass"]
    report = read_junit(tmp_path / "z.xml")
    assert report.counts() == {"passed": 1, "failed": 1, "error": 0, "skipped": 1}, report.cases
    assert report.failed[0].type == "interrupted" and "seed 2" in report.failed[0].name


# --------------------------------------------------------------------------- item 4 (the report's cheap parts)

CLEAN_RUN = {"kind": "stress-run", "schema_version": 1, "label": "3.13t", "scenario": "mine.list", "outcome": "pass",
             "ops": 1200, "seconds": 1.0, "ops_per_s": 1200.0, "violations": 0, "threads": 4, "seed": 3}
VIOLATION = dict(CLEAN_RUN, scenario="mine.racy", outcome="violation", violations=2, detail="old_version_unchanged x2")


def report(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return harness("report", "--no-plots", *args, cwd=tmp_path)


def write_lines(path: Path, *lines: str) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_report_makes_its_out_folder(tmp_path: Path) -> None:
    """`--out DIR` had to exist already."""
    results = write_lines(tmp_path / "r.jsonl", json.dumps(CLEAN_RUN))
    res = report(tmp_path, "--results", results, "--out", "new/report")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "new" / "report" / "report.md").is_file() and (tmp_path / "new" / "report" / "report.html").is_file()


@pytest.mark.parametrize(("content", "message"), [
    ("", "is empty"),
    ("# My project\n\nSome *markdown*, not records.\n", "holds no JSON record"),
])
def test_report_of_an_empty_or_non_jsonl_file_is_bad_input(tmp_path: Path, content: str, message: str) -> None:
    """An empty file, or README.md, given as `--results` gave a report reading "Records: ." and exit 0."""
    (tmp_path / "README.md").write_text(content)
    res = report(tmp_path, "--results", "README.md", "--out", "out")
    assert res.returncode == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and message in err and err.startswith("report: error:"), err
    assert not (tmp_path / "out" / "report.md").exists()


def test_report_warns_of_a_torn_line_by_its_number(tmp_path: Path) -> None:
    """A torn JSONL line (a write cut by a crash) was dropped silently."""
    torn = json.dumps(dict(CLEAN_RUN, scenario="mine.torn"))[:40]
    results = write_lines(tmp_path / "r.jsonl", json.dumps(CLEAN_RUN), torn, json.dumps(dict(CLEAN_RUN, scenario="mine.map")))
    res = report(tmp_path, "--results", results, "--out", "out")
    assert res.returncode == 0, res.stderr
    assert "r.jsonl line 2 is not a JSON record" in res.stderr
    md = (tmp_path / "out" / "report.md").read_text()
    assert "mine.list" in md and "mine.map" in md


def test_report_of_records_with_a_finding_exits_1(tmp_path: Path) -> None:
    """Results with findings still exited 0."""
    results = write_lines(tmp_path / "r.jsonl", json.dumps(CLEAN_RUN), json.dumps(VIOLATION))
    res = report(tmp_path, "--results", results, "--out", "out")
    assert res.returncode == 1 and "1 finding(s)" in res.stdout, res.stdout + res.stderr
    assert (tmp_path / "out" / "report.md").is_file()
    assert report(tmp_path, "--results", results, "--out", "out", "--exit-zero").returncode == 0


# --------------------------------------------------------------------------- item 6 (the CLI's cheap parts)


def test_top_level_help_names_every_subcommand_tsan_included(tmp_path: Path) -> None:
    """`tsan` was missing from `ftlab-harness --help` (and its own help was an internal docstring)."""
    res = harness("--help", cwd=tmp_path)
    assert res.returncode == 0
    for command in ("run", "zerocode", "report", "tsan", "list"):
        assert f"    {command} " in res.stdout, (command, res.stdout)
    res = harness("tsan", "--help", cwd=tmp_path)
    assert res.returncode == 0 and "ThreadSanitizer" in res.stdout and "argument parsing and dispatch" not in res.stdout


class _Captured(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def parser_of(main: Callable[[list], object], monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    """The parser `main` builds (stopped at its `parse_args`)."""

    def capture(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Captured(self)

    with monkeypatch.context() as m:
        m.setattr(argparse.ArgumentParser, "parse_args", capture)
        with pytest.raises(_Captured) as got:
            main([])
    return got.value.parser


def options_without_help(parser: argparse.ArgumentParser, prefix: str) -> list:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += options_without_help(sub, f"{prefix} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{prefix} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_option_has_help(monkeypatch: pytest.MonkeyPatch) -> None:
    """Options without help text (`list --scenarios`, most of `tsan`'s)."""
    from ftlab_harness import cli
    from ftlab_harness.report.__main__ import main as report_main
    from ftlab_harness.tsan.cli import main as tsan_main

    missing = options_without_help(cli.build_parser(), "ftlab-harness")
    missing += options_without_help(parser_of(report_main, monkeypatch), "ftlab-harness report")
    missing += options_without_help(parser_of(tsan_main, monkeypatch), "ftlab-harness tsan")
    assert missing == []


def test_an_old_scenarios_file_gets_a_hint(tmp_path: Path) -> None:
    """An old scenarios file failed with "No module named 'stress'" and no hint."""
    (tmp_path / "old.py").write_text("from stress import Scenario\n")
    res = harness("run", "--scenarios", "old.py", cwd=tmp_path)
    assert res.returncode == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "No module named 'stress'" in err
    assert "from ftlab_harness import Scenario" in err, err


def test_exit_3_beside_a_pass_does_not_say_nothing_was_checked(tmp_path: Path) -> None:
    """The summary said "nothing was checked (exit 3)" when another scenario had passed."""
    build_needs_gil(tmp_path)
    (tmp_path / "scen.py").write_text(HEADER + textwrap.dedent('''
        class NeedsGil(Scenario):
            name = "trial.needs_gil"
            target = "needs_gil"
            def step(self, w):
                pass

        class Passes(Scenario):
            name = "trial.passes"
            target = "threading"
            def step(self, w):
                pass
    '''))
    res = harness("run", "--scenarios", "scen.py", "--threads", "2", "--duration", "0.2", "--jsonl", "r.jsonl",
                  cwd=tmp_path)
    assert res.returncode == 3, res.stdout + res.stderr
    last = res.stdout.strip().splitlines()[-1]
    assert "nothing was checked" not in last and "1 of 2 not checked" in last and "trial.needs_gil" in last, last


def test_report_of_a_user_s_runs_speaks_of_their_target_not_ftlab(tmp_path: Path) -> None:
    """ftlab-internal wording in a user's report ("the class is not in this ftlab build yet",
    "python/README.md"), and 0 plots without a word why."""
    skipped = dict(CLEAN_RUN, scenario="mine.new_api", target="mymod:Map", outcome="skipped",
                   detail="mymod:Map has no attribute 'snapshot' (not built into the installed mymod?)")
    results = write_lines(tmp_path / "r.jsonl", json.dumps(CLEAN_RUN), json.dumps(skipped))
    res = report(tmp_path, "--results", results, "--out", "out")
    assert res.returncode == 0, res.stderr
    md = (tmp_path / "out" / "report.md").read_text()
    assert "skipped (no mymod.snapshot)" in md, md
    assert "ftlab build" not in md and "python/README.md" not in md and "ftlab." not in md, md
    plain = harness("report", "--results", results, "--out", "out2", cwd=tmp_path)
    assert plain.returncode == 0 and "0 plots; no plots: they are drawn from the stress matrix's" in plain.stdout

"""The report of a user's own runs (`ftlab-harness run/zerocode --jsonl`, no matrix around them).

An extension author's five commands end in `ftlab-harness report`; before this, records without
the matrix's `config` crashed it (KeyError) and a report of them showed the matrix's empty tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlab_harness.report.__main__ import build, main
from ftlab_harness.report.results import Results

pytestmark = pytest.mark.timeout(60)

STRESS = {"kind": "stress-run", "schema_version": 1, "label": "3.13t", "scenario": "mine.list", "outcome": "violation",
          "ops": 1200, "seconds": 1.0, "ops_per_s": 1200.0, "violations": 3, "threads": 4,
          "invariants": {"old_version_unchanged": {"count": 3, "first": "shared list is now [9, 0]"}},
          "gil_enabled": False}
FINDING = {"kind": "zerocode", "schema_version": 1, "label": "3.13t", "target": "mymod:Racy()", "seed": 7,
           "outcome": "fail", "zerocode_outcome": "finding", "finding_kind": "not_linearizable",
           "detail": "not linearizable: add(1) -> 1 twice", "history": "T0 add(1) -> 1\nT1 add(1) -> 1",
           "seconds_to_detect": 0.31, "progress": {"rounds": 12, "calls": 300}}
CLEAN = dict(FINDING, target="mymod:Locked()", outcome="pass", zerocode_outcome="clean", finding_kind="",
             detail="no finding", history="", seconds_to_detect=None)


def write(tmp_path: Path, *records: dict) -> Path:
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_user_runs_get_their_own_report_with_the_findings(tmp_path: Path) -> None:
    md = build(Results.load(write(tmp_path, STRESS, FINDING, CLEAN)), {}, "").markdown(tmp_path / "plots")
    assert md.startswith("# ftlab-harness report")
    assert "## Interpreters" not in md and "## Benchmarks" not in md  # the matrix's tables, empty here
    assert "| mine.list | violation" in md
    assert "| mymod:Racy() | 3.13t | 7 | finding | not_linearizable | 0.31 |" in md
    assert "| mymod:Locked() | 3.13t | 7 | clean | – | – |" in md
    assert "T1 add(1) -> 1" in md  # the history that shows the violation


def test_the_matrix_report_keeps_its_sections_and_shows_zero_code_runs(tmp_path: Path) -> None:
    run = {"kind": "run", "quick": True, "commit": "abc"}
    md = build(Results.load(write(tmp_path, run, dict(FINDING, config="3.13t"))), {}, "").markdown(tmp_path / "p")
    assert md.startswith("# ftlab stress matrix — quick run")
    assert "## Interpreters" in md and "## Zero-code checks" in md


def test_cli_writes_both_files_and_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--results", str(write(tmp_path, FINDING)), "--out", str(tmp_path), "--no-plots"]) == 1  # a finding
    assert (tmp_path / "report.md").read_text().startswith("# ftlab-harness report")
    assert (tmp_path / "report.html").exists()
    assert main(["--results", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not exist" in err


def test_round_two_verdict_without_the_immutability_group(tmp_path: Path) -> None:
    """`bench --only patterns,counters` (the issue's quiet-machine command) still gets the verdict."""
    def bench(group: str, case: str, scaling: float) -> dict:
        return {"kind": "bench", "config": "3.13t", "group": group, "case": case, "threads": 2, "status": "ok",
                "scaling": scaling, "ops_per_s": 1e6, "free_threaded": True}
    recs = [{"kind": "run", "quick": False, "cores": 2},
            {"kind": "config", "config": "3.13t", "label": "3.13t", "free_threaded": True}]
    recs += [bench("patterns", c, v) for c, v in (("snapshot_map_get", 0.34), ("registry_get", 0.25),
                                                  ("frozenmap_get", 0.33), ("calibration", 1.98))]
    recs += [bench("counters", c, v) for c, v in (("per_thread_counter", 0.27), ("sharded_counter", 0.29),
                                                  ("atomic_counter", 0.30), ("per_thread_atomic_counter", 1.96),
                                                  ("calibration", 1.98))]
    md = build(Results.load(write(tmp_path, *recs)), {}, "").markdown(tmp_path / "p")
    assert "`snapshot_map_get` scaled 0.34x, `registry_get` scaled 0.25x, `frozenmap_get` scaled 0.33x" in md
    assert "(`per_thread_atomic_counter`, no shared object) scaled 1.96x" in md
    assert "calibration 1.98x." in md

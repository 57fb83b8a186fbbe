"""The zero-code columns of the seeded-bug hunt and of the report.

From hand-made records: the report's detection table (caught / missed / error / absent, older
runs without zero-code records), the hunt's own table cells and summary, and the non-vacuity of
the columns (a record that holds no finding is never "caught", whatever flags it carries). End to
end: the hunt's zero-code path on a racy and a correct pure-Python class (no ftlab needed), and
`ftlab-harness hunt` on one fast seeded twin (skipped when the seeded build is not found).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ftlab_harness.hunt import zerocode_phase
from ftlab_harness.report.__main__ import build, hunt_section
from ftlab_harness.report.document import Document
from ftlab_harness.report.results import Results
from ftlab_harness.zerocode import twins

HERE = Path(__file__).resolve().parent
PYTHON_DIR = HERE.parent


def zc(bug: str, outcome: str, kind: str = "", secs: float | None = None, config: str = "3.13t", **kw: Any) -> dict:
    """A zero-code record as the hunt writes it (`ZeroCodeResult.to_json()` + bug, ...)."""
    harness = {"clean": "pass", "not_checked": "skipped", "finding": {"hang": "timeout", "crash": "crash"}.get(kind, "violation")}
    rec = {"kind": "zerocode", "bug": bug, "twin": bug.title(), "config": config, "target": f"ftlab._seeded:{bug}",
           "seed": 1, "zerocode_outcome": outcome, "outcome": harness.get(outcome, "error"), "finding_kind": kind,
           "seconds_to_detect": secs, "budget_seconds": 3.0, "detected": bool(kind),
           "detail": f"zerocode ftlab._seeded:{bug} seed 1: " + ("error: child exited with status 1" if outcome == "error"
                                                                 else "no finding")}
    rec.update(kw)
    return rec


def hunt(bug: str, detected: bool, secs: float | None = None, config: str = "3.13t") -> dict:
    return {"kind": "hunt", "bug": bug, "config": config, "detected": detected, "seconds_to_detect": secs,
            "detector": "counter_total" if detected else None, "outcome": "violation" if detected else "pass"}


def table_rows(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("| bug") and not line.startswith("|--"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def headers(markdown: str) -> list[str]:
    line = next(x for x in markdown.splitlines() if x.startswith("| bug"))
    return [c.strip() for c in line.strip().strip("|").split("|")]


def render(records: list[dict]) -> str:
    doc = Document("t")
    hunt_section(doc, Results(records))
    return doc.markdown(None)


@pytest.mark.timeout(30)
def test_report_table_caught_missed_error_absent() -> None:
    records = [hunt(b, True, 0.5) for b in ("lost_update", "lock_order_inversion", "lost_wakeup_latch",
                                             "relaxed_publication", "racy_statistics")]
    records += [
        zc("lost_update", "finding", "not_linearizable", 0.31),
        zc("lock_order_inversion", "finding", "hang", 2.27),
        zc("lost_wakeup_latch", "clean"),
        zc("relaxed_publication", "error"),
        # racy_statistics: no zero-code record
        {"kind": "pytest-twins", "build": "seeded", "bug": "lost_update", "config": "3.13t", "detected": True,
         "seconds_to_detect": 1.5},
    ]
    text = render(records)
    assert headers(text) == ["bug", "hand-written 3.13t", "zero-code hammer 3.13t", "linearizability 3.13t",
                             "pytest-run-parallel 3.13t"]
    rows = table_rows(text)
    assert rows["lost_update"] == ["caught in 0.50 s (counter_total)", "– (stopped: not_linearizable)",
                                   "caught in 0.31 s (not_linearizable)", "caught in 1.5 s"]
    assert rows["lock_order_inversion"][1:3] == ["caught in 2.27 s (hang)", "– (stopped: hang)"]
    assert rows["lost_wakeup_latch"][1:3] == ["missed", "missed"]
    assert rows["relaxed_publication"][1] == "ERROR: child exited with status 1"
    assert rows["relaxed_publication"][2].startswith("ERROR")
    assert rows["racy_statistics"][1:4] == ["–", "–", "–"]
    assert "zero-code: caught 2 of 4 twins with no invariant (3.13t; hammer 1, linearizability 1; " \
           "3 s of rounds per twin); harness ERROR on relaxed_publication" in text


@pytest.mark.timeout(30)
def test_report_renders_runs_from_before_the_zero_code_phase() -> None:
    old = [{"kind": "run", "started": "x", "commit": "abc"}, hunt("lost_update", True, 0.2), hunt("check_then_act", False)]
    text = render(old)
    assert headers(text)[1:4] == ["hand-written 3.13t", "zero-code hammer 3.13t", "linearizability 3.13t"]
    assert table_rows(text)["check_then_act"] == ["missed", "–", "–"]
    assert "zero-code: caught" not in text
    whole = build(Results(old), {}, "").markdown(None)  # the whole document, too
    assert "Seeded-bug hunt" in whole and "zero-code hammer 3.13t" in whole


@pytest.mark.timeout(30)
def test_a_record_without_a_finding_is_never_caught() -> None:
    """The columns cannot be vacuous: what counts is the finding in the record, not a flag."""
    liars = [
        zc("a", "clean", detected=True, seconds_to_detect=0.1),           # flag says detected, no finding
        zc("b", "clean", "not_linearizable", 0.1),                        # a kind, but the run was clean
        zc("c", "not_checked", detected=True),                            # no round ran
        zc("d", "finding", "no_such_kind", 0.1),                          # an unknown kind
        zc("e", "error", detected=True),
    ]
    for rec in liars:
        assert not twins.caught(rec), rec["bug"]
        for column in ("hammer", "linearizability"):
            assert not twins.cell(rec, column).caught
        assert not any(c.startswith("yes") for c in zerocode_phase.table_cells(rec))
    text = render([hunt(r["bug"], True, 1.0) for r in liars] + liars)
    assert "zero-code: caught 0 of 5 twins" in text
    assert not any(c.startswith("caught") for row in table_rows(text).values() for c in row[1:])
    assert zerocode_phase.summary_line(liars).startswith("zero-code: caught 0 of 5 twins")


@pytest.mark.timeout(30)
def test_hunt_table_cells_and_summary() -> None:
    recs = [zc("a", "finding", "crash", 0.5), zc("b", "finding", "not_linearizable", 0.02), zc("c", "clean"),
            zc("d", "error")]
    assert zerocode_phase.table_cells(recs[0]) == ["yes 0.50s (crash)", "- (stopped)"]
    assert zerocode_phase.table_cells(recs[1]) == ["- (stopped)", "yes 0.02s (not_linearizable)"]
    assert zerocode_phase.table_cells(recs[2]) == ["no", "no"]
    assert zerocode_phase.table_cells(recs[3])[0].startswith("ERROR: child exited")
    assert zerocode_phase.table_cells(None) == ["-", "-"]
    line = zerocode_phase.summary_line(recs)
    assert line.startswith("zero-code: caught 2 of 4 twins with no invariant (hammer 1, linearizability 1")
    assert line.endswith("1 harness ERROR(s): d")


def test_twin_table_is_one_entry_per_bug() -> None:
    bugs = [b for b, _, _ in twins.TWINS]
    assert len(bugs) == len(set(bugs)) == 16
    target, extra, problem = twins.twin_target("non_unique_thread_slot", "NonUniqueSlotCounter")
    assert target.endswith("NonUniqueSlotCounter()") and extra == {"exclude": ["slots"]} and not problem
    assert twins.twin_target("lost_update", "SomethingElse")[2]  # a renamed twin is an error, not a silent miss
    assert twins.twin_target("new_bug", "NewTwin") == ("ftlab._seeded:NewTwin", {}, "")
    from ftlab_harness.zerocode import measure

    assert measure.TWINS is twins.TWINS


@pytest.mark.thread_unsafe(reason="runs isolated zero-code children")
@pytest.mark.timeout(120)
def test_zero_code_path_catches_a_racy_class_and_not_its_correct_twin() -> None:
    """The hunt's own zero-code path (`run_twin`), on the pure-Python pair of the zero-code tests."""
    racy = zerocode_phase.run_twin("racy", "RacyCounter", 3.0, 1, HERE, None, target="zerocode_targets:RacyCounter")
    assert racy["kind"] == "zerocode" and racy["bug"] == "racy" and racy["detected"] is True
    assert twins.cell(racy, "linearizability").caught, racy["detail"]
    locked = zerocode_phase.run_twin("racy", "LockedCounter", 1.0, 1, HERE, None, target="zerocode_targets:LockedCounter")
    assert locked["zerocode_outcome"] == "clean" and locked["detected"] is False and (locked.get("rounds") or 0) > 0
    assert zerocode_phase.table_cells(locked) == ["no", "no"]


def seeded_path() -> Path | None:
    given = os.environ.get("FTLAB_SEEDED_PATH")
    path = Path(given) if given else Path(sys.prefix) / "seeded"
    return path if (path / "ftlab").is_dir() else None


@pytest.mark.thread_unsafe(reason="runs ftlab-harness hunt in a child process")
@pytest.mark.timeout(120)
def test_hunt_runs_zero_code_on_a_seeded_twin(tmp_path: Path) -> None:
    seeded = seeded_path()
    if seeded is None:
        pytest.skip(f"no seeded-bugs build at $FTLAB_SEEDED_PATH or {Path(sys.prefix) / 'seeded'} "
                    "(build it with `ci/envs --seeded LABEL`)")
    jsonl = tmp_path / "hunt.jsonl"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PYTHON_DIR), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "ftlab_harness", "hunt", "--bug", "unsafe_shared_mut", "--quick", "--no-clean",
         "--seed", "1", "--cap", "5", "--zerocode-seconds", "5", "--seeded-path", str(seeded), "--jsonl", str(jsonl)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=110,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    [zero] = [r for r in records if r["kind"] == "zerocode"]
    assert zero["bug"] == "unsafe_shared_mut" and zero["twin"] == "UnsafeCellCounter" and zero["budget_seconds"] == 5.0
    table = proc.stdout[proc.stdout.index("seeded-bug detection"):]
    assert "zero-code hammer" in table and "linearizability" in table
    [hunted] = [r for r in records if r["kind"] == "hunt"]
    text = render([dict(r, config="x") for r in records])
    if hunted.get("gil_enabled"):  # a GIL build: the GIL serialises the twin's Rust code, nothing to see
        assert zero["zerocode_outcome"] in ("clean", "finding"), zero["detail"]
        assert "zero-code: caught 0 of 1 twins" in proc.stdout or "zero-code: caught 1 of 1 twins" in proc.stdout
        return
    assert zero["detected"] and twins.caught(zero), zero["detail"]
    assert "zero-code: caught 1 of 1 twins with no invariant" in proc.stdout
    assert "zero-code: caught 1 of 1 twins" in text
    assert any(c.startswith("caught in") for c in table_rows(text)["unsafe_shared_mut"][1:3])

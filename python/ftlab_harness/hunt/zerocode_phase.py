"""The hunt's zero-code phase: one isolated zero-code run per seeded twin, no invariant written.

For each bug, the twin's factory and options come from `ftlab_harness.zerocode.twins.TWINS`; the
run (`parent.run_isolated`, the seeded folder first on the child's PYTHONPATH) gets `seconds` of
rounds (after learning) and stops at its first finding. Its record is the zero-code record
(`kind: "zerocode"`, `ZeroCodeResult.to_json()`) plus `bug`, `twin`, `label`, `build: "seeded"`,
`tool: "zerocode"`, `budget_seconds` and `detected` (found anything). The findings split into two
detector columns (`twins.cell`): hammer (crash, hang, unexpected_exception) and linearizability
(not_linearizable). Information only: a miss never fails the hunt; a harness error (bad input,
the child failing) shows as ERROR in the table.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ftlab_harness.records import JsonlWriter
from ftlab_harness.zerocode import twins
from ftlab_harness.zerocode.hammer import Config
from ftlab_harness.zerocode.parent import ZeroCodeResult, run_isolated

ROUND_TIMEOUT = 2.0  # a lincheck round longer than this is a hang (measure.py uses the same)


def default_seconds(quick: bool) -> float:
    return 3.0 if quick else 10.0


def run_twin(bug: str, twin: str, seconds: float, seed: int, seeded: Path | None, label: str | None,
             target: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One zero-code run against `bug`'s twin; returns its record. `target`/`extra` override the
    table's (the tests use them to run a correct class through the same path)."""
    problem = ""
    if target is None:
        target, extra, problem = twins.twin_target(bug, twin)
    if problem:
        res = ZeroCodeResult(target, seed, "error", detail=problem)
    else:
        cfg = Config(target=target, seconds=seconds, seed=seed, round_timeout=ROUND_TIMEOUT, **(extra or {}))
        res = run_isolated(cfg, [str(seeded)] if seeded else [])
    record = res.to_json()
    record.update(bug=bug, twin=twin, label=label, build="seeded", tool="zerocode", budget_seconds=seconds,
                  options=extra or {}, detected=twins.caught(record), executable=sys.executable)
    return record


def run_all(wanted: list[str], bugs: dict[str, str], seconds: float, seed: int, seeded: Path, label: str | None,
            writer: JsonlWriter) -> list[dict[str, Any]]:
    """The phase: every wanted bug's twin, in order, each record written as soon as it exists."""
    print(f"\nzero-code: {len(wanted)} twin(s), no invariant, {seconds:g} s of rounds each "
          f"(stops at the first finding), seed {seed}", flush=True)
    out = []
    width = len(str(len(wanted)))
    for i, bug in enumerate(wanted, 1):
        sys.stdout.write(f"[{i:>{width}}/{len(wanted)}] {bug + ' (' + bugs[bug] + ')':<44} ... ")
        sys.stdout.flush()
        rec = run_twin(bug, bugs[bug], seconds, seed, seeded, label)
        writer.write(rec)
        out.append(rec)
        rounds = rec.get("rounds")
        sys.stdout.write(f"{summary_cell(rec):<40} {rounds if rounds is not None else '-'} rounds  "
                         f"{rec.get('wall_seconds', 0):.1f} s\n")
        sys.stdout.flush()
    return out


def summary_cell(rec: dict[str, Any]) -> str:
    kind = twins.found(rec)
    if kind:
        secs = rec.get("seconds_to_detect")
        return f"caught {kind}" + (f" in {secs:.2f} s" if isinstance(secs, (int, float)) else "")
    c = twins.cell(rec, "hammer")
    return "no finding" if c.state == "missed" else twins.text(c, 60)


def table_cells(rec: dict[str, Any] | None) -> list[str]:
    """The hunt table's two columns (zero-code hammer, linearizability) for one bug."""
    if rec is None:
        return ["-", "-"]
    out = []
    for column in ("hammer", "linearizability"):
        c = twins.cell(rec, column)
        if c.state == "caught":
            out.append(f"yes {c.seconds:.2f}s ({c.kind})" if c.seconds is not None else f"yes ({c.kind})")
        elif c.state == "stopped":
            out.append("- (stopped)")
        elif c.state == "missed":
            out.append("no")
        elif c.state == "not_checked":
            out.append("not checked")
        else:
            out.append("ERROR: " + c.detail[:40])
    return out


def summary_line(records: list[dict[str, Any]]) -> str:
    """`zero-code: caught K of N twins with no invariant (hammer a, linearizability b); E error(s)`."""
    caught = [r for r in records if twins.caught(r)]
    hammer = sum(1 for r in caught if twins.cell(r, "hammer").caught)
    errors = [r["bug"] for r in records if twins.cell(r, "hammer").state in ("error", "not_checked")]
    return (f"zero-code: caught {len(caught)} of {len(records)} twins with no invariant "
            f"(hammer {hammer}, linearizability {len(caught) - hammer}; information, never a failure)"
            + (f"; {len(errors)} harness ERROR(s): {', '.join(errors)}" if errors else ""))

"""The report's zero-code columns of the seeded-bug table, from the hunt's zero-code records.

`ftlab-harness hunt` runs each twin once through the zero-code mode (no invariant written) and
writes a `kind: "zerocode"` record with its `bug` (`ftlab_harness/hunt/zerocode_phase.py`).
Here: `cells(res, config, bug)` are the table's two cells, zero-code hammer (crash, hang,
unexpected exception) and linearizability (not linearizable), each "caught in S s (kind)",
"missed", "ERROR: ...", or "–" when there is no record (runs from before the zero-code phase, or
`--no-zerocode`); `summary(res)` the sentence "zero-code: caught K of N twins with no invariant"
per configuration. A cell says caught only if the record holds a finding (`twins.cell`).
"""

from __future__ import annotations

from typing import List, Optional

from ftlab_harness.zerocode import twins

from .document import Document
from .results import Results, config_key, unique


def records(res: Results) -> List[dict]:
    """The hunt's zero-code records (a standalone `ftlab-harness zerocode` run has no `bug`)."""
    return [r for r in res.of("zerocode") if r.get("bug")]


def configs(res: Results) -> List[str]:
    return sorted(unique(str(r.get("config")) for r in records(res)), key=config_key)


def record(res: Results, config: str, bug: str) -> Optional[dict]:
    found = [r for r in records(res) if str(r.get("config")) == config and r.get("bug") == bug]
    return found[-1] if found else None


def cells(res: Results, config: str, bug: str) -> List[str]:
    """[zero-code hammer, linearizability] for `bug` on `config`."""
    rec = record(res, config, bug)
    if rec is None:
        return ["–", "–"]
    return [twins.text(twins.cell(rec, column)) for column in ("hammer", "linearizability")]


def summary(res: Results) -> List[str]:
    """One sentence per configuration with zero-code records."""
    out = []
    for c in configs(res):
        recs = {r["bug"]: r for r in records(res) if str(r.get("config")) == c}  # the last per bug
        caught = [r for r in recs.values() if twins.caught(r)]
        hammer = sum(1 for r in caught if twins.cell(r, "hammer").caught)
        errors = sorted(b for b, r in recs.items() if twins.cell(r, "hammer").state in ("error", "not_checked"))
        budgets = unique(f"{r['budget_seconds']:g}" for r in recs.values() if isinstance(r.get("budget_seconds"), (int, float)))
        out.append(f"zero-code: caught {len(caught)} of {len(recs)} twins with no invariant ({c}; hammer {hammer}, "
                   f"linearizability {len(caught) - hammer}"
                   + (f"; {'/'.join(budgets)} s of rounds per twin" if budgets else "") + ")"
                   + (f"; harness ERROR on {', '.join(errors)}" if errors else ""))
    return out


def standalone(res: Results) -> List[dict]:
    """Records of `ftlab-harness zerocode` runs on a user's target (the hunt's have a `bug`)."""
    return [r for r in res.of("zerocode") if not r.get("bug")]


def section(doc: Document, res: Results) -> None:
    """The zero-code checks of the run's own targets: one row per run (nothing when there are none)."""
    recs = standalone(res)
    if not recs:
        return
    doc.h2("Zero-code checks")
    doc.p("`ftlab-harness zerocode`: no invariant written; the target's operations from many threads on one "
          "shared instance, every small round checked for linearizability against the object run "
          "sequentially (docs/zerocode.md). A finding carries the seed that replays it.")
    rows = []
    for r in recs:
        progress = r.get("progress")
        if not isinstance(progress, dict):
            progress = {}
        secs = r.get("seconds_to_detect")
        rows.append([str(r.get("target", "?")), str(r.get("config", "-")), str(r.get("seed", "?")),
                     str(r.get("zerocode_outcome") or r.get("outcome") or "?"), str(r.get("finding_kind") or "–"),
                     f"{secs:.2f}" if isinstance(secs, (int, float)) else "–",
                     f"{progress.get('rounds', '?')} rounds, {progress.get('calls', '?')} calls"])
    doc.table(["target", "config", "seed", "result", "finding", "seconds to detect", "work"], rows)
    for r in recs:
        if r.get("finding_kind"):
            doc.p(f"{r.get('target')} (seed {r.get('seed')}):")
            doc.pre(str(r.get("detail") or "") + ("\n" + str(r["history"]) if r.get("history") else ""))

"""The report's ThreadSanitizer parts, from the TSan lane's records (`ci/tsan`, kind "tsan-lane").

`twin_cell(res, bug)` is the hunt table's TSan column; `section(doc, res)` the lane's own section:
the seeded twins under TSan (caught, seconds, expected, why) and the correct build's quick pass
(unique reports, suppressed, unsuppressed per run), with the scenarios the lane does not judge.
"""

from __future__ import annotations

from typing import List, Optional

from .document import Document
from .results import Results


def _twin(res: Results, bug: str) -> Optional[dict]:
    recs = res.of("tsan-lane", mode="twin", bug=bug)
    return recs[-1] if recs else None


def twin_cell(res: Results, bug: str) -> str:
    r = _twin(res, bug)
    if r is None:
        return "–"
    if r.get("error"):
        return f"error: {r['error']}"
    if r.get("tsan"):
        return f"caught in {r.get('tsan_seconds')} s ({r.get('frame') or 'ftlab frame'})"
    return "not reported" + (" (expected)" if r.get("expected") is False else "")


def has_twins(res: Results) -> bool:
    return bool(res.of("tsan-lane", mode="twin"))


def section(doc: Document, res: Results) -> None:
    twins = res.of("tsan-lane", mode="twin")
    clean = res.of("tsan-lane", mode="clean")
    if not twins and not clean:
        return
    doc.h2("ThreadSanitizer lane")
    doc.p("ftlab built with `-Zsanitizer=thread`, run on the stock 3.13t with gcc's TSan runtime preloaded "
          "(docs/tsan.md). TSan reports the unsynchronised accesses themselves, whether or not an invariant "
          "breaks; a report counts when its racing access is in ftlab's own code, and no suppression can "
          "hide such a report. Seconds are from the start of the harness command to the first such report.")
    if twins:
        rows: List[List[str]] = []
        for r in twins:
            verdict = "ok" if r.get("ok") else "UNEXPECTED"
            expected = {True: "reported", False: "not reported", None: "–"}[r.get("expected")]
            inv = {True: "caught", False: "missed", None: "(cut short)"}[r.get("invariants")]
            rows.append([r["bug"], "caught" if r.get("tsan") else "not reported", str(r.get("tsan_seconds") or "–"),
                         expected, verdict, inv, str(r.get("why") or "")])
        doc.table(["bug", "TSan", "seconds", "expected", "verdict", "invariants (same run)", "why"], rows)
    if clean:
        rows = [[str(r["run"]), str(r["scenarios"]), str(r["unique_reports"]), str(r["suppressed"]),
                 str(r["unsuppressed"]), "pass" if r.get("ok") else "FAIL"] for r in clean]
        doc.p("The correct build's quick stress pass under TSan (every unsuppressed report is a false alarm or a "
              "real race):")
        doc.table(["run", "scenarios", "unique reports", "suppressed", "unsuppressed", "result"], rows,
                  numeric=(1, 2, 3, 4))
        skipped = clean[-1].get("skipped") or []
        if skipped:
            doc.p("Not run under TSan (the stock-interpreter mode cannot judge them; see docs/tsan.md): "
                  + ", ".join(f"`{s}`" for s in skipped) + ".")

"""Console output: the live progress line per scenario and the summary tables. Stdlib only."""

from __future__ import annotations

import sys
from typing import Any, Iterable, Mapping, Sequence


def human(n: float) -> str:
    """1234567 -> '1.23M'; small numbers stay as they are."""
    n = float(n)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}" if n == int(n) else f"{n:.3g}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain left-aligned text table."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def short(text: str, width: int = 70) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 3] + "..."


class Progress:
    """Prints `[ i/n] name ...` when a scenario starts and completes the line when it ends."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = total
        self.stream = stream or sys.stdout
        self.width = len(str(total))

    def start(self, index: int, name: str) -> None:
        self.stream.write(f"[{index:>{self.width}}/{self.total}] {name:<28} ... ")
        self.stream.flush()

    def end(self, record: dict[str, Any]) -> None:
        ops = record.get("ops") or 0
        rate = record.get("ops_per_s") or 0
        self.stream.write(
            f"{record['outcome']:<9} {record.get('threads', '?')} thr  {human(ops):>6} ops  "
            f"{human(rate):>6} ops/s  {record.get('violations', 0)} viol  {record.get('seconds', 0):.1f} s\n"
        )
        if record["outcome"] not in ("pass",):
            for line in (record.get("detail") or "").splitlines()[:25]:
                self.stream.write(f"      {line}\n")
        self.stream.flush()


def run_summary(records: list[dict[str, Any]]) -> str:
    rows = [
        (
            r["scenario"],
            r.get("threads", ""),
            human(r.get("ops") or 0),
            human(r.get("ops_per_s") or 0),
            r.get("violations", 0),
            r["outcome"],
            "" if r["outcome"] == "pass" else short(r.get("detail", ""), 60),
        )
        for r in records
    ]
    return table(["scenario", "threads", "ops", "ops/s", "violations", "outcome", "detail"], rows)


def failure_text(record: Mapping[str, Any]) -> str:
    """Everything a reader needs about a result that did not pass: the detail (crash signal and
    stacks, the hang's stacks, the error), each invariant's count and first details, the
    traceback, and what ran (ops, seconds, rounds, seed, threads). Used by the JUnit writer and
    the pytest plugin's failure message."""
    parts = [str(record.get("detail") or "")]
    for name, entry in (record.get("violation_details") or {}).items():
        details = "\n".join(f"    {d}" for d in entry.get("details", []))
        parts.append(f"invariant {name}: {entry.get('count')} violation(s)\n{details}")
    if record.get("signal"):
        parts.append(f"signal: {record['signal']}")
    if record.get("traceback"):
        parts.append(str(record["traceback"]))
    facts = [f"{key} {record[key]}" for key in ("ops", "seconds", "rounds", "seed", "threads", "wall_seconds")
             if record.get(key) is not None]
    if facts:
        parts.append("ran: " + ", ".join(facts))
    return "\n".join(p for p in parts if p)

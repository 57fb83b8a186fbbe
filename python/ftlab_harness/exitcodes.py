"""The exit statuses of `ftlab-harness run` / `hunt` (and the GitHub Action), in one place.

    0  EXIT_CLEAN        every scenario ran, did work and passed (hunt: every required bug
                         detected, no false alarm)
    1  EXIT_FINDINGS     a violation, crash, hang, error, false alarm or missed required bug
    2  EXIT_BAD_INPUT    bad command line, scenarios file, target, Action input (one line on stderr)
    3  EXIT_NOT_CHECKED  nothing was checked: every scenario was skipped or did no work, or the
                         target's import re-enabled the GIL on a free-threaded interpreter (GIL
                         guard) — never reported as clean
  130  interrupted

Findings win over "not checked": a run with one violation and one GIL-guard refusal exits 1.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_CHECKED = 3
EXIT_INTERRUPTED = 130

NO_WORK = "no-work"


def not_checked(record: Mapping[str, Any]) -> bool:
    """The record checked nothing: skipped, refused by the GIL guard, or no step completed."""
    return (record.get("outcome") == "skipped" or bool(record.get("gil_guard"))
            or record.get("detector") == NO_WORK)


def run_status(records: Iterable[Mapping[str, Any]]) -> int:
    """Exit status of `run` for its stress-run records (see the module docstring)."""
    records = list(records)
    if not records:
        return EXIT_NOT_CHECKED
    findings = [r for r in records if r.get("outcome") != "pass" and not not_checked(r)]
    if findings:
        return EXIT_FINDINGS
    if any(r.get("gil_guard") for r in records) or all(not_checked(r) for r in records):
        return EXIT_NOT_CHECKED
    if any(r.get("detector") == NO_WORK for r in records):
        return EXIT_FINDINGS
    return EXIT_CLEAN

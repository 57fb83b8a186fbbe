"""Reading pytest's JUnit XML: one reader for every `ci/` consumer (matrix counts, twins verdicts).

`read_junit(path)` returns the test cases; `counts(cases)` the totals the matrix records. A
missing or unparsable file is an empty list (the caller reports "pytest wrote no report"), not
an exception. Accepts both a `<testsuites>` root and a bare `<testsuite>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from ftlab_harness import junit as harness_junit


@dataclass(frozen=True)
class Case:
    """One `<testcase>`: its outcome is passed, failure, error or skipped."""

    classname: str
    name: str
    seconds: float
    outcome: str
    message: str = ""

    @property
    def nodeid(self) -> str:
        """`test_file.py::test_name[params]` (pytest's classname is the dotted module path)."""
        module = self.classname.rsplit(".", 1)[-1] if self.classname else "?"
        return f"{module}.py::{self.name}"


# The parsing itself is the harness's (`ftlab_harness.junit`): one JUnit reader in the repo.
_OUTCOME = {"passed": "passed", "failed": "failure", "error": "error", "skipped": "skipped"}


def read_junit(path: Path) -> List[Case]:
    """Every test case in the JUnit file at `path` ([] if it is missing or not XML)."""
    try:
        report = harness_junit.read_junit(path)
    except harness_junit.JunitError:
        return []
    return [Case(c.classname, c.name, c.time, _OUTCOME.get(c.outcome, c.outcome), c.message or c.text.strip())
            for c in report.cases]


def counts(cases: List[Case]) -> Dict[str, int]:
    """tests / passed / failures / errors / skipped."""
    out = {"tests": len(cases), "passed": 0, "failures": 0, "errors": 0, "skipped": 0}
    key = {"passed": "passed", "failure": "failures", "error": "errors", "skipped": "skipped"}
    for c in cases:
        out[key[c.outcome]] += 1
    return out


def first_line(text: Optional[str], width: int = 80) -> str:
    return (text or "").strip().splitlines()[0][:width] if (text or "").strip() else ""

"""JUnit XML for the TSan lane: one `<testsuite name="tsan">`, TSan as a detector of its own.

Each case is a dict with `name`, `classname`, `ok`, `message` (the failure's one line), `detail`
(its body) and `seconds`. CI systems show a failing case per unexpected verdict: a twin TSan must
catch and did not, a twin it must not catch and did, a clean run with unsuppressed reports.
Stdlib only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Iterable

__all__ = ["suite", "write"]


def suite(cases: Iterable[dict[str, Any]], name: str = "tsan") -> ET.Element:
    cases = list(cases)
    el = ET.Element("testsuite", name=name, tests=str(len(cases)),
                    failures=str(sum(1 for c in cases if not c.get("ok", True))),
                    time=f"{sum(float(c.get('seconds') or 0) for c in cases):.3f}")
    for c in cases:
        tc = ET.SubElement(el, "testcase", name=str(c["name"]), classname=str(c.get("classname", name)),
                           time=f"{float(c.get('seconds') or 0):.3f}")
        if not c.get("ok", True):
            fail = ET.SubElement(tc, "failure", message=str(c.get("message", "failed")))
            fail.text = str(c.get("detail", ""))
    return el


def write(path: str, cases: Iterable[dict[str, Any]], name: str = "tsan") -> None:
    root = ET.Element("testsuites")
    root.append(suite(cases, name))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)

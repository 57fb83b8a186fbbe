"""JUnit XML: the writer for `run`/`hunt --junit-xml FILE`, and the one JUnit reader of the repo.

Writer invariants:
  * one `<testcase>` per scenario run (`stress-run`), per hunted bug (`hunt`), per clean-build
    check (`hunt-clean`) and per pytest-run-parallel check (`pytest-twins`);
  * a finding is a `<failure>` whose `type` is the outcome (`violation`, `crash`, `timeout`,
    `error`, `missed`, `false_alarm`) and whose `message` is the first line of the detail; the
    element's text carries the whole detail (violation details, crash signal and stacks, the hang's
    stacks). A `skipped` run is `<skipped>`; everything else passed;
  * the file is written atomically (tmp + rename), so a CI step never uploads half a file;
  * attribute values and text are stripped of characters XML 1.0 cannot carry (faulthandler
    output may hold any byte).

Reader: `read_junit(path)` understands both `<testsuites>` and a bare `<testsuite>` root (pytest,
this writer, cargo-nextest) and returns typed `JunitCase`s; a file that is missing or not XML is a
`JunitError` (a ValueError) with a one-line message. Stdlib only.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ftlab_harness.summary import failure_text

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: `outcome` values of a JunitCase.
CASE_OUTCOMES = ("passed", "failed", "error", "skipped")


class JunitError(ValueError):
    """A JUnit file that cannot be read (missing, not XML, no test suite)."""


@dataclass(frozen=True)
class JunitCase:
    """One `<testcase>`: `outcome` is passed / failed / error / skipped."""

    classname: str
    name: str
    outcome: str
    time: float = 0.0
    message: str = ""
    type: str = ""
    text: str = ""


@dataclass(frozen=True)
class JunitReport:
    """Every testcase of a JUnit file, in document order."""

    path: str
    cases: List[JunitCase] = field(default_factory=list)

    def counts(self) -> Dict[str, int]:
        out = {k: 0 for k in CASE_OUTCOMES}
        for c in self.cases:
            out[c.outcome] = out.get(c.outcome, 0) + 1
        return out

    def outcomes(self) -> Dict[str, str]:
        """`{testcase name: outcome}` (the last one wins when names repeat)."""
        return {c.name: c.outcome for c in self.cases}

    @property
    def failed(self) -> List[JunitCase]:
        return [c for c in self.cases if c.outcome in ("failed", "error")]


def read_junit(path: Union[str, os.PathLike]) -> JunitReport:
    """Reads a JUnit XML file (pytest's, nextest's, this module's). Raises JunitError."""
    try:
        root = ET.parse(path).getroot()
    except OSError as e:
        raise JunitError(f"cannot read JUnit file {path}: {e.strerror or e}") from None
    except ET.ParseError as e:
        raise JunitError(f"JUnit file {path} is not XML: {e}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise JunitError(f"JUnit file {path}: root element is <{root.tag}>, not <testsuites>/<testsuite>")
    cases = []
    for case in root.iter("testcase"):
        outcome, detail = "passed", None
        for tag, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            detail = case.find(tag)
            if detail is not None:
                outcome = name
                break
        try:
            seconds = float(case.get("time") or 0.0)
        except ValueError:
            seconds = 0.0
        cases.append(JunitCase(
            classname=case.get("classname", ""),
            name=case.get("name", "?"),
            outcome=outcome,
            time=seconds,
            message=(detail.get("message", "") if detail is not None else ""),
            type=(detail.get("type", "") if detail is not None else ""),
            text=((detail.text or "") if detail is not None else ""),
        ))
    return JunitReport(str(path), cases)


# --------------------------------------------------------------------------- writer


def _clean(text: object) -> str:
    return _XML_BAD.sub("?", str(text if text is not None else ""))


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def case_for(record: Mapping[str, Any]) -> Optional[JunitCase]:
    """The testcase for one JSONL record (flat dict), or None for kinds that are not test results."""
    kind = record.get("kind")
    label = record.get("label") or record.get("interpreter") or ""
    suffix = f"[{label}]" if label else ""
    outcome = str(record.get("outcome") or "")
    seconds = float(record.get("wall_seconds") or record.get("seconds") or 0.0)
    if kind == "stress-run":
        name = str(record.get("scenario")) + (f"#{record['repeat']}" if record.get("repeat") else "") + suffix
        if outcome == "pass":
            verdict, ftype = "passed", ""
        elif outcome == "skipped":
            verdict, ftype = "skipped", "skipped"
        else:
            verdict, ftype = "failed", outcome or "error"
        return JunitCase("ftlab_harness.run", name, verdict, seconds, _first_line(str(record.get("detail") or ftype)),
                         ftype, failure_text(record) if verdict != "passed" else "")
    if kind == "zerocode":  # `ftlab-harness zerocode`: one run of the zero-code checks on one target
        name = f"{record.get('target')}[seed {record.get('seed')}]{suffix}"
        if outcome == "pass":
            return JunitCase("ftlab_harness.zerocode", name, "passed", seconds)
        if outcome == "skipped":
            return JunitCase("ftlab_harness.zerocode", name, "skipped", seconds, _first_line(str(record.get("detail"))))
        return JunitCase("ftlab_harness.zerocode", name, "failed", seconds, _first_line(str(record.get("detail") or outcome)),
                         outcome, failure_text(record))
    if kind == "tsan":  # ftlab_harness.tsan: one record per unique ThreadSanitizer report
        if not record.get("in_target") or record.get("suppressed_by"):
            return None
        name = f"{record.get('scenario')}:{record.get('signature')}{suffix}"
        return JunitCase("ftlab_harness.tsan", name, "failed", 0.0, _first_line(str(record.get("headline") or "")),
                         "data_race", str(record.get("headline") or ""))
    if kind == "hunt":
        name = f"{record.get('bug')}{suffix}"
        if record.get("detected"):
            return JunitCase("ftlab_harness.hunt", name, "passed", seconds)
        required = record.get("required", True)
        verdict = "failed" if required else "skipped"
        return JunitCase("ftlab_harness.hunt", name, verdict, seconds,
                         f"seeded bug {record.get('bug')} not detected ({outcome})", "missed", failure_text(record))
    if kind == "hunt-clean":
        name = f"{record.get('scenario')}{suffix}"
        if record.get("false_alarm"):
            return JunitCase("ftlab_harness.hunt_clean", name, "failed", seconds,
                             _first_line(str(record.get("detail") or outcome)), "false_alarm", failure_text(record))
        if outcome == "skipped":
            return JunitCase("ftlab_harness.hunt_clean", name, "skipped", seconds, _first_line(str(record.get("detail"))),
                             "skipped")
        return JunitCase("ftlab_harness.hunt_clean", name, "passed", seconds)
    if kind == "pytest-twins":
        name = f"{record.get('bug')}[{record.get('build')}]{suffix}"
        wrong = (record.get("build") == "clean") == bool(record.get("detected"))
        # Informational: the comparison never fails a hunt for missing a bug, only for a false alarm.
        if record.get("build") == "clean" and record.get("detected"):
            return JunitCase("ftlab_harness.pytest_twins", name, "failed", seconds,
                             "pytest-run-parallel false alarm on the clean build", "false_alarm", failure_text(record))
        return JunitCase("ftlab_harness.pytest_twins", name, "skipped" if wrong else "passed", seconds,
                         "not caught by pytest-run-parallel" if wrong else "", "missed" if wrong else "")
    return None


#: The detail of the record standing for a run cut short by Ctrl-C (a `<failure type="interrupted">`).
INTERRUPTED = "interrupted (SIGINT / Ctrl-C) while this ran: no result, not a pass"
NOT_RUN = "not run: the run was interrupted (SIGINT / Ctrl-C)"


def interrupted_rows(unfinished: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Rows for the JUnit file of an interrupted run: `unfinished` are the records (kind and
    name fields) of what had not finished, the one running first. It becomes a failure of type
    `interrupted` (never a pass); the others `skipped` (not run)."""
    return [dict(r, outcome="interrupted" if i == 0 else "skipped", detail=INTERRUPTED if i == 0 else NOT_RUN)
            for i, r in enumerate(unfinished)]


def write_junit(path: Union[str, os.PathLike], records: Sequence[Mapping[str, Any]], suite: str = "ftlab-harness") -> JunitReport:
    """Writes one testsuite with a testcase per result record; returns what was written."""
    cases = [c for c in (case_for(r) for r in records) if c is not None]
    counts = {k: sum(1 for c in cases if c.outcome == k) for k in CASE_OUTCOMES}
    total_time = sum(c.time for c in cases)
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", {
        "name": suite, "tests": str(len(cases)), "failures": str(counts["failed"]),
        "errors": str(counts["error"]), "skipped": str(counts["skipped"]), "time": f"{total_time:.3f}",
    })
    for c in cases:
        tc = ET.SubElement(ts, "testcase", {"classname": _clean(c.classname), "name": _clean(c.name),
                                            "time": f"{c.time:.3f}"})
        if c.outcome == "passed":
            continue
        tag = {"failed": "failure", "error": "error", "skipped": "skipped"}[c.outcome]
        el = ET.SubElement(tc, tag, {"message": _clean(c.message), "type": _clean(c.type)})
        if c.text:
            el.text = _clean(c.text)
    target = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    tmp = target + ".tmp"
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, target)
    return JunitReport(target, cases)

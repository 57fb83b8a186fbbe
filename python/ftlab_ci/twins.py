"""Show that the pytest concurrency checks catch the seeded bugs: every test marked
`@pytest.mark.detects("<bug>")` in python-tests/ must FAIL (with an AssertionError) when it runs
against the broken twin `ftlab._seeded.<BUGS[bug]>`.

Usage:
    ci/pytest-twins [LABEL]          # default label 3.13t; needs `ci/envs --seeded LABEL` first
    ci/pytest-twins 3.13t --jobs 1 --timeout 60
    ci/pytest-twins 3.13             # the GIL build: the bugs no GIL hides must still be caught
    ci/pytest-twins 3.13t+gil        # 3.13t with PYTHON_GIL=1, likewise

Isolation: each bug's detectors run in their own pytest process (a deadlocking twin cannot stall
the tests after it: on 3.13t a stop-the-world pause waits for an attached thread stuck in a
lock), at most `--jobs` (2) at a time, each killed with its process group after a hard
wall-clock `--timeout` (120 s). Each process writes its own JUnit file
(`out/pytest-twins-<LABEL>/pytest-twins-<bug>.xml`) and log; the rows are merged into one table, one row
per detector with its seconds:

    caught   it failed on an assertion (what a detector must do on its twin)
    MISSED   it passed (a detector that cannot fail is a defect)
    ERROR    anything else (an import error, a crash, no JUnit for a process that was not killed)
    HANG     its process was killed at the hard timeout while it ran (or before it could run),
             or pytest-timeout (set 5 s below the hard timeout) interrupted it
    passed (GIL on: not required)
             it passed with the GIL enabled, on a twin whose race the GIL hides

What is required (`--require`): `all` detectors, or `auto` (the default): all of them with the
GIL off; with it on (a GIL build, or PYTHON_GIL=1) only the detectors of the bugs in
`ftlab._seeded.GIL_PROOF`, which no GIL can hide (their twins race detached or inside Python code,
deadlock, or lose a wake-up). The other twins race inside one call that holds the GIL throughout,
so on a GIL build their detectors pass by design.

Exit status 1 unless every required detector caught its twin; 2 on usage errors. Bugs in
ftlab._seeded.BUGS with no pytest detector are listed (informational: the stress hunt and loom
cover them). The normal suite (ci/test's pytest steps) runs the same tests against the correct
classes, where they must pass. How long it takes: the README's timing table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from . import junit, labels, repo
from .proc import run_logged

#: Hard wall-clock limit per pytest process (one bug's detectors), seconds.
DEFAULT_TIMEOUT = 120.0
#: pytest processes at a time.
DEFAULT_JOBS = 2

COLLECT = r"""
import sys, pytest
class Collect:
    def pytest_collection_modifyitems(self, items):
        for item in items:
            mark = item.get_closest_marker("detects")
            if mark:
                print("DETECTS", item.nodeid, mark.args[0], flush=True)
sys.exit(pytest.main([sys.argv[1], "-m", "detects", "--collect-only", "-q", "-p", "no:cacheprovider"],
                     plugins=[Collect()]))
"""

#: A `pytest -v` result line: `path::test[params] PASSED  [ 50%]`.
VERBOSE_LINE = re.compile(r"^(\S+::\S+)\s+(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")


@dataclass(frozen=True)
class Row:
    """One detector's result against its twin; `required` is False for a detector excused by the
    GIL (`--require auto` with the GIL on, a bug not in GIL_PROOF)."""

    bug: str
    test: str
    verdict: str
    seconds: Optional[float]
    required: bool = True

    @property
    def caught(self) -> bool:
        return self.verdict == "caught"

    @property
    def ok(self) -> bool:
        """Caught, or only passed where it is not required to catch; an error or a hang never is."""
        return self.caught or (not self.required and self.verdict == "MISSED")

    @property
    def shown(self) -> str:
        return "passed (GIL on: not required)" if self.verdict == "MISSED" and not self.required else self.verdict


@dataclass(frozen=True)
class Probe:
    """What the seeded build says of itself, as the detectors' interpreter sees it."""

    gil_enabled: bool
    bugs: List[str]
    gil_proof: List[str]
    error: str = ""


# The GIL is read after the import: on 3.13t importing a module that needs the GIL enables it.
PROBE = r"""
import json, sys
try:
    import ftlab._seeded as s
except BaseException as e:
    found = {"error": f"{type(e).__name__}: {e}"}
else:
    found = {"bugs": list(s.BUGS), "gil_proof": list(getattr(s, "GIL_PROOF", ()))}
print(json.dumps({"gil_enabled": getattr(sys, "_is_gil_enabled", lambda: True)(), **found}))
"""


def probe(python: str, env: Dict[str, str]) -> Probe:
    """Runs PROBE in the detectors' interpreter and environment (PYTHON_GIL and all)."""
    p = subprocess.run([python, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        got = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = (p.stdout + p.stderr).strip().splitlines()[-1:]
        return Probe(gil_enabled=True, bugs=[], gil_proof=[], error=f"probe failed: exit {p.returncode} {tail}")
    return Probe(gil_enabled=bool(got["gil_enabled"]), bugs=got.get("bugs", []), gil_proof=got.get("gil_proof", []),
                 error=got.get("error", ""))


def required(bug: str, require: str, found: Probe) -> bool:
    """Whether `bug`'s detectors must catch it here (see `--require`). A failed probe excuses
    nothing: it can only make the check stricter."""
    return require == "all" or bool(found.error) or not found.gil_enabled or bug in found.gil_proof


def parse_collect(stdout: str) -> Dict[str, str]:
    """`DETECTS <nodeid> <bug>` lines -> {nodeid: bug}."""
    found: Dict[str, str] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "DETECTS":
            found[parts[1]] = parts[2]
    return found


def by_bug(detectors: Dict[str, str]) -> Dict[str, List[str]]:
    """{nodeid: bug} -> {bug: [nodeids]}, bugs sorted, nodeids in collection order."""
    groups: Dict[str, List[str]] = {}
    for nodeid, bug in detectors.items():
        groups.setdefault(bug, []).append(nodeid)
    return {bug: groups[bug] for bug in sorted(groups)}


def short(nodeid: str) -> str:
    """`python-tests/test_counter.py::t[x]` -> `test_counter.py::t[x]`."""
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


def verdict(case: junit.Case) -> str:
    if case.outcome == "skipped":
        return "skipped"
    if case.outcome == "failure" and case.message.startswith("AssertionError"):
        return "caught"
    if case.outcome == "passed":
        return "MISSED"
    if case.message.startswith("Failed: Timeout"):  # pytest-timeout fired: it hung, and could be interrupted
        return "HANG (" + junit.first_line(case.message) + ")"
    return "ERROR: " + junit.first_line(case.message)


def pytest_command(python: str, tests: Sequence[str], junit_xml: Path, test_timeout: float) -> List[str]:
    """One bug's pytest process: its detectors only, verbose (the log names a hanging test)."""
    return [python, "-m", "pytest", *tests, "-m", "detects", "-v", "-p", "no:cacheprovider",
            f"--timeout={max(1, int(test_timeout))}", f"--junitxml={junit_xml}"]


def find_case(nodeid: str, cases: List[junit.Case]) -> Optional[junit.Case]:
    """The JUnit case of a pytest node id (JUnit keeps the test name and a dotted classname:
    module path, plus the class for a test in a class)."""
    path, _, rest = nodeid.partition("::")
    module = path.rsplit("/", 1)[-1].removesuffix(".py") if path.endswith(".py") else path
    name = rest.rsplit("::", 1)[-1]
    for case in cases:
        if case.name == name and module in case.classname.split("."):
            return case
    return None


def rows_for(bug: str, tests: Sequence[str], cases: List[junit.Case], rc: object, log_text: str,
             timed_out: bool, timeout: float) -> List[Row]:
    """Merges one process's outcome into rows: JUnit when it was written, else the `-v` log."""
    finished = {m.group(1): m.group(2) for m in map(VERBOSE_LINE.match, log_text.splitlines()) if m}
    rows = []
    for nodeid in tests:
        name = short(nodeid)
        case = find_case(nodeid, cases)
        if case is not None:
            rows.append(Row(bug, name, verdict(case), case.seconds))
        elif timed_out:
            outcome = finished.get(nodeid)
            if outcome is None:
                rows.append(Row(bug, name, f"HANG (killed after {timeout:.0f} s)", timeout))
            else:  # finished before another detector of the same process hung
                word = {"PASSED": "MISSED", "FAILED": "caught"}.get(outcome, f"ERROR: {outcome}")
                rows.append(Row(bug, name, word, None))
        else:
            rows.append(Row(bug, name, f"ERROR: no JUnit result (pytest exit {rc})", None))
    return rows


def run_bug(bug: str, tests: List[str], python: str, env: Dict[str, str], out: Path, cwd: Path,
            timeout: float) -> List[Row]:
    xml = out / f"pytest-twins-{bug}.xml"
    log = out / f"pytest-twins-{bug}.log"
    xml.unlink(missing_ok=True)
    done = run_logged(pytest_command(python, tests, xml, timeout - 5), log, env, timeout, cwd=cwd, echo=False)
    return rows_for(bug, tests, junit.read_junit(xml), done.rc, log.read_text(errors="replace"),
                    done.timed_out, timeout)


def run_all(groups: Dict[str, List[str]], python: str, env: Dict[str, str], out: Path, cwd: Path,
            timeout: float, jobs: int) -> List[Row]:
    """Every bug's process, `jobs` at a time; rows in bug order."""
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {bug: pool.submit(run_bug, bug, tests, python, env, out, cwd, timeout)
                   for bug, tests in groups.items()}
        rows: List[Row] = []
        for bug in groups:
            rows += futures[bug].result()
    return rows


def verdict_line(rows: List[Row]) -> Tuple[str, int]:
    """The closing line and the exit status: 0 when every row is ok (a required detector caught
    its twin; an excused one caught it or passed), else 1."""
    need = [r for r in rows if r.required]
    excused = len(rows) - len(need)
    line = f"{sum(r.caught for r in need)}/{len(need)} {'required ' if excused else ''}detectors caught their twin"
    if excused:
        line += (f"; {sum(r.caught for r in rows if not r.required)} of the other {excused} too (the GIL is on, "
                 "and only the bugs in ftlab._seeded.GIL_PROOF must show through it)")
    return line, 0 if all(r.ok for r in rows) else 1


def table(rows: List[Row], label: str) -> str:
    """One line per detector: bug, test, seconds, verdict."""
    width = max([len(r.test) for r in rows] + [4])
    bug_width = max([len(r.bug) for r in rows] + [26])
    lines = [f"pytest detectors vs seeded twins ({label}, FTLAB_TWINS=seeded, one process per bug)",
             f"{'bug':<{bug_width}} {'test':<{width}} {'secs':>6}  result"]
    for r in rows:
        secs = f"{r.seconds:.2f}" if r.seconds is not None else "-"
        lines.append(f"{r.bug:<{bug_width}} {r.test:<{width}} {secs:>6}  {r.shown}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="ci/pytest-twins", description=(__doc__ or "").split("\n")[0])
    ap.add_argument("label", nargs="?", default="3.13t",
                    help="configuration: 3.13, 3.13t (the default) or 3.13t+gil (3.13t with PYTHON_GIL=1)")
    ap.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help=f"pytest processes at a time ({DEFAULT_JOBS})")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help=f"hard wall-clock seconds per process ({DEFAULT_TIMEOUT:.0f})")
    ap.add_argument("--tests", default=str(repo.PYTHON_TESTS), help=argparse.SUPPRESS)
    ap.add_argument("--python", default="", help=argparse.SUPPRESS)
    ap.add_argument("--seeded", default="", help=argparse.SUPPRESS)
    ap.add_argument("--require", choices=["auto", "all"], default="auto",
                    help="which detectors must catch their twin: all, or auto (the default) = all with the GIL "
                         "off, only those of ftlab._seeded.GIL_PROOF with it on")
    ap.add_argument("--out", default="", help="folder for the JUnit files and logs (default out/pytest-twins-LABEL)")
    try:
        args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.jobs < 1 or args.timeout <= 5:
        print("pytest-twins: error: --jobs must be >= 1 and --timeout > 5 s", file=sys.stderr)
        return 2
    try:
        config = labels.configuration(args.label)
    except labels.BadLabel as e:
        print(f"pytest-twins: error: {e}", file=sys.stderr)
        return 2
    python = Path(args.python) if args.python else repo.venv_python(config.label)
    seeded = Path(args.seeded) if args.seeded else python.parent.parent / "seeded"
    if not python.exists() or not seeded.is_dir():
        print(f"pytest-twins: error: no seeded build for {config.label}; run `ci/envs --seeded {config.label}` first",
              file=sys.stderr)
        return 2
    tests = Path(args.tests).resolve()
    cwd = tests.parent
    out = Path(args.out) if args.out else repo.ROOT / "out" / f"pytest-twins-{config.name}"
    # The configuration decides PYTHON_GIL (`3.13t+gil` sets it to 1; a stray one in the caller's
    # environment is dropped), and the probe below reads the GIL state the detectors will run with.
    env = config.env(dict(os.environ, FTLAB_TWINS="seeded",
                          PYTHONPATH=os.pathsep.join([str(seeded), *filter(None, [os.environ.get("PYTHONPATH")])])))

    collect = subprocess.run([str(python), "-c", COLLECT, str(tests)], cwd=cwd, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
    detectors = parse_collect(collect.stdout)
    if not detectors:
        tail = (collect.stdout + collect.stderr).strip().splitlines()[-5:]
        print("pytest-twins: error: no test is marked @pytest.mark.detects (collection: "
              + " | ".join(tail) + ")", file=sys.stderr)
        return 1
    found = probe(str(python), env)
    if found.error:
        print(f"pytest-twins: warning: ftlab._seeded: {found.error}", file=sys.stderr)
    rows = [dataclasses.replace(row, required=required(row.bug, args.require, found))
            for row in run_all(by_bug(detectors), str(python), env, out, cwd, args.timeout, args.jobs)]
    print(table(rows, config.name + (", GIL on" if found.gil_enabled else ", GIL off")))
    uncovered = sorted(set(found.bugs) - {r.bug for r in rows})
    if uncovered:
        print(f"(no pytest detector for: {', '.join(uncovered)})")
    line, rc = verdict_line(rows)
    print(f"{line} (JUnit and logs per bug: {out})")
    return rc

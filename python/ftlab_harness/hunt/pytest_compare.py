"""The side-by-side check: the same seeded bugs, hunted with pytest-run-parallel instead.

`ftlab_harness/hunt/pytest_twins/test_seeded.py` holds tests written the way pytest-run-parallel users write
them, two per bug: `test_<bug>__unit` (an ordinary unit test, each thread builds its own object:
what a project gets by running its existing suite with `--parallel-threads`) and
`test_<bug>__shared` (a test written for the plugin: one fixture object shared by every thread, a
`threading.Barrier(num_parallel_threads)` before the final assertion). `STRESS_TWINS=seeded`
makes them test `ftlab._seeded`'s twins, anything else the correct classes.

For each bug, pytest runs `-k <bug> --parallel-threads N` (plus pytest-timeout, as its users
would have it, with the thread method so a deadlock ends the process) again and again until a
test fails or the time cap; the record says whether it was caught, by which test, after how many
attempts and seconds. The same runs on the correct build must pass (false-alarm check).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ftlab_harness import summary
from ftlab_harness.junit import JunitError, read_junit
from ftlab_harness.records import Interpreter, JsonlWriter, PytestTwinsRecord
from ftlab_harness.runner import child_env, signal_name

TWINS_DIR = Path(__file__).resolve().parent / "pytest_twins"
ATTEMPT_TIMEOUT = 10.0


def _junit_outcomes(path: str) -> dict[str, str]:
    try:
        return read_junit(path).outcomes()
    except JunitError:
        return {}


def attempt(bug: str, seeded: Path | None, threads: int, iterations: int) -> dict[str, Any]:
    """One pytest invocation over the bug's tests. Returns caught/how/tests."""
    with tempfile.TemporaryDirectory(prefix="stress-pytest-") as tmp:
        junit = os.path.join(tmp, "junit.xml")
        cmd = [
            sys.executable, "-m", "pytest", str(TWINS_DIR), "-q", "-p", "no:cacheprovider", "-o", "addopts=",
            "--rootdir", str(TWINS_DIR), "-k", bug, f"--parallel-threads={threads}", f"--iterations={iterations}",
            f"--timeout={ATTEMPT_TIMEOUT:g}", "--timeout-method=thread", f"--junitxml={junit}",
        ]
        env = child_env([str(seeded)] if seeded else [])
        env["STRESS_TWINS"] = "seeded" if seeded else "clean"
        t0 = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                                  timeout=ATTEMPT_TIMEOUT + 60, cwd=tmp)
            rc, out = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as e:
            rc, out = None, str(e.stdout or "") + str(e.stderr or "")
        seconds = time.monotonic() - t0
        tests = _junit_outcomes(junit)
    failing = sorted(n for n, o in tests.items() if o in ("failed", "error"))
    if rc is None:
        how = "hang (killed by the harness)"
    elif rc < 0:
        how = f"crash:{signal_name(rc).split()[0]}"
    elif "Timeout" in out and not tests:
        how = "pytest-timeout (hang)"
    elif failing:
        how = "failed: " + ", ".join(failing)
    elif rc == 5 or (rc == 0 and not tests):
        how = None
        out = f"no pytest twin test matches -k {bug}"
    elif rc == 0:
        how = None
    else:
        how = f"pytest exit {rc}: " + summary.short(out[-300:], 200)
    return {"caught": how is not None, "how": how, "tests": tests, "seconds": seconds, "returncode": rc,
            "output_tail": out[-1500:] if how or not tests else ""}


def check_bug(bug: str, seeded: Path | None, threads: int, cap: float, iterations: int) -> dict[str, Any]:
    """Repeats `attempt` until caught or `cap` seconds have passed."""
    t0 = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        res = attempt(bug, seeded, threads, iterations)
        if res["caught"] or not res["tests"] or time.monotonic() - t0 >= cap:
            res["attempts"] = attempts
            res["total_seconds"] = round(time.monotonic() - t0, 3)
            return res


def compare(wanted: list[str], bugs: dict[str, str], seeded: Path, args: argparse.Namespace, info: Interpreter,
            cap: float, writer: JsonlWriter) -> list[dict[str, Any]]:
    threads = args.pytest_threads or args.threads or 4
    iterations = 1
    records = []
    print(f"\npytest-run-parallel side by side: --parallel-threads={threads}, repeated until a failure or "
          f"{cap:g} s per bug ({TWINS_DIR.relative_to(TWINS_DIR.parent.parent)})", flush=True)
    for build in ("seeded", "clean"):
        for bug in wanted:
            label = f"{bug} [{build}]"
            sys.stdout.write(f"  {label:<40} ... ")
            sys.stdout.flush()
            res = check_bug(bug, seeded if build == "seeded" else None, threads,
                            cap if build == "seeded" else 0.0, iterations)
            record = PytestTwinsRecord(
                interp=info, label=args.label, build=build, bug=bug,
                twin=bugs[bug] if build == "seeded" else None, threads=threads, iterations=iterations,
                detected=res["caught"], detector=res["how"],
                seconds_to_detect=res["total_seconds"] if res["caught"] else None,
                attempts=res["attempts"], seconds=res["total_seconds"], tests=res["tests"],
                outcome=("violation" if res["caught"] else "pass"), returncode=res["returncode"],
                detail=res["output_tail"],
            )
            writer.write(record)
            records.append(record.to_json())
            print(("caught: " + res["how"]) if res["caught"] else "not caught",
                  f"({res['attempts']} attempt(s), {res['total_seconds']:.1f} s)", flush=True)
    return records

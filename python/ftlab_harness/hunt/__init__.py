"""`ftlab-harness hunt`: run each seeded bug's scenario against its broken twin until detection.

The `seeded-bugs` cargo feature builds deliberately broken twins of ftlab's patterns into the
submodule `ftlab._seeded` (`BUGS`: bug name -> twin class name, same API as the correct class).
`ci/envs --seeded LABEL` installs that build into `.venvs/<label>/seeded`; the hunt puts that folder
first on the children's PYTHONPATH (default: `<sys.prefix>/seeded`, i.e. the seeded build that
belongs to the venv whose python runs the hunt).

For every bug, the scenario that declares `hunts=[bug]` runs with its target swapped for
`ftlab._seeded:<Twin>`, in rounds of `--round` seconds with fresh state, until a detector fires
(an invariant, the hang watchdog, a crash, an unexpected exception) or the time cap. Then the
clean-build false-alarm check runs the same scenarios, same settings, against the correct classes
(without the seeded folder): they must show 0 violations. `--compare-pytest` adds the same bugs
checked with pytest-run-parallel (`ftlab_harness/hunt/pytest_twins`), side by side.

Beside them, the zero-code mode (`hunt/zerocode_phase.py`): each twin, from the factory table in
`ftlab_harness.zerocode.twins`, hammered with no invariant in one isolated zero-code run of
`--zerocode-seconds` of rounds (default 10 s, --quick 3 s; stops at the first finding;
`--no-zerocode` leaves it out). Its two columns in the table, zero-code hammer (crash, hang,
unexpected exception) and linearizability (not linearizable), are information: a zero-code miss
never fails the hunt, a zero-code harness error shows as ERROR.

Records (JSONL, one per bug / clean scenario / pytest check / zero-code run): `kind` = "hunt" |
"hunt-clean" | "pytest-twins" | "zerocode", `bug`, `interpreter`, `label`, `detected`, `detector`,
`seconds_to_detect`, plus the run's fields (`scenario`, `target`, `ops`, `outcome`, `detail`, ...;
zero-code: `finding_kind`, `zerocode_outcome`, `budget_seconds`). The JUnit file (`--junit-xml`)
holds the hunt's contract only: hunt, hunt-clean and pytest-twins records.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from ftlab_harness import summary
from ftlab_harness.exitcodes import EXIT_CLEAN, EXIT_FINDINGS
from ftlab_harness.hunt import zerocode_phase
from ftlab_harness.loader import BadInput, Source, file_folders, load, sources_from
from ftlab_harness.records import HuntCleanRecord, HuntRecord, JsonlWriter, RunSpec, ScenarioResult
from ftlab_harness.runner import check_targets, child_env, default_threads, interpreter_info, run_child

DEFAULT_HUNT_JSONL = Path("out") / "stress" / "hunt.jsonl"
DETECTING_OUTCOMES = ("violation", "crash", "timeout")
DETECTING_ERROR_PHASES = ("step", "finish", "thread_setup")

PROBE_BUGS = r"""
import json, sys
try:
    import ftlab._seeded as seeded
except BaseException as e:
    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
    sys.exit(0)
probe = getattr(sys, "_is_gil_enabled", None)
where = getattr(seeded, "__file__", None) or getattr(sys.modules["ftlab"], "__file__", None)
print(json.dumps({"bugs": dict(seeded.BUGS), "tsan_only": list(getattr(seeded, "TSAN_ONLY", ())),
                  "gil_proof": list(getattr(seeded, "GIL_PROOF", ())), "file": where,
                  "gil_enabled": bool(probe()) if probe else True}))
"""


def detected(result: ScenarioResult) -> bool:
    """Whether a hunt result counts as detection (an error in setup, e.g. a missing class, does not)."""
    if result.outcome in DETECTING_OUTCOMES:
        return True
    return result.outcome == "error" and result.error_phase in DETECTING_ERROR_PHASES


def hunt_spec(args: argparse.Namespace, src: Source, scenario: str, target: str, threads: int, seed: int,
              cap: float) -> RunSpec:
    return RunSpec(source_kind=src.kind, source_ref=src.ref, scenario=scenario, target=target, threads=threads,
                   seed=seed, switch_interval=args.switch_interval, hang_timeout=args.hang_timeout,
                   allow_gil=args.allow_gil, until_violation=True, cap_seconds=cap, round_seconds=args.round_seconds)


def seeded_path_for(args: argparse.Namespace) -> Path:
    given = args.seeded_path or os.environ.get("FTLAB_SEEDED_PATH")
    path = Path(given) if given else Path(sys.prefix) / "seeded"
    if not path.is_dir():
        raise BadInput(
            f"no seeded-bugs build at {path}: build it with `ci/envs --seeded LABEL` and run the hunt with "
            f".venvs/LABEL/bin/python, or pass --seeded-path DIR"
        )
    return path.resolve()


def probe_bugs(seeded: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE_BUGS], capture_output=True, text=True, env=child_env([str(seeded)]),
        stdin=subprocess.DEVNULL, timeout=120,
    )
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BadInput(f"probing ftlab._seeded in {seeded} failed (status {proc.returncode}): "
                       f"{proc.stderr.strip().splitlines()[-1:]}") from None
    if "error" in out:
        raise BadInput(f"ftlab._seeded is not importable from {seeded}: {out['error']} "
                       "(was it built with `ci/envs --seeded`?)")
    return out


def cmd_hunt(args: argparse.Namespace) -> int:
    cap = args.cap or (20.0 if args.quick else 30.0)
    clean_seconds = args.clean_seconds or (2.0 if args.quick else 5.0)
    zerocode_seconds = args.zerocode_seconds or zerocode_phase.default_seconds(args.quick)
    threads = args.threads or default_threads()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    seeded = seeded_path_for(args)
    probe = probe_bugs(seeded)
    bugs: dict[str, str] = probe["bugs"]
    sources = sources_from(args.scenarios)
    found = load(sources)
    hunters: dict[str, list] = {}
    for sc, src in found:
        for bug in sc.hunts:
            hunters.setdefault(bug, []).append((sc, src))
    wanted = args.bug or list(bugs)
    unknown = [b for b in wanted if b not in bugs]
    if unknown:
        raise BadInput(f"unknown bug {unknown[0]!r} (ftlab._seeded.BUGS has: {', '.join(bugs) or 'none'})")
    clean_targets = sorted({sc.target for bug in wanted for sc, _ in hunters.get(bug, [])})
    gil_probe = check_targets(clean_targets, [], tail_paths=file_folders(sources))
    info = interpreter_info()
    gil_off = not probe.get("gil_enabled", True)
    require_all = args.require == "all" or (args.require == "auto" and gil_off)
    tsan_only = set(probe.get("tsan_only", ()))
    # With the GIL on, `auto` still requires the bugs no GIL can hide (ftlab._seeded.GIL_PROOF).
    gil_proof = set(probe.get("gil_proof", ())) if args.require == "auto" else set()

    def required(bug: str) -> bool:
        return bug not in tsan_only and (require_all or bug in gil_proof)

    writer = JsonlWriter(args.jsonl or DEFAULT_HUNT_JSONL)
    print(
        f"stress hunt: {info.interpreter} ({sys.executable}), GIL {'disabled' if gil_off else 'enabled'}"
        + (f", PYTHON_GIL={info.python_gil_env}" if info.python_gil_env is not None else "")
        + f"; seeded build {seeded}; {len(wanted)} bug(s), {threads} threads, cap {cap:g} s, rounds of "
        f"{args.round_seconds:g} s, hang after {args.hang_timeout:g} s, seed {seed}; zero-code "
        + ("off" if args.no_zerocode else f"{zerocode_seconds:g} s per twin") + f"; results -> {writer.path}",
        flush=True,
    )
    hunt_records: list[dict[str, Any]] = []
    clean_records: list[dict[str, Any]] = []
    progress = summary.Progress(len(wanted))
    pytest_records: list[dict[str, Any]] = []
    zerocode_records: list[dict[str, Any]] = []
    try:
        for i, bug in enumerate(wanted, 1):
            twin = bugs[bug]
            progress.start(i, f"{bug} ({twin})")
            target = f"ftlab._seeded:{twin}"
            is_tsan_only = bug in probe.get("tsan_only", ())
            # A TSan-only bug (a race no invariant sees) is hunted to show that nothing fires; a quick
            # hunt shows it in 5 s instead of the full cap (the other bugs are caught in seconds).
            bug_cap = min(cap, 5.0) if is_tsan_only and args.quick and not args.cap else cap
            common = dict(interp=info, label=args.label, bug=bug, twin=twin, threads=threads, seed=seed,
                          cap_seconds=bug_cap, round_seconds=args.round_seconds, hang_timeout=args.hang_timeout,
                          extra={"required": required(bug)})
            if bug not in hunters:
                hrec = HuntRecord(scenario=None, target=target, detected=False, **common,  # type: ignore[arg-type]
                                  result=ScenarioResult(outcome="error", detail=f"no scenario declares hunts=[{bug!r}]"))
            else:
                sc, src = hunters[bug][0]
                spec = hunt_spec(args, src, sc.name, target, threads, seed, bug_cap)
                result = run_child(spec, bug_cap + 4 * args.hang_timeout + 60.0, [str(seeded)])
                if result.gil_enabled is None:
                    result = result.replace(gil_enabled=probe.get("gil_enabled"))
                found_it = detected(result)
                if not found_it:
                    result = result.replace(detector=None, seconds_to_detect=None)
                hrec = HuntRecord(scenario=sc.name, target=target, detected=found_it, result=result, **common)  # type: ignore[arg-type]
            writer.write(hrec)
            hunt_records.append(hrec.to_json())
            progress.end(hunt_records[-1])

        if not args.no_zerocode:
            zerocode_records = zerocode_phase.run_all(wanted, bugs, zerocode_seconds, seed, seeded, args.label, writer)

        if not args.no_clean:
            scenarios: list[tuple[Any, Source, str]] = []
            for bug in wanted:
                for sc, src in hunters.get(bug, [])[:1]:
                    if all(sc.name != s.name for s, _, _ in scenarios):
                        scenarios.append((sc, src, bug))
            print(f"\nclean-build false-alarm check: {len(scenarios)} scenario(s) on the correct classes, "
                  f"{clean_seconds:g} s each", flush=True)
            progress = summary.Progress(len(scenarios))
            for i, (sc, src, bug) in enumerate(scenarios, 1):
                progress.start(i, sc.name)
                spec = hunt_spec(args, src, sc.name, sc.target, threads, seed, clean_seconds)
                result = run_child(spec, clean_seconds + 4 * args.hang_timeout + 60.0, [])
                if result.gil_enabled is None:
                    result = result.replace(gil_enabled=gil_probe.get("gil_enabled"))
                crec = HuntCleanRecord(interp=info, label=args.label, bug=bug, scenario=sc.name, target=sc.target,
                                       threads=threads, seed=seed, cap_seconds=clean_seconds, result=result,
                                       false_alarm=result.outcome not in ("pass", "skipped"))
                writer.write(crec)
                clean_records.append(crec.to_json())
                progress.end(clean_records[-1])

        if args.compare_pytest:
            from ftlab_harness.hunt.pytest_compare import compare

            pytest_records = compare(wanted, bugs, seeded, args, info, cap, writer)
    finally:
        writer.close()
        if args.junit_xml:
            from ftlab_harness.junit import write_junit

            write_junit(args.junit_xml, hunt_records + clean_records + pytest_records, suite="ftlab-harness hunt")

    print("\nseeded-bug detection (" + info.interpreter + (f", label {args.label}" if args.label else "") + ")")
    pytest_by_bug = {r["bug"]: r for r in pytest_records if r["build"] == "seeded"}
    zerocode_by_bug = {r["bug"]: r for r in zerocode_records}
    rows = []
    for r in hunt_records:
        row = [r["bug"], r["twin"], r.get("scenario") or "-", "yes" if r["detected"] else "NO",
               r.get("detector") or "-", f"{r['seconds_to_detect']:.3f}" if r.get("seconds_to_detect") is not None else "-",
               r.get("rounds", "-")]
        if zerocode_records:
            row += zerocode_phase.table_cells(zerocode_by_bug.get(r["bug"]))
        if pytest_by_bug:
            p = pytest_by_bug.get(r["bug"], {})
            row += ["yes" if p.get("detected") else "NO",
                    f"{p['seconds_to_detect']:.1f}" if p.get("seconds_to_detect") is not None else "-"]
        rows.append(row)
    headers = ["bug", "twin", "scenario", "detected", "detector", "seconds", "rounds"]
    if zerocode_records:
        headers += ["zero-code hammer", "linearizability"]
    if pytest_by_bug:
        headers += ["pytest-run-parallel", "pytest s"]
    print(summary.table(headers, rows))
    missed = [r["bug"] for r in hunt_records if not r["detected"] and r["bug"] not in tsan_only]
    missed_required = [bug for bug in missed if required(bug)]
    judged = [r for r in hunt_records if r["bug"] not in tsan_only]
    caught = len(judged) - len(missed)
    print(f"\n{caught}/{len(judged)} seeded bugs detected" + (f"; missed: {', '.join(missed)}" if missed else ""))
    for r in hunt_records:
        if r["bug"] in tsan_only:
            print(f"{r['bug']}: a data race no invariant can see (ftlab._seeded.TSAN_ONLY): "
                  + ("DETECTED?! check the scenario" if r["detected"] else "not detected, as expected; ci/tsan reports it"))
    false_alarms = [r for r in clean_records if r["false_alarm"]]
    if clean_records:
        ops = sum(r.get("ops") or 0 for r in clean_records)
        skipped = [r["scenario"] for r in clean_records if r["outcome"] == "skipped"]
        print(
            f"clean build: {len(false_alarms)} false alarm(s), {sum(r.get('violations') or 0 for r in clean_records)} "
            f"violation(s) in {len(clean_records)} scenario(s), {summary.human(ops)} ops"
            + (f"; skipped (class missing): {', '.join(skipped)}" if skipped else "")
        )
        for r in false_alarms:
            print(f"  FALSE ALARM {r['scenario']}: {r['outcome']}: {summary.short(r.get('detail', ''), 100)}")
    if zerocode_records:
        print(zerocode_phase.summary_line(zerocode_records))
    pytest_false = [r for r in pytest_records if r["build"] == "clean" and r["detected"]]
    if pytest_records:
        print(f"pytest-run-parallel: caught {len(pytest_by_bug) and sum(1 for r in pytest_by_bug.values() if r['detected'])}"
              f"/{len(pytest_by_bug)} seeded bugs; {len(pytest_false)} false alarm(s) on the clean build")
    failed = bool(false_alarms) or bool(pytest_false) or bool(missed_required)
    if missed and not require_all:
        print("(detection of every bug is required only with the GIL off"
              + (f"; with it on, of those in ftlab._seeded.GIL_PROOF: {', '.join(sorted(gil_proof))}"
                 + (f", missed: {', '.join(missed_required)}" if missed_required else ", all detected")
                 if gil_proof else "")
              + f"; here: --require {args.require})")
    return EXIT_FINDINGS if failed else EXIT_CLEAN

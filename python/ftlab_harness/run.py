"""`ftlab-harness run` (and the pytest plugin): run selected scenarios, each in its own child.

`RunOptions` is everything a run needs (the CLI builds it from flags, the plugin from a fixture
call); `run_scenarios` loads and selects the scenarios, checks that their targets import (exit 2
otherwise), runs each in a child (`runner.run_child`), appends a `StressRunRecord` per scenario to
the JSONL file as it finishes, writes the JUnit file if asked, prints progress and the summary,
and returns the records with the exit status (`exitcodes.run_status`).
"""

from __future__ import annotations

import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, List, Optional, Tuple

from ftlab_harness import summary
from ftlab_harness.api import Scenario
from ftlab_harness.exitcodes import not_checked, run_status
from ftlab_harness.loader import Source, file_folders, load, select, sources_from, split_target
from ftlab_harness.records import JsonlWriter, RunSpec, StressRunRecord
from ftlab_harness.runner import check_targets, interpreter_info, run_child

#: Relative to the working directory: the harness never assumes a checkout.
DEFAULT_RUN_JSONL = Path("out") / "stress" / "results.jsonl"


@dataclass(frozen=True)
class RunOptions:
    """One `run`: which scenarios, how hard, where the records go."""

    scenario_files: Tuple[str, ...] = ()
    patterns: Tuple[str, ...] = ()
    target: Optional[str] = None
    threads: int = 4
    seed: int = 0
    duration: Optional[float] = 1.0
    iterations: Optional[int] = None
    hang_timeout: float = 10.0
    timeout: float = 300.0
    switch_interval: float = 1e-6
    allow_gil: bool = False
    repeat: int = 1
    label: Optional[str] = None
    jsonl: Optional[str] = None
    junit_xml: Optional[str] = None
    quiet: bool = False
    #: `patterns` are exact scenario names (the plugin), not prefixes or globs.
    exact_names: bool = False
    #: Children under ThreadSanitizer (ftlab_harness.tsan.attach); whose races count (default:
    #: the targets' modules), their source roots, extra suppression files.
    tsan: bool = False
    tsan_targets: Tuple[str, ...] = ()
    tsan_sources: Tuple[str, ...] = ()
    tsan_suppressions: Tuple[str, ...] = ()


@dataclass(frozen=True)
class RunOutcome:
    records: List[StressRunRecord]
    status: int


def spec_for(options: RunOptions, source: Source, scenario: str, target: str, repeat: int) -> RunSpec:
    return RunSpec(
        source_kind=source.kind, source_ref=source.ref, scenario=scenario, target=target,
        threads=options.threads, seed=options.seed + repeat, switch_interval=options.switch_interval,
        hang_timeout=options.hang_timeout, allow_gil=options.allow_gil, duration=options.duration,
        iterations=options.iterations,
    )


def _write_interrupted_junit(options: RunOptions, interpreter: str, done: List[dict],
                             left: List[Tuple[int, Scenario, Source]]) -> None:
    """The JUnit file of a run stopped by Ctrl-C: what finished, the interrupted scenario as a
    failure (type `interrupted`), the ones never started as skipped."""
    from ftlab_harness.junit import interrupted_rows, write_junit

    unfinished = [{"kind": "stress-run", "scenario": sc.name, "repeat": repeat, "label": options.label,
                   "interpreter": interpreter, "threads": options.threads, "seed": options.seed + repeat}
                  for repeat, sc, _ in left]
    write_junit(options.junit_xml or "", list(done) + interrupted_rows(unfinished), suite="ftlab-harness run")


def _not_checked_words(records: List[dict]) -> str:
    """Why a run exits 3: nothing was checked, or (another scenario passed) some were refused."""
    unchecked = [r for r in records if not_checked(r)]
    if len(unchecked) == len(records):
        return "nothing was checked"
    guarded = [r["scenario"] for r in unchecked if r.get("gil_guard")]
    return (f"{len(unchecked)} of {len(records)} not checked" + (f", refused by the GIL guard: {', '.join(guarded)}"
            if guarded else "") + "; never reported as clean")


def run_scenarios(options: RunOptions) -> RunOutcome:
    """Runs the selection; raises loader.BadInput on bad input (the CLI turns it into exit 2)."""
    out: IO[str] = io.StringIO() if options.quiet else sys.stdout
    sources = sources_from(list(options.scenario_files))
    chosen = select(load(sources), list(options.patterns))
    if options.exact_names:
        chosen = [(sc, src) for sc, src in chosen if sc.name in options.patterns] or chosen
    targets = {sc.name: options.target or sc.target for sc, _ in chosen}
    tsan = None
    if options.tsan:
        from ftlab_harness.tsan.attach import ChildTsan

        tsan = ChildTsan(options.tsan_targets or sorted({split_target(t)[0] for t in targets.values()}),
                         options.tsan_sources, options.tsan_suppressions)
        tsan.install()  # every child from here on (the import preflight too) runs under TSan
    tsan_findings: List[dict] = []
    info = interpreter_info()
    jsonl_path = options.jsonl or DEFAULT_RUN_JSONL
    records: List[StressRunRecord] = []
    index = 0
    plan = [(repeat, sc, source) for repeat in range(options.repeat) for sc, source in chosen]
    try:
        probe = check_targets(list(targets.values()), [], tail_paths=file_folders(sources))
        gil_state = {None: "unknown", True: "enabled", False: "disabled"}[probe.get("gil_enabled")]
        print(
            f"stress run: {info.interpreter} ({info.executable}), GIL {gil_state} after importing the targets"
            + (f", PYTHON_GIL={info.python_gil_env}" if info.python_gil_env is not None else "")
            + f"; {len(chosen)} scenario(s) x {options.repeat}, {options.threads} threads, "
            + (f"{options.duration:g} s each" if options.duration else f"{options.iterations} iterations/thread")
            + f", seed {options.seed}; results -> {jsonl_path}",
            file=out, flush=True,
        )
        crashed = probe.get("crashed") or {}
        for module, why in sorted(crashed.items()):
            print(f"target {module!r}: {why}; its scenarios still run, each a crash record with the stacks", file=out)
        progress = summary.Progress(len(chosen) * options.repeat, stream=out)
        with JsonlWriter(jsonl_path) as writer:
            for repeat, sc, source in plan:
                index += 1
                progress.start(index, sc.name)
                spec = spec_for(options, source, sc.name, targets[sc.name], repeat)
                started = time.time()
                result = run_child(spec, options.timeout, [])
                if result.gil_enabled is None:
                    result = result.replace(gil_enabled=probe.get("gil_enabled"))
                module = split_target(targets[sc.name])[0]
                if module in crashed and result.outcome == "crash" and not result.ops:
                    result = result.replace(error_phase="import",
                                            detail=f"importing the target {module!r} crashed the interpreter: {result.detail}")
                findings: List[dict] = []
                if tsan is not None:
                    verdict, findings = tsan.verdict(result.pid, {"interpreter": info.interpreter, "label": options.label,
                                                                  "scenario": sc.name, "target": targets[sc.name],
                                                                  "seed": options.seed + repeat, "repeat": repeat})
                    result = result.replace(notes={**result.notes, "tsan": verdict})
                    if verdict["tsan_detected"] and not result.detector:
                        result = result.replace(detector="tsan")
                record = StressRunRecord(
                    interp=info, label=options.label, scenario=sc.name, target=targets[sc.name],
                    threads=options.threads, seed=options.seed + repeat, duration=options.duration,
                    iterations=options.iterations, repeat=repeat, started_at=round(started, 3), result=result,
                )
                writer.write(record)
                writer.write_all(findings)
                tsan_findings += findings
                records.append(record)
                progress.end(record.to_json())
    except KeyboardInterrupt:
        # The JSONL already holds every finished scenario; the JUnit file must exist too, and must
        # not read as a pass: the scenario that was running is a failure, the rest not run.
        if options.junit_xml:
            _write_interrupted_junit(options, info.interpreter, [r.to_json() for r in records] + tsan_findings,
                                     plan[len(records):])
        where = f"during scenario {index} of {len(plan)}" if index else "before the first scenario"
        print(f"\ninterrupted {where}; {len(records)} record(s) in {jsonl_path}"
              + (f", JUnit (run marked interrupted) in {options.junit_xml}" if options.junit_xml else ""),
              file=out, flush=True)
        raise
    dicts = [r.to_json() for r in records]
    if options.junit_xml:
        from ftlab_harness.junit import write_junit

        write_junit(options.junit_xml, dicts + tsan_findings, suite="ftlab-harness run")
    print(file=out)
    print(summary.run_summary(dicts), file=out)
    counts: dict = {}
    for r in records:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    status = run_status(dicts)
    if tsan is not None:
        print(tsan.summary([r.result.notes.get("tsan", {}) | {"scenario": r.scenario} for r in records]), file=out)
        if status == 0 and any(f.get("in_target") and not f.get("suppressed_by") for f in tsan_findings):
            status = 1  # a race in the target's code is a finding like any invariant
    print("\n" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + f" (seed {options.seed})"
          + (f"; {_not_checked_words(dicts)} (exit 3)" if status == 3 else ""), file=out, flush=True)
    return RunOutcome(records, status)

"""What every benchmark group gets (`Context`) and how a thread-scaling group becomes records.

A group module exposes ``NAME``, ``DESCRIPTION`` and ``run(ctx) -> list[dict]``. Groups shaped
like "these cases at 1..N threads" build `Case` objects and hand them to `scaling_group`, which
adds the calibration case, sizes every case, measures interleaved and returns one record per
(case, threads) plus one record per skipped or failed case.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from . import harness
from .harness import Case


class Context:
    """Settings of one benchmark run, shared by every group."""

    def __init__(
        self,
        label: str,
        quick: bool,
        reps: int,
        target_seconds: float,
        threads: Sequence[int],
        ftlab: Optional[object],
        ftlab_error: str = "",
    ) -> None:
        self.label = label
        self.quick = quick
        self.reps = reps
        self.target_seconds = target_seconds
        self.threads = list(threads)
        self.ftlab = ftlab
        self.ftlab_error = ftlab_error
        self.base = harness.interpreter_record(label)

    def say(self, msg: str) -> None:
        print(f"[bench {self.label}] {msg}", file=sys.stderr, flush=True)

    def missing(self, *names: str) -> List[str]:
        """The ftlab attributes among `names` that this build does not have."""
        if self.ftlab is None:
            return list(names)
        missing = []
        for name in names:  # dotted names check a class attribute too: "FrozenMap.lookup_many"
            obj = self.ftlab
            for part in name.split("."):
                obj = getattr(obj, part, None)
                if obj is None:
                    missing.append(name)
                    break
        return missing

    def record(self, group: str, case: str, **fields: object) -> dict:
        rec = {"kind": "bench", **self.base, "group": group, "case": case}
        rec.update(fields)
        return rec

    def skipped(self, group: str, case: str, detail: str) -> dict:
        return self.record(group, case, status="skipped", detail=detail)


# A case to build: name, required ftlab attributes, description, factory(ftlab) -> LoopFactory.
CaseSpec = Tuple[str, Sequence[str], str, Callable[[object], harness.LoopFactory]]


def build_cases(ctx: Context, group: str, specs: Sequence[CaseSpec]) -> Tuple[List[Case], List[dict]]:
    """Cases whose ftlab requirements are met; a skip record for every other one."""
    cases: List[Case] = []
    notes: List[dict] = []
    for name, requires, description, factory in specs:
        missing = ctx.missing(*requires)
        if missing:
            why = ctx.ftlab_error or "this ftlab build has no " + ", ".join(f"ftlab.{m}" for m in missing)
            notes.append(ctx.skipped(group, name, why))
            continue
        try:
            cases.append(Case(name, factory(ctx.ftlab), description))
        except Exception as e:
            notes.append(ctx.record(group, name, status="error", detail=f"setup: {type(e).__name__}: {e}"))
    return cases, notes


def scaling_group(
    ctx: Context,
    group: str,
    specs: Sequence[CaseSpec],
    threads: Optional[Sequence[int]] = None,
) -> List[dict]:
    """Measures every case (and the calibration) at each thread count, interleaved."""
    threads = list(threads or ctx.threads)
    if 1 not in threads:
        threads.insert(0, 1)
    cases, records = build_cases(ctx, group, specs)
    if not cases:
        return records
    calibration = harness.calibration_case()
    failures: Dict[str, str] = {}
    for c in [calibration, *cases]:
        try:
            harness.size(c, ctx.target_seconds)
        except Exception as e:
            failures[c.name] = f"{type(e).__name__}: {e}"
    if calibration.name in failures:
        raise RuntimeError(f"calibration loop failed: {failures[calibration.name]}")
    measured = [c for c in [calibration, *cases] if c.name not in failures]
    ctx.say(f"{group}: {len(measured) - 1} cases x threads {threads} x {ctx.reps} repetitions")
    samples = harness.interleave(measured, threads, ctx.reps, failures,
                                 progress=lambda m: ctx.say(f"{group}: {m}"))
    wall = {c: {n: [s.ops_per_s for s in v] for n, v in per.items()} for c, per in samples.items()}
    cpu = {c: {n: [s.ops_per_cpu_s for s in v] for n, v in per.items()} for c, per in samples.items()}
    for c in measured:
        if c.name in failures:
            continue
        for n in threads:
            ratio = harness.scaling(wall[c.name], n)
            calib_ratio = harness.scaling(wall[calibration.name], n)
            records.append(ctx.record(
                group, c.name,
                status="ok",
                description=c.description,
                threads=n,
                reps=len(wall[c.name][n]),
                iterations=c.iterations,
                ops_per_s=harness.median(wall[c.name][n]),
                ops_per_s_reps=[round(x, 1) for x in wall[c.name][n]],
                scaling=harness.median(ratio),
                calibration_scaling=harness.median(calib_ratio),
                relative_to_calibration=harness.median([a / b for a, b in zip(ratio, calib_ratio)]),
                ops_per_cpu_s=harness.median(cpu[c.name][n]),
                cpu_efficiency=harness.median(harness.scaling(cpu[c.name], n)),
                calibration_cpu_efficiency=harness.median(harness.scaling(cpu[calibration.name], n)),
            ))
    for name, why in failures.items():
        records.append(ctx.record(group, name, status="error", detail=why))
    return records

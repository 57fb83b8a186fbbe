"""Hammer rate: how hard the stress harness hits its target, against a bare loop doing the same calls.

More calls per second is more interleavings per second, so the harness's own cost per operation
matters. All cases call `ftlab.AtomicCounter.add` on ONE shared counter, at each thread count,
interleaved (repetition r of every case before r + 1 of any), calibration beside them:

    bare_loop          a plain loop, `add` bound once per thread: the ceiling
    bare_step          a scenario whose `step(w)` only calls `w.add(1)` (bound in thread_setup)
    bare_step_fn       a scenario whose `thread_setup` returns `functools.partial(add, 1)`: the
                       harness's fast path (per-thread step, no `w.ops` per call)
    counter.atomic     the built-in scenarios, checks included (ftlab_harness/scenarios/counter.py)
    counter.mutex
    counter.sharded

The scenario cases run through `child.execute` in this process — the code a child runs — for
`target_seconds` each; ops/s is completed steps over the time from the start gate to the last
join. `relative_to_bare_loop` is the per-repetition ratio to `bare_loop` at the same thread count
(median). Targets (issue 11): bare_step >= 0.6x bare_loop on 3.13t; the counter scenarios >= 2x the
1.2 M calls/s they made before the worker loop was batched.

    ftlab-harness bench --only hammer_rate --threads 1,4 --reps 5 --jsonl out/bench/hammer.jsonl
"""

from __future__ import annotations

import functools
from itertools import repeat
from typing import Any, Callable, Dict, List

from ftlab_harness.api import Scenario, Worker

from . import harness
from .context import Context

NAME = "hammer_rate"
DESCRIPTION = "the stress harness's calls/s on AtomicCounter.add vs a bare loop (calibration beside)"
TARGET = "ftlab:AtomicCounter"


class BareStep(Scenario):
    """step(w) makes the call and nothing else."""

    name = "hammer.bare_step"
    target = TARGET

    def setup(self, run: Any) -> None:
        self.counter = run.target(0)

    def thread_setup(self, w: Worker) -> None:
        w.add = self.counter.add
        return None

    def step(self, w: Worker) -> None:
        w.add(1)


class BareStepFn(BareStep):
    """thread_setup returns the call as this worker's step (the fast path)."""

    name = "hammer.bare_step_fn"

    def thread_setup(self, w: Worker) -> Callable[[], object]:  # type: ignore[override]
        return functools.partial(self.counter.add, 1)


SCENARIOS = [BareStep, BareStepFn]

SCENARIO_CASES = {
    "bare_step": ("module", __name__, "hammer.bare_step", TARGET),
    "bare_step_fn": ("module", __name__, "hammer.bare_step_fn", TARGET),
    "counter.atomic": ("module", "ftlab_harness.scenarios.counter", "counter.atomic", "ftlab:AtomicCounter"),
    "counter.mutex": ("module", "ftlab_harness.scenarios.counter", "counter.mutex", "ftlab:MutexGuardedCounter"),
    "counter.sharded": ("module", "ftlab_harness.scenarios.counter", "counter.sharded", "ftlab:ShardedCounter"),
}


def _bare_loop_case(ftlab: Any) -> harness.Case:
    counter = ftlab.AtomicCounter(0)

    def make_loop(index: int) -> harness.Loop:
        add = counter.add

        def loop(n: int) -> None:
            for _ in repeat(None, n):
                add(1)

        return loop

    return harness.Case("bare_loop", make_loop, "plain loop, add bound per thread")


def _scenario_rate(case: str, threads: int, seconds: float) -> float:
    from ftlab_harness import child
    from ftlab_harness.records import RunSpec

    kind, ref, scenario, target = SCENARIO_CASES[case]
    spec = RunSpec(source_kind=kind, source_ref=ref, scenario=scenario, target=target, threads=threads, seed=1,
                   hang_timeout=60.0, allow_gil=True, duration=seconds)
    result = child.execute(spec, child._State())
    if result.get("outcome") != "pass":
        raise RuntimeError(f"{case}: {result.get('outcome')}: {result.get('detail')}")
    return float(result["ops"]) / float(result["seconds"])


def run(ctx: Context) -> List[dict]:
    if ctx.missing("AtomicCounter", "MutexGuardedCounter", "ShardedCounter"):
        return [ctx.skipped(NAME, "*", ctx.ftlab_error or "this ftlab build has no AtomicCounter")]
    threads = sorted(set(ctx.threads) | {1})
    bare = _bare_loop_case(ctx.ftlab)
    calibration = harness.calibration_case()
    for c in (bare, calibration):
        harness.size(c, ctx.target_seconds)
    seconds = max(ctx.target_seconds, 0.05)
    names = ["bare_loop", *SCENARIO_CASES]
    rates: Dict[str, Dict[int, List[float]]] = {n: {t: [] for t in threads} for n in [*names, "calibration"]}
    ctx.say(f"{NAME}: {len(names)} cases x threads {threads} x {ctx.reps} repetitions, {seconds:g} s each")
    for _rep in range(ctx.reps):
        for n in threads:
            rates["calibration"][n].append(harness.measure(calibration, n).ops_per_s)
            rates["bare_loop"][n].append(harness.measure(bare, n).ops_per_s)
            for case in SCENARIO_CASES:
                rates[case][n].append(_scenario_rate(case, n, seconds))
    records = []
    for case in [*names, "calibration"]:
        for n in threads:
            reps = rates[case][n]
            rel = [a / b for a, b in zip(reps, rates["bare_loop"][n]) if b]
            records.append(ctx.record(
                NAME, case, status="ok", threads=n, reps=len(reps),
                ops_per_s=harness.median(reps), ops_per_s_reps=[round(x, 1) for x in reps],
                relative_to_bare_loop=harness.median(rel),
                calibration_scaling=harness.median(harness.scaling(rates["calibration"], n)),
                calibration_ops_per_s=harness.median(rates["calibration"][n]),
            ))
    return records

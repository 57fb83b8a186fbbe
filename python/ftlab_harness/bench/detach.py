"""Detached vs attached Rust work, on the GIL build and on 3.13t.

``sum_of_squares(data, detach=True)`` releases the interpreter (``py.detach``) around its Rust
loop; ``detach=False`` keeps it attached. Two measurements, interleaved with the calibration:

* scaling: 1 .. 2 x cores threads each summing its own 200k-float array. On a GIL build only
  the detached version can run on several cores at once; on 3.13t (GIL off) both can, and
  detaching is about letting stop-the-world pauses (GC) proceed, not about parallelism.
* bystander: how fast a pure-Python thread runs while one other thread loops over the Rust
  call, relative to running alone (1.0 = not slowed at all). On a GIL build the attached call
  holds the GIL for its whole duration, so the Python thread waits for it.

When the build has no ``sum_of_squares`` but has ``word_count``, word counting is the Rust work.
"""

from __future__ import annotations

import threading
import time
from array import array
from typing import Callable, Dict, List, Optional

from . import harness
from .context import CaseSpec, Context, scaling_group

NAME = "detach"
DESCRIPTION = "detached vs attached Rust work (GIL build and 3.13t)"


def _rust_work(ftlab, detach: bool) -> Optional[Callable[[], Callable[[], object]]]:
    """A factory making (in the calling thread) one unit of Rust work, or None if unavailable."""
    if hasattr(ftlab, "sum_of_squares"):
        def make():
            data = array("d", [float(i % 1000) for i in range(200_000)])
            return lambda: ftlab.sum_of_squares(data, detach=detach)
        return make
    if hasattr(ftlab, "word_count"):
        def make():
            text = " ".join(f"w{i % 500}" for i in range(20_000))
            return lambda: ftlab.word_count(text, detach=detach)
        return make
    return None


def _case(detach: bool):
    def factory(ftlab):
        make = _rust_work(ftlab, detach)

        def make_loop(index):
            work = make()

            def loop(n):
                for _ in range(n):
                    work()

            return loop

        return make_loop

    return factory


def _bystander(ctx: Context, calibration: harness.Case) -> List[dict]:
    modes = {"alone": None, "detached": True, "attached": False}
    ratios: Dict[str, List[float]] = {m: [] for m in modes}
    for _rep in range(ctx.reps):
        alone = None
        for mode, detach in modes.items():
            stop = threading.Event()
            started = threading.Event()
            worker = None
            if detach is not None:
                factory = _rust_work(ctx.ftlab, detach)
                assert factory is not None  # callers check that ftlab has a Rust kernel first
                work = factory()

                def spin(work=work):
                    started.set()
                    while not stop.is_set():
                        work()

                worker = threading.Thread(target=spin, daemon=True)
                worker.start()
                started.wait()
                time.sleep(0.01)
            ops = harness.measure(calibration, 1).ops_per_s
            stop.set()
            if worker is not None:
                worker.join()
            if alone is None:
                alone = ops
            ratios[mode].append(ops / alone)
    return [
        ctx.record(NAME, f"python_thread_beside_{mode}_rust", status="ok", reps=len(r),
                   relative_speed=harness.median(r), relative_speed_reps=[round(x, 4) for x in r],
                   description=f"pure-Python thread's speed while another thread loops over {mode} Rust work "
                               "(1.0 = as fast as alone)")
        for mode, r in ratios.items() if mode != "alone"
    ]


def run(ctx: Context) -> List[dict]:
    names = ("sum_of_squares", "word_count")
    if ctx.ftlab is None or all(ctx.missing(n) for n in names):
        why = ctx.ftlab_error or "this ftlab build has neither ftlab.sum_of_squares nor ftlab.word_count"
        return [ctx.skipped(NAME, c, why) for c in ("rust_detached", "rust_attached")]
    specs: List[CaseSpec] = [
        ("rust_detached", [], "Rust work with detach=True in every thread", _case(True)),
        ("rust_attached", [], "Rust work with detach=False in every thread", _case(False)),
    ]
    records = scaling_group(ctx, NAME, specs)
    if any(r.get("case") == "rust_attached" and r.get("status") == "ok" for r in records):
        calibration = harness.calibration_case()
        harness.size(calibration, ctx.target_seconds)
        records += _bystander(ctx, calibration)
    return records

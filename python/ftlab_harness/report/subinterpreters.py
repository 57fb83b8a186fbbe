"""The report's sub-interpreter section: the four-models table with the calibration beside it.

Reads the `subinterp_models` records that `ftlab_harness.bench.subinterp_models` writes (the
stress matrix runs it once per run, step `subinterp`, when both 3.13 and 3.13t are set up).
Every scaling cell sits beside the calibration's scaling *under the same model and worker
count*: the parallelism the machine actually gave that model at that moment.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from .document import Document
from .results import Results

MODEL_ORDER = ["a_threads_gil_attached", "b_threads_gil_detached", "c_subinterp_own_gil", "d_threads_freethreaded"]
KERNEL_ORDER = ["rust", "python"]
REPRODUCE = ("ci/envs 3.13 3.13t && .venvs/3.13/bin/python -m ftlab_harness.bench.subinterp_models "
             "--jsonl out/subinterp-models.jsonl")


def rows(records: List[dict]) -> Tuple[List[int], List[List[str]]]:
    """(worker counts, table rows): model, kernel, 1-worker rate, then per count `rate ×s (cal ×c)`."""
    ok = [r for r in records if r.get("status") == "ok"]
    workers = sorted({int(r["workers"]) for r in ok})
    by: Dict[tuple, dict] = {(r["model"], r["kernel"], int(r["workers"])): r for r in ok}
    labels = {r["model"]: r.get("model_label", r["model"]) for r in records}
    out: List[List[str]] = []
    for model in [m for m in MODEL_ORDER if m in labels] + sorted(set(labels) - set(MODEL_ORDER)):
        not_ok = [r for r in records if r.get("model") == model and r.get("status") != "ok"]
        if not_ok:
            out.append([labels[model], "–", f"{not_ok[0].get('status')}: {str(not_ok[0].get('detail', ''))[:120]}"]
                       + [""] * (len(workers) - 1))
            continue
        for kernel in KERNEL_ORDER:
            cells = [labels[model], kernel]
            for w in workers:
                r = by.get((model, kernel, w))
                if r is None:
                    cells.append("–")
                elif w == 1:
                    cells.append(f"{r['ops_per_s'] / 1e6:,.1f} M/s")
                else:
                    cells.append(f"{r['ops_per_s'] / 1e6:,.1f} M/s ×{r['scaling']:.2f} "
                                 f"(cal. ×{r['calibration_scaling']:.2f})")
            out.append(cells)
    return workers, out


def section(doc: Document, res: Results) -> None:
    records = res.of("subinterp_models")
    step = res.one("step", step="subinterp")
    doc.h2("Sub-interpreters: four concurrency models")
    if not records:
        why = (step or {}).get("detail") or "the `subinterp` step did not run"
        doc.p(f"Not measured: {why}.")
        return
    workers, table = rows(records)
    first = records[0]
    doc.p("One Rust kernel (`ftlab_isolated.sum_of_squares`, the same compiled code in every model) and one "
          "pure-Python kernel under (a) threads on the GIL build, attached; (b) the same, detached; (c) one own-GIL "
          "sub-interpreter per worker; (d) threads on 3.13t with the GIL off. Elements per second, strong scaling "
          f"(×N against 1 worker of the same cell), median of {first.get('reps', '?')} interleaved repetitions; "
          "*cal.* is the calibration (pure-Python work on worker-owned data) measured under the same model in the "
          "same repetitions: in (a) and (b) it cannot scale (one GIL), in (c) and (d) it is the parallelism the "
          f"machine gave ({first.get('cores', '?')} cores). Reproduce: `{REPRODUCE}`.")
    doc.table(["model", "kernel"] + [f"{w} worker{'s' if w > 1 else ''}" for w in workers], table)

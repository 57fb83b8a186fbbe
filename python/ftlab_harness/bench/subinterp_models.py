"""The four-models table: one Rust kernel and one pure-Python kernel under four concurrency models.

    (a) threads on the GIL build, Rust kernel attached  (sum_of_squares(data, detach=False))
    (b) threads on the GIL build, Rust kernel detached  (sum_of_squares(data, detach=True))
    (c) one sub-interpreter per worker on the GIL build, each with its own GIL (PEP 684)
    (d) threads on free-threaded 3.13t (GIL off), Rust kernel attached

The Rust kernel is `ftlab_isolated.sum_of_squares` over a float64 array owned by the worker
(the only ftlab module that loads in an own-GIL sub-interpreter, so all four models run the same
compiled code); the pure-Python kernel is the same computation in Python over a list owned by the
worker; the calibration is `bench.harness.calibration_loop`'s pure-Python loop on thread-local
data, measured under the *same* model, so each model's kernel scaling sits beside the
parallelism that model got from the machine at that moment. In (c) the worker's interpreter runs
the Rust kernel attached: with one thread per interpreter there is no other thread to release
its GIL for.

Usage (from the repository root, after `ci/envs 3.13 3.13t`; wall times in the README):

    python -m ftlab_harness.bench.subinterp_models --jsonl out/subinterp-models.jsonl
    python -m ftlab_harness.bench.subinterp_models --quick --workers 1,2 --reps 3

One driver process starts two servers, `.venvs/3.13/bin/python` (models a, b, c) and
`.venvs/3.13t/bin/python` with PYTHON_GIL=0 (model d) (override with --gil-python/--ft-python),
and sends them one measurement at a time, interleaved: repetition r of every
(workers, model, kernel) cell before repetition r + 1 of any, so machine drift hits all cells
alike. Work is strong-scaled (a fixed total split across the workers) and timed from the first
worker's start to the last worker's end, read inside each worker (inside the sub-interpreter for
model c; perf_counter is process-wide).

JSONL schema (one record per model x kernel x workers, appended to --jsonl; `kind` and
`schema` identify it):

    kind "subinterp_models", schema 1, status "ok" | "skipped" (with "detail")
    model         "a_threads_gil_attached" | "b_threads_gil_detached" | "c_subinterp_own_gil"
                  | "d_threads_freethreaded"
    model_label   human-readable model name
    kernel        "rust" | "python" | "calibration";  detach: bool | null (null: not Rust)
    workers       number of threads (or sub-interpreters, one thread each)
    label, interpreter, version, free_threaded, gil_enabled, cores   (the server's interpreter)
    ops_per_s     median over repetitions of elements processed per second (calibration: list
                  elements visited)
    ops_per_s_reps  every repetition's value
    scaling       median per-repetition ratio ops_per_s(workers) / ops_per_s(1) (same cell)
    calibration_scaling   the same ratio for the calibration under the same model
    reps, elements_per_call, calls_total

Exit status: 0 when every model ran or was skipped with a reason, 1 on a failure, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

RUST_ELEMENTS = 100_000  # float64 per Rust call (800 KB: in L2/L3, not RAM-bound)
PYTHON_ELEMENTS = 1_000  # floats per pure-Python call
CALIBRATION_ELEMENTS = 64  # list elements per calibration iteration (bench.harness)

# Executed verbatim in the main interpreter (threads models) and in every sub-interpreter
# (model c): the same kernel code everywhere. Each run_* returns (t0, t1) read around the work.
KERNEL_SOURCE = f"""
import array as _array
import time as _time
import ftlab_isolated as _fi

def make_data(worker):
    rust = _array.array('d', [float((i * 7 + worker) % 1000) for i in range({RUST_ELEMENTS})])
    py = [float((i * 7 + worker) % 1000) for i in range({PYTHON_ELEMENTS})]
    calibration = [i * 7 + worker for i in range({CALIBRATION_ELEMENTS})]
    return rust, py, calibration

def run_rust(data, calls, detach):
    t0 = _time.perf_counter()
    s = _fi.sum_of_squares
    for _ in range(calls):
        s(data[0], detach=detach)
    return t0, _time.perf_counter()

def run_python(data, calls):
    t0 = _time.perf_counter()
    values = data[1]
    for _ in range(calls):
        total = 0.0
        for x in values:
            total += x * x
    return t0, _time.perf_counter()

def run_calibration(data, calls):
    # bench.harness.calibration_loop: pure-Python arithmetic on a list owned by the worker.
    t0 = _time.perf_counter()
    values = data[2]
    total = 0
    for _ in range(calls):
        for x in values:
            total += x & 15
    return t0, _time.perf_counter()
"""

ELEMENTS = {"rust": RUST_ELEMENTS, "python": PYTHON_ELEMENTS, "calibration": CALIBRATION_ELEMENTS}
KERNELS = ("calibration", "rust", "python")

# model -> (server, execution, detach for the Rust kernel, label)
MODELS: Dict[str, tuple] = {
    "a_threads_gil_attached": ("gil", "threads", False, "(a) threads, GIL build, attached"),
    "b_threads_gil_detached": ("gil", "threads", True, "(b) threads, GIL build, detached"),
    "c_subinterp_own_gil": ("gil", "subinterp", False, "(c) sub-interpreter per thread, own GIL"),
    "d_threads_freethreaded": ("ft", "threads", False, "(d) threads, 3.13t (GIL off)"),
}


def say(msg: str) -> None:
    print(f"[subinterp-models] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- server (one per interpreter)


class Server:
    """Runs measurements in this interpreter: threads, or one pooled sub-interpreter per worker."""

    def __init__(self) -> None:
        self.kernels: Dict[str, Any] = {}
        exec(compile(KERNEL_SOURCE, "<kernels>", "exec"), self.kernels)
        self.pool: List[int] = []
        self.subinterp_error = ""
        from ftlab_harness import subinterp

        self.S = subinterp
        if not subinterp.available():
            self.subinterp_error = subinterp.MISSING_REASON

    def info(self) -> dict:
        from ftlab_harness.bench import harness

        rec = harness.interpreter_record(os.environ.get("FTLAB_MODELS_LABEL", ""))
        rec["subinterpreters"] = self.subinterp_error or "ok"
        return rec

    def ensure_pool(self, n: int) -> None:
        while len(self.pool) < n:
            iid = self.S.create("isolated")
            self.S.run(iid, KERNEL_SOURCE + f"\n_data = make_data({len(self.pool)})\n")
            self.pool.append(iid)

    def measure(self, execution: str, kernel: str, detach: bool, workers: int, calls: int) -> float:
        """Seconds from the first worker's start to the last worker's end; `calls` per worker."""
        spans: List[tuple] = [None] * workers  # type: ignore[list-item]
        errors: List[BaseException] = []
        barrier = threading.Barrier(workers)
        if execution == "subinterp":
            self.ensure_pool(workers)
            call = {"rust": "run_rust(_data, n, bool(d))", "python": "run_python(_data, n)",
                    "calibration": "run_calibration(_data, n)"}[kernel]

            def body(i: int) -> None:
                try:
                    barrier.wait()
                    [span] = self.S.run_collect(self.pool[i], f"_emit({call})", {"n": calls, "d": int(detach)})
                    spans[i] = tuple(span)
                except BaseException as e:  # reported below
                    errors.append(e)
                    barrier.abort()
        else:
            k = self.kernels

            def body(i: int) -> None:
                try:
                    data = k["make_data"](i)  # owned by this thread
                    barrier.wait()
                    if kernel == "rust":
                        spans[i] = k["run_rust"](data, calls, detach)
                    elif kernel == "python":
                        spans[i] = k["run_python"](data, calls)
                    else:
                        spans[i] = k["run_calibration"](data, calls)
                except BaseException as e:
                    errors.append(e)
                    barrier.abort()

        threads = [threading.Thread(target=body, args=(i,)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return max(s[1] for s in spans) - min(s[0] for s in spans)

    def close(self) -> None:
        for iid in self.pool:
            self.S.destroy(iid)
        self.pool.clear()


def serve() -> int:
    """The server loop: one JSON request per stdin line, one JSON reply per stdout line."""
    server = Server()
    out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["op"] == "info":
                reply: dict = {"ok": True, "info": server.info()}
            elif req["op"] == "measure":
                if req["execution"] == "subinterp" and server.subinterp_error:
                    reply = {"ok": False, "skipped": server.subinterp_error}
                else:
                    seconds = server.measure(req["execution"], req["kernel"], req["detach"], req["workers"],
                                             req["calls"])
                    reply = {"ok": True, "seconds": seconds}
            elif req["op"] == "quit":
                server.close()
                out.write(json.dumps({"ok": True}) + "\n")
                out.flush()
                return 0
            else:
                reply = {"ok": False, "error": f"unknown op {req['op']!r}"}
        except Exception as e:  # one failed measurement is a reply, not a dead server
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    server.close()
    return 0


# --------------------------------------------------------------------------- driver


class Client:
    def __init__(self, name: str, python: str, env: dict) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            [python, "-m", "ftlab_harness.bench.subinterp_models", "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=env,
        )

    def ask(self, **req: Any) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} server died (exit {self.proc.wait()})")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.ask(op="quit")
        except Exception:
            pass
        self.proc.wait(timeout=60)


def size_calls(client: Client, kernel: str, detach: bool, seconds: float) -> int:
    """Calls for which one worker (threads) needs about `seconds`."""
    calls = 4
    while True:
        reply = client.ask(op="measure", execution="threads", kernel=kernel, detach=detach, workers=1, calls=calls)
        if not reply.get("ok"):
            raise RuntimeError(f"sizing {kernel} on {client.name}: {reply}")
        elapsed = reply["seconds"]
        if elapsed >= seconds / 4 or calls >= 1 << 28:
            return max(1, int(calls * seconds / max(elapsed, 1e-9)))
        calls *= 8 if elapsed < seconds / 64 else 2


def median(values: List[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def parse_workers(text: str) -> List[int]:
    from ftlab_harness.bench.harness import counts_arg

    values = counts_arg(text, "worker")
    if values[0] != 1:
        values = [1] + values  # scaling is relative to one worker
    return values


def table(records: List[dict], workers: List[int]) -> str:
    """Markdown: one row per model x kernel, ops/s and scaling per worker count."""
    head = "| model | kernel | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in workers) + " |"
    lines = [head, "|" + "---|" * (2 + len(workers))]
    by = {(r["model"], r["kernel"], r["workers"]): r for r in records if r.get("status") == "ok"}
    for model, (_, _, _, label) in MODELS.items():
        for kernel in KERNELS:
            cells = []
            for w in workers:
                r = by.get((model, kernel, w))
                if r is None:
                    cells.append("skipped")
                elif w == 1:
                    cells.append(f"{r['ops_per_s'] / 1e6:,.1f} M/s")
                else:
                    cells.append(f"{r['ops_per_s'] / 1e6:,.1f} M/s x{r['scaling']:.2f}")
            lines.append(f"| {label} | {kernel} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def drive(args: argparse.Namespace) -> int:
    pythons = {"gil": args.gil_python, "ft": args.ft_python}
    for name, path in pythons.items():
        if not Path(path).exists():
            print(f"subinterp_models: error: no {name} interpreter at {path} (run `ci/envs 3.13 3.13t` "
                  f"or pass --{name}-python)", file=sys.stderr)
            return 2
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    clients = {
        "gil": Client("gil", pythons["gil"], dict(base_env, FTLAB_MODELS_LABEL="3.13")),
        "ft": Client("ft", pythons["ft"], dict(base_env, PYTHON_GIL="0", FTLAB_MODELS_LABEL="3.13t")),
    }
    try:
        infos = {}
        for name, c in clients.items():
            reply = c.ask(op="info")
            if not reply.get("ok"):
                raise RuntimeError(f"{name} server: {reply}")
            infos[name] = reply["info"]
            say(f"{name}: Python {infos[name]['version']} free_threaded={infos[name]['free_threaded']} "
                f"gil_enabled={infos[name]['gil_enabled']} sub-interpreters: {infos[name]['subinterpreters']}")
        if infos["ft"]["gil_enabled"] or not infos["ft"]["free_threaded"]:
            say("warning: the --ft-python server runs with the GIL on; model (d) is not free-threaded")

        # One size per (server, kernel): every model on a server does the same total work.
        calls: Dict[tuple, int] = {}
        for server in clients:
            for kernel in KERNELS:
                calls[(server, kernel)] = size_calls(clients[server], kernel, True, args.seconds)
        say("sized (calls per cell): " + ", ".join(f"{k[0]}/{k[1]}={v}" for k, v in calls.items()))

        results: Dict[tuple, List[float]] = {}
        skipped: Dict[str, str] = {}
        failed: Dict[str, str] = {}
        for rep in range(args.reps):
            say(f"repetition {rep + 1}/{args.reps}")
            for w in args.workers:
                for model, (server, execution, detach, _) in MODELS.items():
                    if model in skipped or model in failed:
                        continue
                    for kernel in KERNELS:
                        total = calls[(server, kernel)]
                        per_worker = max(1, total // w)
                        reply = clients[server].ask(op="measure", execution=execution, kernel=kernel,
                                                    detach=bool(detach), workers=w, calls=per_worker)
                        if reply.get("skipped"):
                            skipped[model] = reply["skipped"]
                            break
                        if not reply.get("ok"):
                            failed[model] = reply.get("error", "?")
                            break
                        ops = per_worker * w * ELEMENTS[kernel] / max(reply["seconds"], 1e-9)
                        results.setdefault((model, kernel, w), []).append(ops)

        records = []
        for model, (server, _execution, _detach, label) in MODELS.items():
            base = dict(infos[server], kind="subinterp_models", schema=1, model=model, model_label=label)
            base.pop("subinterpreters", None)
            if model in skipped or model in failed:
                status = "skipped" if model in skipped else "error"
                for kernel in KERNELS:
                    records.append(dict(base, kernel=kernel, status=status, detail=skipped.get(model) or failed[model]))
                continue
            for kernel in KERNELS:
                for w in args.workers:
                    reps = results.get((model, kernel, w), [])
                    one = results.get((model, kernel, 1), [])
                    cal, cal_one = results.get((model, "calibration", w), []), results.get((model, "calibration", 1), [])
                    records.append(dict(
                        base, status="ok", kernel=kernel, detach=bool(detach) if kernel == "rust" else None,
                        workers=w, reps=len(reps), elements_per_call=ELEMENTS[kernel],
                        calls_total=calls[(server, kernel)],
                        ops_per_s=median(reps), ops_per_s_reps=reps,
                        scaling=median([a / b for a, b in zip(reps, one)]),
                        calibration_scaling=median([a / b for a, b in zip(cal, cal_one)]),
                    ))
    finally:
        for c in clients.values():
            c.close()

    if args.jsonl:
        Path(args.jsonl).parent.mkdir(parents=True, exist_ok=True)
        with open(args.jsonl, "a", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
        say(f"{len(records)} records appended to {args.jsonl}")
    print(table(records, args.workers))
    print(f"\n(cores: {infos['gil']['cores']}; ops = elements per second: Rust {RUST_ELEMENTS} float64 per call, "
          f"Python {PYTHON_ELEMENTS} floats per call, calibration {CALIBRATION_ELEMENTS} ints per iteration; "
          f"x = scaling vs 1 worker, median of {args.reps} interleaved repetitions)")
    for model, why in {**skipped, **failed}.items():
        print(f"{MODELS[model][3]}: {'skipped' if model in skipped else 'FAILED'}: {why}")
    return 1 if failed else 0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--gil-python", default=str(Path.cwd() / ".venvs" / "3.13" / "bin" / "python"),
                    help="GIL-build interpreter with ftlab_isolated (models a, b, c)")
    ap.add_argument("--ft-python", default=str(Path.cwd() / ".venvs" / "3.13t" / "bin" / "python"),
                    help="free-threaded interpreter with ftlab_isolated (model d)")
    ap.add_argument("--workers", type=parse_workers, default=[1, 2, 4], help="comma-separated, default 1,2,4")
    ap.add_argument("--reps", type=int, default=5, help="interleaved repetitions (default 5)")
    ap.add_argument("--seconds", type=float, default=0.3, help="single-worker time per cell (default 0.3)")
    ap.add_argument("--quick", action="store_true", help="3 repetitions of 0.15 s")
    ap.add_argument("--jsonl", help="append one record per model x kernel x workers to this file")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.serve:
        return serve()
    if args.quick:
        args.reps, args.seconds = 3, 0.15
    if args.reps < 1 or not 0 < args.seconds <= 60:
        print("subinterp_models: error: --reps must be >= 1 and --seconds in (0, 60]", file=sys.stderr)
        return 2
    return drive(args)


if __name__ == "__main__":
    sys.exit(main())

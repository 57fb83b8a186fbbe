"""`python -m ftlab_harness.zerocode.measure {twins,realbugs,clean}`: the zero-code mode's detection table.

The targets are data, here, so the figures in the docs are one command away:

    twins     ftlab's seeded twins (`ftlab._seeded`, from `--seeded-path` / $FTLAB_SEEDED_PATH;
              the table is `twins.TWINS`, which `ftlab-harness hunt` runs too)
    realbugs  the development corpus of real free-threading bugs (CPython 3.13.5t, numpy 2.2.2)
    clean     classes that must show no finding: ftlab's correct classes, rpds-py, queue, deque
    builtins  correct objects at default options: list, dict, set, frozenset, deque, Queue,
              SimpleQueue, rpds.HashTrieMap, a pydantic-core validator (issue 21's list)

Each target runs `--runs` times (seeds seed, seed+1, ...) for `--seconds` of rounds, each run in
its own child (`parent.run_isolated`); one JSONL record per run (`--jsonl`), then a table: runs,
runs with a finding, finding kinds, median seconds to detection. The factories are what a user
would write on the command line: small balances so overdrafts are reachable, an `init` whose
second call returns a different value. Exit status 0 unless a run errored.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from typing import Any

from ftlab_harness.zerocode.hammer import Config
from ftlab_harness.zerocode.parent import ZeroCodeResult, run_isolated
from ftlab_harness.zerocode.twins import ONCE_OPTS, PER_THREAD_OPTS, SLICE, SLOW_INIT, TWINS

#: (name, target, extra Config fields); TWINS (the seeded twins) live in `twins.py`, shared with the hunt
REALBUGS: list[tuple[str, str, dict[str, Any]]] = [
    ("cpython#120321 generator next", "builtins:(i for i in range(10**9))", {}),
    ("cpython#123471 itertools.product", "itertools:product(range(6), repeat=4)", {}),
    ("cpython#132551 BytesIO", "io:BytesIO()", {}),
    ("cpython#125996 OrderedDict", "collections:OrderedDict.fromkeys(range(64))", {}),
    ("cpython#142651 Mock call_count", "unittest.mock:Mock()", {}),
    ("numpy#28197 repeat (read-only ops)", "numpy:arange(10)", {"ops": ["repeat", "shape"]}),
]
#: Issue 21's third-party corpus (docs/corpus.md, reproducers in docs/repro/corpus/), at default
#: options. The installed version decides the run: affected -> fixed, both with cp313t wheels:
#: Pillow 12.1.1 -> 12.2.0, numpy 2.2.3 -> 2.2.4, regex 2026.2.19 -> 2026.2.28 (#597) and
#: 2026.5.9 -> 2026.6.28 (#604) and 2026.6.28 -> 2026.7.10 (#606; for both the target is the
#: module, its functions the operations).
CORPUS: list[tuple[str, str, dict[str, Any]]] = [
    ("Pillow#9497 FreeTypeFont", "PIL.ImageFont:load_default(size=24)", {}),
    ("numpy#28361 nonzero vs writes", "numpy:zeros(1000, dtype=bool)", {}),
    ("mrab-regex#597 shared pattern", 'regex:compile(r"\\w+")', {}),
    ("mrab-regex#604 compile/setlocale", 'importlib:import_module("regex")', {}),
    ("mrab-regex#606 pattern cache eviction", 'importlib:import_module("regex")', {}),
]
CLEAN: list[tuple[str, str, dict[str, Any]]] = [
    ("MutexGuardedCounter", "ftlab:MutexGuardedCounter", {}),
    ("AtomicCounter", "ftlab:AtomicCounter", {}),
    ("ShardedCounter", "ftlab:ShardedCounter", {}),
    ("Point", "ftlab:Point(1.0, 2.0)", {}),
    ("FrozenMap", 'ftlab:FrozenMap({"a": 1, "b": 2})', {}),
    ("Latch", "ftlab:Latch", {}),
    ("Latch (1 s wait slice)", f"ftlab:({SLICE}, Latch())[1]", {}),
    ("WorkQueue(4) (1 s wait slice)", f"ftlab:({SLICE}, WorkQueue(4))[1]", {}),
    ("OnceResource (1 s slice, 20 ms init)", f"ftlab:({SLICE}, OnceResource({SLOW_INIT}))[1]", ONCE_OPTS),
    ("PublishSlot", "ftlab:PublishSlot", {}),
    ("WorkQueue", "ftlab:WorkQueue(4)", {}),
    ("Bank", 'ftlab:Bank({"a": 3, "b": 3})', {}),
    ("Registry", "ftlab:Registry", {}),
    ("OnceResource", "ftlab:OnceResource(iter(range(10**9)).__next__)", ONCE_OPTS),
    ("EventBus", "ftlab:EventBus()", {}),
    ("SnapshotMap", "ftlab:SnapshotMap()", {}),
    ("PerThreadCounter", "ftlab:PerThreadCounter()", PER_THREAD_OPTS),
    ("rpds.HashTrieMap", 'rpds:HashTrieMap({"a": 1, "b": 2})', {}),
    ("rpds.List", "rpds:List([1, 2, 3])", {}),
    ("queue.Queue", "queue:Queue", {}),
    ("queue.Queue(4)", "queue:Queue(4)", {}),
    ("deque at its ends", "collections:deque", {"ops": ["append", "appendleft", "pop", "popleft", "len"]}),
]
#: Issue 21's false-alarm list: correct objects nobody on the project wrote, at default options
#: (every operation discovery finds). A finding here is a harness defect unless a reproducer
#: outside the harness shows a real CPython (or extension) bug.
BUILTINS: list[tuple[str, str, dict[str, Any]]] = [
    ("list()", "builtins:list()", {}),
    ("dict()", "builtins:dict()", {}),
    ("set()", "builtins:set()", {}),
    ("frozenset({1, 2})", "builtins:frozenset({1, 2})", {}),
    ("deque()", "collections:deque()", {}),
    ("queue.Queue()", "queue:Queue()", {}),
    ("queue.SimpleQueue()", "queue:SimpleQueue()", {}),
    ("threading.Event()", "threading:Event()", {}),
    ("threading.Semaphore(2)", "threading:Semaphore(2)", {}),
    ("threading.Barrier(2)", "threading:Barrier(2)", {}),
    ("threading.Lock()", "threading:Lock()", {}),
    ("rpds.HashTrieMap()", "rpds:HashTrieMap()", {}),
    ("pydantic_core SchemaValidator", "pydantic_core:SchemaValidator({'type': 'list', 'items_schema': {'type': 'int'}})", {}),
]
SETS = {"twins": TWINS, "realbugs": REALBUGS, "corpus": CORPUS, "clean": CLEAN, "builtins": BUILTINS}


def measure(which: str, runs: int, seconds: float, seed: int, paths: list[str], jsonl: str | None,
            only: list[str] | None = None) -> list[tuple[str, list[ZeroCodeResult]]]:
    out = []
    sink = open(jsonl, "a", encoding="utf-8") if jsonl else None  # noqa: SIM115 - open for the whole run, closed at its end
    try:
        for name, target, extra in SETS[which]:
            if only and not any(o in name or o in target for o in only):
                continue
            results = []
            for k in range(runs):
                cfg = Config(target=target, seconds=seconds, seed=seed + k, round_timeout=2.0, **extra)
                res = run_isolated(cfg, paths)
                results.append(res)
                if sink is not None:
                    sink.write(json.dumps(dict(res.as_json(), set=which, name=name)) + "\n")
                    sink.flush()
                print(f"  {name}: seed {seed + k}: {res.outcome} {res.finding_kind} {res.seconds_to_detect or ''}", file=sys.stderr, flush=True)
            out.append((name, results))
    finally:
        if sink is not None:
            sink.close()
    return out


def table(rows: list[tuple[str, list[ZeroCodeResult]]]) -> str:
    lines = ["| target | runs | with a finding | kinds | median s to detect | errors |", "|---|---|---|---|---|---|"]
    for name, results in rows:
        found = [r for r in results if r.outcome == "finding"]
        kinds = sorted({r.finding_kind for r in found})
        times = [r.seconds_to_detect for r in found if r.seconds_to_detect is not None]
        med = f"{statistics.median(times):.2f}" if times else "-"
        errors = sum(r.outcome in ("error", "bad_input") for r in results)
        lines.append(f"| {name} | {len(results)} | {len(found)} | {', '.join(kinds) or '-'} | {med} | {errors} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ftlab_harness.zerocode.measure", description=__doc__.splitlines()[0])
    p.add_argument("which", choices=sorted(SETS))
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeded-path", default=os.environ.get("FTLAB_SEEDED_PATH"), help="folder with the seeded build of ftlab")
    p.add_argument("--only", action="append", default=None, help="only targets whose name or target contains this")
    p.add_argument("--jsonl", default=None)
    args = p.parse_args(argv)
    paths = [args.seeded_path] if args.which == "twins" and args.seeded_path else []
    only = [o for item in args.only or [] for o in item.split(",") if o]  # --only a,b or --only a --only b
    rows = measure(args.which, args.runs, args.seconds, args.seed, paths, args.jsonl, only or None)
    if not rows:
        print(f"measure: error: no {args.which} target matches --only {','.join(only)}", file=sys.stderr)
        return 2
    print(table(rows))
    return 1 if any(r.outcome == "error" for _, rs in rows for r in rs) else 0


if __name__ == "__main__":
    sys.exit(main())

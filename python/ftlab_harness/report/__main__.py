"""``ftlab-harness report --results out/results.jsonl --out out``: write report.md and report.html.

Exit status: 0 when the report was written and shows no finding; 1 when it was written and the
records of a user's own runs (`run`, `zerocode`, `tsan` JSONL, no stress matrix around them) hold
a finding (a stress run that did not pass, a zero-code finding, a race in the target's code) —
`--exit-zero` makes that 0 too; the stress matrix's report is always 0 when written (the matrix's
own steps carry its verdict); 2 on bad input (a results file that is missing, empty or holds no
JSON record, an --out that cannot be made or written). A line of the results file that is not a
JSON record (a write torn by a crash) is left out with a warning naming its line.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional

from ftlab_harness.exitcodes import not_checked

from . import findings, subinterpreters
from . import tsan as tsan_report
from . import zerocode as zerocode_report
from .document import Document
from .results import Results, config_key, fmt_rate, fmt_ratio, unique

REPRODUCE = "ci/stress-matrix"


def outcome_cell(rec: Optional[dict]) -> str:
    if rec is None:
        return "–"
    outcome = rec.get("outcome", "?")
    if outcome == "skipped":
        return "skipped"
    extra = f" ({rec['seconds']:.0f} s)" if isinstance(rec.get("seconds"), (int, float)) else ""
    return f"{outcome}{extra}"


def build(res: Results, plots: Dict[str, Optional[bytes]], plots_note: str) -> Document:
    run, end = res.run, res.run_end
    if not run and not res.of("config"):
        return build_runs(res)
    mode = "quick" if run.get("quick") else "full"
    doc = Document(f"ftlab stress matrix — {mode} run")
    configs = res.configs()
    n = res.cores()
    wall = end.get("seconds_before_report")
    doc.p(f"Started {run.get('started', '?')} at commit `{run.get('commit') or '?'}` on {run.get('cores', '?')} cores "
          f"(load average at start: {', '.join(f'{x:.1f}' for x in run.get('loadavg_at_start') or []) or '?'}); "
          f"{len(configs)} configurations; wall time {wall:.0f} s before this report." if wall is not None else
          f"Started {run.get('started', '?')} at commit `{run.get('commit') or '?'}`; the run did not finish "
          "(no end record): the tables show what was recorded.")
    doc.p(f"Reproduce: `{REPRODUCE}{' --quick' if run.get('quick') else ''}` (writes `out/`). Every benchmark "
          "figure is a ratio of throughputs measured interleaved in one process, the median of ≥ 5 repetitions, "
          "next to the *calibration* (pure-Python work on thread-local data) measured in the same repetitions: "
          "its scaling is how much parallelism the machine actually gave.")

    top = findings.headline(res)
    if top:
        doc.h2("Headline")
        doc.bullets(top)

    # ------------------------------------------------------------ skipped / bad input
    notes: List[str] = []
    for msg in run.get("bad_input") or []:
        notes.append(f"bad input: {msg}")
    for r in res.of("skip"):
        notes.append(f"{r.get('config', '-')}: {r.get('step')}: skipped — {r.get('reason')}")
    for r in res.of("interpreter"):
        if r.get("status") == "missing":
            notes.append(f"interpreter {r['label']}: {'MISSING (required)' if r.get('required') else 'not found'} — "
                         f"{r.get('detail', '')[:300]}")
        elif r.get("status") == "build_failed":
            notes.append(f"interpreter {r['label']}: build failed — {r.get('detail', '')[:300]}")
        elif r.get("status") == "build_partial":
            notes.append(f"interpreter {r['label']}: build partly failed — {r.get('detail', '')[:300]}")
    for r in res.of("step"):
        if r.get("outcome") == "skipped":
            notes.append(f"{r['config']}: {r['step']} skipped — {r.get('detail', '')}")
    for r in res.bench_not_ok():
        if r.get("status") == "skipped":
            continue
        notes.append(f"{r.get('config')}: bench {r.get('group')}/{r.get('case')}: {r.get('status')} — {r.get('detail')}")
    by_reason: Dict[str, List[str]] = {}
    for r in res.bench_not_ok():
        if r.get("status") == "skipped":
            by_reason.setdefault(str(r.get("detail")), []).append(f"{r.get('group')}/{r.get('case')}")
    for reason, cases in by_reason.items():
        notes.append(f"benchmarks skipped ({reason}): " + ", ".join(f"`{c}`" for c in unique(cases)))
    if plots_note:
        notes.append(plots_note)
    doc.h2("What was skipped and why")
    if notes:
        doc.bullets(notes)
    else:
        doc.p("Nothing was skipped.")

    # ------------------------------------------------------------ interpreters
    doc.h2("Interpreters")
    rows = []
    interp = {r["label"]: r for r in res.of("interpreter")}
    for label, r in sorted(interp.items(), key=lambda kv: config_key(kv[0])):
        if r.get("status") not in ("ok", "build_partial"):
            rows.append([label, r.get("version", "–"), "yes" if r.get("free_threaded") else "–", "–", "–",
                         "missing" if r.get("status") == "missing" else "build failed", "–", "–", "–", "–"])
            continue
        for cfg in [c for c in res.of("config") if c.get("label") == label]:
            name = cfg["config"]
            steps = {s["step"]: s for s in res.of("step", config=name)}
            pt = res.one("pytest", config=name)
            pytest_cell = outcome_cell(steps.get("pytest"))
            if pt:
                pytest_cell += f": {pt['passed']} passed, {pt['failures'] + pt['errors']} failed, {pt['skipped']} skipped"
            gil = cfg.get("gil_enabled")
            rows.append([
                name, cfg.get("version", "?"), "yes" if cfg.get("free_threaded") else "no",
                cfg.get("PYTHON_GIL") or "unset",
                ("on" if gil else "off") if "ftlab_error" not in cfg else f"import failed: {cfg['ftlab_error']}",
                (f"ok ({r.get('build_seconds', 0):.0f} s, {r.get('source')})" if r.get("status") == "ok" else
                 f"FAILED in part ({r.get('build_seconds', 0):.0f} s; ftlab imports, steps ran)"),
                pytest_cell, outcome_cell(steps.get("stress")) + _tally(res.of("stress-run", config=name), "outcome"),
                outcome_cell(steps.get("hunt")) + _caught(res.of("hunt", config=name)),
                outcome_cell(steps.get("bench")),
            ])
    doc.table(["config", "version", "free-threaded", "PYTHON_GIL", "GIL after importing ftlab", "venv + build",
               "pytest", "stress", "hunt", "bench"], rows)

    stress_section(doc, res)
    zerocode_report.section(doc, res)

    hunt_and_clean(doc, res)
    tsan_report.section(doc, res)

    # ------------------------------------------------------------ benchmarks
    doc.h2("Benchmarks")
    if not res.of("bench"):
        doc.p("No benchmark records (see *What was skipped*).")
        return _timings(doc, res)
    doc.h3(f"Thread scaling of every pattern (1 … {2 * n} threads)")
    lines = findings.pattern_headline(res)
    if lines:
        doc.p(f"Scaling at {n} threads (= cores) vs 1 thread, one shared object:")
        doc.bullets(lines)
    headers, rows = findings.scaling_table(res, "patterns", n)
    doc.table(headers, rows, numeric=range(1, len(headers)))
    doc.figure("patterns_throughput", plots.get("patterns_throughput"),
               "Throughput vs threads per pattern and configuration (first panel: the calibration).")
    doc.figure("patterns_speedup", plots.get("patterns_speedup"),
               f"Scaling at {n} threads per pattern; the outlined first group is the calibration.")

    doc.h3("Counters: mutex vs sharded vs atomic")
    headers, rows = findings.counters_rows(res)
    doc.p("Each counter's ops/s divided by `MutexGuardedCounter`'s in the same repetition (median). "
          "`per_thread_atomic_counter` shares nothing: the ceiling when no Python object is shared.")
    doc.table(headers, rows, numeric=range(2, len(headers)))
    doc.figure("counters_throughput", plots.get("counters_throughput"), "Counters: throughput vs threads.")
    doc.figure("counters_relative", plots.get("counters_relative"), f"Counters relative to the mutex at {n} threads.")

    doc.h3("Immutability study: why one shared frozen instance scales poorly")
    ft = findings.primary_ft(res)
    doc.p("Hypothesis: on a free-threaded build an object's reference count is cheap only for the thread that "
          "created it; every other thread increments and decrements a *shared* refcount with atomic "
          "read-modify-writes. `obj.method()` from N threads on one object makes N cores fight over that cache "
          "line, even though the object is immutable and its Rust data is only read. Immortal objects skip "
          "refcounting. The probes take ftlab out of the picture, then put it back piece by piece.")
    for config in [c for c in [ft] + [c for c in configs if c != ft] if c and res.bench_threads(c, "immutability")]:
        if config != ft and config not in ("3.13", "3.13t+gil"):
            continue
        doc.p(f"**{config}**")
        verdict = findings.refcount_verdict(res, config) if config == ft else []
        doc.bullets(verdict)
        headers, rows = findings.immutability_rows(res, config)
        if config == ft:
            doc.p("*ops per CPU-second 1→N*: operations per second of CPU time the threads actually ran, N threads vs "
                  "1. Time taken by other processes is not in it, so it is steadier than wall-clock scaling on a "
                  "busy machine; cache-line contention *is* in it (a contended atomic burns cycles), so a value "
                  "well below the calibration's ~1.0 means the threads slowed each other down.")
        doc.table(headers, rows, numeric=range(1, len(headers)))
    if ft and not res.bench_threads(ft, "immutability"):  # e.g. `bench --only patterns,counters`
        doc.bullets(findings.round2_verdict(res, ft))
    doc.figure("immutability_throughput", plots.get("immutability_throughput"),
               "Immutability study: throughput vs threads per case and configuration.")
    doc.figure("immutability_speedup", plots.get("immutability_speedup"),
               f"Immutability study: scaling at {n} threads (outlined: calibration).")
    doc.figure("immutability_relative", plots.get("immutability_relative"),
               f"Immutability study: throughput relative to the shared instance at {n} threads.")
    doc.p("The pattern that scales: share the immutable *data* (an `Arc` inside Rust), not the Python *object*: "
          "give each thread its own handle (`FrozenMap.handle()`), made in that thread, and return immortal or "
          "thread-owned values.")

    doc.h3("Word count: Rust vs collections.Counter")
    headers, rows = findings.wordcount_rows(res)
    if rows:
        doc.p("Speedup = seconds of `collections.Counter(text.split())` / seconds of the case, same repetition, "
              "median. The talk claims 2–4x.")
        doc.table(headers, rows, numeric=range(1, len(headers)))
        doc.figure("wordcount", plots.get("wordcount"), "Word count speedup vs Counter; band: the talk's 2–4x.")
    else:
        doc.p("Not measured (see *What was skipped*).")

    doc.h3("Detached vs attached Rust work")
    rows = []
    for c in configs:
        d, a, cal = (res.bench(c, "detach", k, n) for k in ("rust_detached", "rust_attached", "calibration"))
        bd, ba = res.bench(c, "detach", "python_thread_beside_detached_rust"), \
            res.bench(c, "detach", "python_thread_beside_attached_rust")
        if d or a:
            rows.append([c, fmt_ratio(d["scaling"]) if d else "–", fmt_ratio(a["scaling"]) if a else "–",
                         fmt_ratio(cal["scaling"]) if cal else "–",
                         fmt_ratio(bd["relative_speed"]) if bd else "–", fmt_ratio(ba["relative_speed"]) if ba else "–"])
    if rows:
        doc.table(["config", f"detached: scaling 1→{n}", f"attached: scaling 1→{n}", "calibration",
                   "Python thread beside detached", "beside attached"], rows, numeric=range(1, 6))
        doc.figure("detach", plots.get("detach"), "Detached vs attached Rust work; right: a pure-Python thread's "
                   "speed while another thread loops over the Rust call.")
    else:
        doc.p("Not measured (see *What was skipped*).")
    return _timings(doc, res)


def stress_section(doc: Document, res: Results) -> None:
    """One row per scenario, one column per configuration."""
    doc.h2("Stress suite")
    stress = res.of("stress-run")
    if not stress:
        doc.p("No stress records (see *What was skipped*).")
    else:
        scenarios = unique(r.get("scenario", "?") for r in stress)
        sconfigs = sorted(unique(r["config"] for r in stress), key=config_key)
        rows = []
        for sc in scenarios:
            row = [sc]
            for c in sconfigs:
                recs = [r for r in stress if r.get("scenario") == sc and r.get("config") == c]
                if not recs:
                    row.append("–")
                    continue
                r = recs[-1]
                cell = str(r.get("outcome", "?"))
                if cell == "skipped":
                    m = re.search(r"has no attribute '(\w+)'", str(r.get("detail", "")))
                    module = str(r.get("target") or "the target").split(":")[0]
                    row.append(f"skipped (no {module}.{m.group(1)})" if m else f"skipped — {str(r.get('detail'))[:80]}")
                    continue
                if isinstance(r.get("ops_per_s"), (int, float)) and r.get("ops_per_s"):
                    cell += f", {fmt_rate(r['ops_per_s'])}ops/s"
                if r.get("violations"):
                    cell += f", {r['violations']} violations"
                if r.get("outcome") not in ("pass", None) and r.get("detail"):
                    cell += f" — {str(r['detail'])[:140]}"
                row.append(cell)
            rows.append(row)
        threads = unique(str(r.get("threads")) for r in stress)
        doc.p(f"One row per scenario (each in its own child process, {'/'.join(threads)} threads); each cell: "
              "outcome, operations per second of the whole run (all threads), and violations of the scenario's "
              "invariants. `skipped` = the target lacks something the scenario requires (the cell says what).")
        doc.table(["scenario"] + sconfigs, rows)
        noted = unique(r["scenario"] for r in stress if isinstance(r.get("notes"), dict) and r["notes"])
        if noted:
            rows = []
            for sc in noted:
                row = [sc]
                for c in sconfigs:
                    recs = [r for r in stress if r.get("scenario") == sc and r.get("config") == c and r.get("notes")]
                    if not recs:
                        row.append("–")
                        continue
                    r = recs[-1]
                    secs = r.get("seconds") or 0
                    row.append(", ".join(
                        f"{k.replace('_', ' ')}: {fmt_rate(v).strip()}" if isinstance(v, (int, float))
                        else f"{k}: {v}" for k, v in r["notes"].items()) + f" in {secs:.1f} s")
                rows.append(row)
            doc.p("What the scenarios counted besides operations, and the run's seconds; e.g. `anti_pattern`: "
                  "PyO3 borrow errors raised by the `&mut self` anti-pattern class (the expected, safe failure).")
            doc.table(["scenario"] + sconfigs, rows)
        gil_seen = {c: unique(str(r.get("gil_enabled")) for r in stress if r["config"] == c) for c in sconfigs}
        doc.p("GIL state recorded by the stress children: "
              + "; ".join(f"{c}: gil_enabled={'/'.join(v)}" for c, v in gil_seen.items()) + ".")


def build_runs(res: Results) -> Document:
    """The report of plain `ftlab-harness run/zerocode/hunt --jsonl` records (a user's own runs,
    no matrix around them): only the sections that have records."""
    doc = Document("ftlab-harness report")
    kinds = {k: len(res.of(k)) for k in ("stress-run", "zerocode", "hunt", "tsan", "bench")}
    doc.p("Records: " + (", ".join(f"{n} {k}" for k, n in kinds.items() if n) or "none of a kind shown here")
          + ". Exit statuses and the meaning of each outcome: `ftlab-harness run --help` and the ftlab-harness "
          "README. Every finding names the seed that replays it.")
    if res.of("stress-run"):
        stress_section(doc, res)
    zerocode_report.section(doc, res)
    if res.of("hunt"):
        hunt_and_clean(doc, res)
    tsan_report.section(doc, res)
    return doc


def hunt_and_clean(doc: Document, res: Results) -> None:
    """The seeded-bug detection table and the clean build's false-alarm check."""
    doc.h2("Seeded-bug hunt")
    hunt_section(doc, res)
    clean = res.of("hunt-clean")
    if clean:
        rows = []
        for c in sorted(unique(r["config"] for r in clean), key=config_key):
            recs = [r for r in clean if r["config"] == c]
            alarms = [r for r in recs if r.get("false_alarm")]
            rows.append([c, str(len(recs)), str(sum(int(r.get("violations") or 0) for r in recs)),
                         f"{sum(int(r.get('ops') or 0) for r in recs):,}",
                         ("pass: 0 false alarms" if not alarms else
                          f"FAIL: {len(alarms)} false alarm(s): " + ", ".join(r.get("scenario", "?") for r in alarms))])
        doc.p("Clean-build false-alarm check: the same scenarios against the correct classes must show 0 violations.")
        doc.table(["config", "scenarios", "violations", "ops", "result"], rows, numeric=(1, 2, 3))


def _caught_cell(r: Optional[dict]) -> str:
    """A hand-written-scenario cell: caught in S s (detector), missed (why), or – (no record)."""
    if r is None:
        return "–"
    if r.get("detected"):
        secs = r.get("seconds_to_detect")
        return (f"caught in {secs:.2f} s ({r.get('detector', '?')})" if isinstance(secs, (int, float))
                else f"caught ({r.get('detector', '?')})")
    return "missed" + (f" ({str(r.get('detail'))[:100]})" if r.get("detail") else "")


def hunt_section(doc: Document, res: Results) -> None:
    """The detection table: per seeded bug, each detector (hand-written scenario, zero-code hammer,
    linearizability, pytest-run-parallel, TSan) per configuration, caught with seconds or missed."""
    hunt = res.of("hunt")
    zero = zerocode_report.records(res)
    twins = {(r.get("config"), r.get("bug")): r for r in res.of("pytest-twins") if r.get("build") == "seeded"}
    if not hunt and not zero:
        doc.p("No hunt records (see *What was skipped*).")
        return
    bugs = unique([r["bug"] for r in hunt] + [r["bug"] for r in zero])
    hconfigs = sorted(unique(str(r["config"]) for r in hunt), key=config_key)
    zconfigs = sorted(unique(hconfigs + zerocode_report.configs(res)), key=config_key)
    tconfigs = sorted(unique(str(c) for c, _ in twins), key=config_key)
    rows = []
    for bug in bugs:
        row = [bug]
        for c in hconfigs:
            recs = [r for r in hunt if r["bug"] == bug and r["config"] == c]
            row.append(_caught_cell(recs[-1] if recs else None))
        cells = [zerocode_report.cells(res, c, bug) for c in zconfigs]
        row += [h for h, _ in cells] + [lin for _, lin in cells]
        for c in tconfigs:
            t = twins.get((c, bug))
            if t is None:
                row.append("–")
            elif t.get("detected"):
                secs = t.get("seconds_to_detect")
                row.append(f"caught in {secs:.1f} s" if isinstance(secs, (int, float)) else "caught")
            else:
                row.append("missed")
        if tsan_report.has_twins(res):
            row.append(tsan_report.twin_cell(res, bug))
        rows.append(row)
    doc.p("Each deliberately broken twin (cargo feature `seeded-bugs`, module `ftlab._seeded`) checked by every "
          "detector. *Hand-written*: its scenario, in rounds until an invariant, the hang watchdog or a crash "
          "fires, or the time cap passes. *Zero-code hammer* and *linearizability*: one isolated run of "
          "`ftlab-harness zerocode` on the twin's factory with no invariant written (`zerocode/twins.py`; "
          "docs/zerocode.md), stopped at its first finding: crash, hang or unexpected exception in the first "
          "column, a history no sequential order explains in the second; a zero-code miss is information, not a "
          "failure of the hunt; – = no zero-code record (an older run, or `--no-zerocode`)."
          + (" *pytest-run-parallel*: the same bugs checked with pytest-run-parallel, written the way its users "
             "write tests." if tconfigs else ""))
    doc.table(["bug"] + [f"hand-written {c}" for c in hconfigs] + [f"zero-code hammer {c}" for c in zconfigs]
              + [f"linearizability {c}" for c in zconfigs] + [f"pytest-run-parallel {c}" for c in tconfigs]
              + (["ThreadSanitizer 3.13t"] if tsan_report.has_twins(res) else []), rows)
    lines = zerocode_report.summary(res)
    if lines:
        doc.bullets(lines)


def _tally(recs: List[dict], key: str) -> str:
    counts: Dict[str, int] = {}
    for r in recs:
        counts[str(r.get(key))] = counts.get(str(r.get(key)), 0) + 1
    return (": " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))) if counts else ""


def _caught(recs: List[dict]) -> str:
    return f": {sum(1 for r in recs if r.get('detected'))}/{len(recs)} bugs caught" if recs else ""


def _timings(doc: Document, res: Results) -> Document:
    subinterpreters.section(doc, res)
    doc.h2("Steps and timings")
    rows = [[r["config"], r["step"], outcome_cell(r), r.get("log", "")]
            for r in sorted(res.of("step"), key=lambda r: config_key(r["config"]))]
    for r in res.of("interpreter"):
        if r.get("status") in ("ok", "build_partial", "build_failed"):
            word = {"ok": "ok", "build_partial": "fail (partial)", "build_failed": "fail"}[r["status"]]
            rows.append([r["label"], "venv + build (ci/envs)", f"{word} ({r.get('build_seconds', 0):.0f} s)",
                         r.get("log", "")])
    doc.table(["config", "step", "outcome", "log"], rows)
    failed = [r for r in res.of("step") if r.get("outcome") in ("fail", "timeout")]
    for r in failed:
        doc.p(f"{r['config']} {r['step']} ({r['outcome']}), last lines of its log:")
        doc.pre(str(r.get("detail", "")))
    return doc


def user_findings(res: Results) -> int:
    """How many findings the records of a user's own runs hold (0 for the matrix's report)."""
    if res.run or res.of("config"):
        return 0
    stress = [r for r in res.of("stress-run") if r.get("outcome") not in ("pass", "skipped") and not not_checked(r)]
    zero = [r for r in res.of("zerocode") if r.get("outcome") not in ("pass", "skipped", None)]
    races = [r for r in res.of("tsan") if r.get("in_target") and not r.get("suppressed_by")]
    return len(stress) + len(zero) + len(races)


def _load(path: Path, required: bool = True) -> Results:
    """The records of one JSONL file; lines that are not JSON records are left out, each with a
    warning naming its line. Raises ValueError (bad input) when no record is left and `required`."""
    res = Results.load(path)
    torn = [r for r in res.records if r.get("kind") == "unparsed"]
    res.records = [r for r in res.records if r.get("kind") != "unparsed"]
    if not res.records and required:
        what = "is empty" if not torn else "holds no JSON record"
        raise ValueError(f"{path} {what} (give the --jsonl file of `ftlab-harness run`/`zerocode`)")
    for r in torn[:10]:
        print(f"report: warning: {path} line {r.get('line_number')} is not a JSON record (a write torn by a crash?); "
              "left out", file=sys.stderr)
    if len(torn) > 10:
        print(f"report: warning: {path}: {len(torn) - 10} more lines like that left out", file=sys.stderr)
    return res


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="ftlab-harness report", description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--results", required=True, metavar="JSONL",
                    help="the JSONL file of `ftlab-harness run`/`zerocode --jsonl` (or of ci/stress-matrix)")
    ap.add_argument("--out", required=True, metavar="DIR", help="folder for report.md, report.html and plots/ "
                    "(made if missing)")
    ap.add_argument("--no-plots", action="store_true", help="tables only (no matplotlib needed)")
    ap.add_argument("--tsan", action="append", default=[], metavar="JSONL",
                    help="the TSan lane's records (ci/tsan: out/tsan/tsan.jsonl), merged in")
    ap.add_argument("--exit-zero", action="store_true",
                    help="exit 0 when the report was written even if the records hold findings (default: exit 1)")
    args = ap.parse_args(argv)
    results, out = Path(args.results), Path(args.out)
    if not results.is_file():
        print(f"report: error: {results} does not exist", file=sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"report: error: --out {out} cannot be made: {e.strerror or e}", file=sys.stderr)
        return 2
    if not out.is_dir() or not os.access(out, os.W_OK):
        print(f"report: error: --out {out} is not a writable directory", file=sys.stderr)
        return 2
    try:
        res = _load(results)
        for extra in args.tsan:
            if Path(extra).is_file():
                res.records.extend(_load(Path(extra), required=False).records)
    except ValueError as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2
    plots: Dict[str, Optional[bytes]] = {}
    note = "plots left out (--no-plots)" if args.no_plots else ""
    if not args.no_plots and not (res.run or res.of("config")):
        note = "no plots: they are drawn from the stress matrix's benchmark records, and these records have none"
    elif not args.no_plots:
        from . import figures

        why = figures.available()
        if why:
            note = f"no plots: matplotlib is not usable here ({why})"
        else:
            plots = figures.all_figures(res)
    doc = build(res, plots, note)
    (out / "report.md").write_text(doc.markdown(out / "plots"))
    (out / "report.html").write_text(doc.html())
    drawn = sum(1 for p in plots.values() if p)
    print(f"report: wrote {out / 'report.md'} and {out / 'report.html'} "
          f"({drawn} plots{'; ' + note if note and not drawn else ''})")
    found = user_findings(res)
    if found:
        print(f"report: the records hold {found} finding(s)" + ("" if args.exit_zero else " (exit 1)"))
        return 0 if args.exit_zero else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

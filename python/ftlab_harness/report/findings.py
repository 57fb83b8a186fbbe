"""The headline numbers, computed from the records, each beside the calibration of its run.

Every function returns plain rows (lists of strings) and sentences; `__main__` places them in
the document. Nothing here asserts anything about speed: the numbers are what was measured on
this machine in this run, and the text says how to read them.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from .results import Results, fmt_ratio

# Each immutability case is compared with the shared-instance case of its own family.
IMMUTABILITY_BASES = {
    "probe_": "probe_load_shared_object",
    "python_": "python_shared_instance_method",
    "frozenmap_": "frozenmap_shared_instance",
    "point_": "point_shared_instance",
}


def immutability_base(case: str) -> Optional[str]:
    if case == "frozenmap_shared_rust_side_lookups":  # 256 lookups per call: not comparable per call
        return None
    for prefix, base in IMMUTABILITY_BASES.items():
        if case.startswith(prefix):
            return base
    return None


def primary_ft(res: Results) -> Optional[str]:
    """The free-threaded configuration (GIL off) the studies focus on: 3.13t, else any."""
    ft = [c for c in res.free_threaded_configs() if res.bench_threads(c, "immutability") or res.bench_threads(c, "patterns")]
    if "3.13t" in ft:
        return "3.13t"
    return ft[0] if ft else None


def primary_gil(res: Results) -> Optional[str]:
    configs = [c for c in res.configs() if not c.endswith("t") and not c.endswith("+gil")]
    if "3.13" in configs:
        return "3.13"
    return configs[-1] if configs else None


def scaling_table(res: Results, group: str, threads: int) -> Tuple[List[str], List[List[str]]]:
    """Rows: case; columns: scaling at `threads` per configuration (calibration first)."""
    configs = [c for c in res.configs() if res.bench(c, group, "calibration", threads)]
    cases = res.bench_cases(group)
    if "calibration" in cases:
        cases = ["calibration"] + [c for c in cases if c != "calibration"]
    headers = ["case"] + [f"{c}" for c in configs]
    rows = []
    for case in cases:
        row = [case if case != "calibration" else "calibration (machine parallelism)"]
        for c in configs:
            r = res.bench(c, group, case, threads)
            row.append(fmt_ratio(r["scaling"]) if r else "–")
        rows.append(row)
    return headers, rows


def pattern_headline(res: Results) -> List[str]:
    """One sentence per pattern: scaling on 3.13t vs 3.13 at cores threads (with calibrations)."""
    n = res.cores()
    ft, gil = primary_ft(res), primary_gil(res)
    if not ft:
        return []
    cal_ft = res.bench(ft, "patterns", "calibration", n)
    cal_gil = res.bench(gil, "patterns", "calibration", n) if gil else None
    out = []
    for case in res.bench_cases("patterns"):
        if case == "calibration":
            continue
        a = res.bench(ft, "patterns", case, n)
        b = res.bench(gil, "patterns", case, n) if gil else None
        if not a:
            continue
        out.append(f"`{case}`: {fmt_ratio(a['scaling'])} on {ft}"
                   + (f" vs {fmt_ratio(b['scaling'])} on {gil}" if b else ""))
    if cal_ft:
        out.insert(0, f"calibration (thread-local pure Python): {fmt_ratio(cal_ft['scaling'])} on {ft}"
                   + (f", {fmt_ratio(cal_gil['scaling'])} on {gil}" if cal_gil else ""))
    return out


def wordcount_rows(res: Results) -> Tuple[List[str], List[List[str]]]:
    headers = ["config", "Counter (ms)", "dict loop", "Rust sequential", "Rust rayon-parallel", "calibration"]
    rows = []
    for c in res.configs():
        base = res.bench(c, "wordcount", "python_counter")
        if not base:
            continue
        row = [c, f"{base['seconds'] * 1e3:.1f}"]
        for case in ("python_dict_loop", "rust_sequential", "rust_parallel"):
            r = res.bench(c, "wordcount", case)
            row.append(fmt_ratio(r["speedup_vs_counter"]) if r else "–")
        row.append(f"{fmt_ratio(base['calibration_scaling'])} at {base['calibration_threads']} threads")
        rows.append(row)
    return headers, rows


def counters_rows(res: Results) -> Tuple[List[str], List[List[str]]]:
    n = res.cores()
    threads = sorted({1, n, 2 * n})
    cases = [c for c in res.bench_cases("counters") if c != "calibration"]
    headers = ["config", "threads"] + [f"{c} / mutex" for c in cases if c != "mutex_counter"] + \
        ["mutex ops/s", "calibration"]
    rows = []
    for c in res.configs():
        for t in threads:
            m = res.bench(c, "counters", "mutex_counter", t)
            cal = res.bench(c, "counters", "calibration", t)
            if not m:
                continue
            row = [c, str(t)]
            for case in cases:
                if case != "mutex_counter":
                    row.append(fmt_ratio(res.relative(c, "counters", case, "mutex_counter", t)))
            row += [f"{m['ops_per_s'] / 1e6:.2f} M", fmt_ratio(cal["scaling"]) if cal else "–"]
            rows.append(row)
    return headers, rows


def immutability_rows(res: Results, config: str) -> Tuple[List[str], List[List[str]]]:
    n = res.cores()
    cases = [c for c in res.bench_cases("immutability") if c != "calibration"]
    headers = ["case", "ops/s at 1 thread", f"ops/s at {n} threads", f"scaling 1→{n}",
               f"ops per CPU-second 1→{n}", f"vs the shared one of its kind at {n}"]
    rows = []
    cal = res.bench(config, "immutability", "calibration", n)
    cal1 = res.bench(config, "immutability", "calibration", 1)
    if cal and cal1:
        rows.append(["calibration (thread-local pure Python)", f"{cal1['ops_per_s'] / 1e6:.2f} M",
                     f"{cal['ops_per_s'] / 1e6:.2f} M", fmt_ratio(cal["scaling"]),
                     fmt_ratio(cal.get("cpu_efficiency")), ""])
    for case in cases:
        r1 = res.bench(config, "immutability", case, 1)
        rn = res.bench(config, "immutability", case, n)
        if not r1 or not rn:
            continue
        base = immutability_base(case)
        rel = res.relative(config, "immutability", case, base, n) if base and base != case else None
        rows.append([case, f"{r1['ops_per_s'] / 1e6:.2f} M", f"{rn['ops_per_s'] / 1e6:.2f} M",
                     fmt_ratio(rn["scaling"]), fmt_ratio(rn.get("cpu_efficiency")),
                     fmt_ratio(rel) if rel else ("(base)" if base == case else "")])
    return headers, rows


def refcount_verdict(res: Results, config: str) -> List[str]:
    """Sentences testing the refcount-contention hypothesis against this run's numbers."""
    n = res.cores()

    def s(case: str) -> Optional[float]:
        r = res.bench(config, "immutability", case, n)
        return r["scaling"] if r else None

    cal = s("calibration")
    shared, local, immortal = s("probe_load_shared_object"), s("probe_load_thread_local_object"), s("probe_load_immortal_object")
    if cal is None or shared is None or local is None or immortal is None:
        return round2_verdict(res, config)
    out = [f"On {config} at {n} threads (calibration {fmt_ratio(cal)}): a bare `x = obj` loop scaled "
           f"{fmt_ratio(shared)} on an object made by the main thread, {fmt_ratio(local)} on an object made by "
           f"the worker, and {fmt_ratio(immortal)} on `None` (immortal)."]
    one = res.relative(config, "immutability", "probe_load_shared_object", "probe_load_thread_local_object", 1)
    if one and one < 0.9:
        out.append(f"Even on 1 thread, loading an object owned by another thread runs at {fmt_ratio(one)} the speed "
                   "of loading an object the thread owns: the shared refcount path is an atomic read-modify-write.")
    def e(case: str) -> Optional[float]:
        r = res.bench(config, "immutability", case, n)
        return r.get("cpu_efficiency") if r else None

    e_shared, e_local, e_immortal = (e("probe_load_shared_object"), e("probe_load_thread_local_object"),
                                     e("probe_load_immortal_object"))
    # A verdict needs threads that actually ran at the same time: calibration scaling >= 1.3.
    parallel = cal >= 1.3
    by_wall = parallel and shared < 0.7 * cal and local >= 0.8 * cal and immortal >= 0.8 * cal
    by_cpu = (parallel and e_shared is not None and e_local is not None and e_immortal is not None
              and e_shared < 0.8 and e_local >= 0.9 and e_immortal >= 0.9)
    if None not in (e_shared, e_local, e_immortal):
        out.append(f"Per CPU-second: {fmt_ratio(e_shared)} for the main-owned object, {fmt_ratio(e_local)} "
                   f"thread-owned, {fmt_ratio(e_immortal)} immortal (1.0 = no slowdown per operation).")
    if not parallel:
        out.append(f"**Inconclusive in this run**: the calibration scaled only {fmt_ratio(cal)}, so the threads "
                   "hardly ever ran at the same time (other processes had the cores) and nothing could contend. "
                   "Re-run when the machine is quieter, e.g. `ftlab-harness bench --only immutability`.")
    elif by_wall or by_cpu:
        out.append("**Hypothesis supported**: only the object whose refcount is shared between threads stops "
                   "scaling; the same loop on a thread-owned or an immortal object scales like the calibration.")
    else:
        out.append("**Hypothesis not supported in this run**: the threads ran in parallel (see the calibration) "
                   "but the probes did not separate; see the table.")
    fm_shared, fm_handle = s("frozenmap_shared_instance"), s("frozenmap_per_thread_handle")
    rel = res.relative(config, "immutability", "frozenmap_per_thread_handle", "frozenmap_shared_instance", n)
    if fm_shared is not None and fm_handle is not None:
        out.append(f"`FrozenMap.get`: one shared instance scaled {fmt_ratio(fm_shared)}; a per-thread handle "
                   f"(`shared.handle()` made in the worker, same Arc'd Rust data) scaled {fmt_ratio(fm_handle)} "
                   f"and ran {fmt_ratio(rel)} the shared instance's throughput at {n} threads.")
    rl = s("frozenmap_shared_rust_side_lookups")
    if rl is not None:
        out.append(f"The shared instance doing 256 lookups per call inside Rust (`lookup_many`: the shared Arc'd "
                   f"tree is read as much, the object's refcount touched 256x less often) scaled {fmt_ratio(rl)}.")
    bm = s("frozenmap_shared_bound_method")
    if bm is not None:
        out.append(f"Calling through a bound method made in the worker (the loop never loads the shared object, "
                   f"but the call still receives it as `self`) scaled {fmt_ratio(bm)}.")
    main_h = s("frozenmap_handle_made_by_main")
    if main_h is not None:
        out.append(f"Handles made by the main thread and handed out scaled {fmt_ratio(main_h)}: each worker still "
                   "pays atomic refcount ops (it does not own its handle) but no two threads share a cache line.")
    vals = s("frozenmap_per_thread_handle_shared_values")
    if vals is not None:
        out.append(f"Per-thread handles whose *values* are shared non-immortal floats scaled {fmt_ratio(vals)}: "
                   "the returned value's refcount is shared too; small ints and interned strings are immortal "
                   "and do not contend.")
    out += round2_verdict(res, config)
    return out


def round2_verdict(res: Results, config: str) -> List[str]:
    """The pattern-library round-2 comparisons at `cores()` threads: lock-free snapshot reads vs the
    RwLock'd Registry vs FrozenMap (one shared object each), and per-thread slots vs sharded vs one
    atomic counter (one shared object each)."""
    n = res.cores()

    def scaling(group: str, case: str) -> Optional[float]:
        r = res.bench(config, group, case, n)
        return r["scaling"] if r else None

    out = []
    reads = [(c, scaling("patterns", c)) for c in ("snapshot_map_get", "registry_get", "frozenmap_get")]
    if all(v is not None for _, v in reads):
        mix = [(c, scaling("patterns", c)) for c in ("snapshot_map_read_mostly", "registry_read_mostly")]
        out.append(f"Read-mostly maps on one shared object at {n} threads: "
                   + ", ".join(f"`{c}` scaled {fmt_ratio(v)}" for c, v in reads)
                   + ("; with 1 write per 64 reads: " + ", ".join(f"`{c}` {fmt_ratio(v)}" for c, v in mix)
                      if all(v is not None for _, v in mix) else "")
                   + ". The snapshot's readers write no shared Rust cache line (the RwLock's readers write its lock "
                   "word), but all three calls still touch the one shared object's refcount (see above); compare "
                   "with the calibration before reading a difference into these.")
    counters = [(c, scaling("counters", c)) for c in ("per_thread_counter", "sharded_counter", "atomic_counter")]
    own, cal = scaling("counters", "per_thread_atomic_counter"), scaling("counters", "calibration")
    if all(v is not None for _, v in counters):
        out.append(f"Counters on one shared object at {n} threads: "
                   + ", ".join(f"`{c}` scaled {fmt_ratio(v)}" for c, v in counters)
                   + " (`per_thread_counter`: a single-writer slot per thread, no atomic read-modify-write)"
                   + (f"; one AtomicCounter per thread (`per_thread_atomic_counter`, no shared object) scaled "
                      f"{fmt_ratio(own)}: what stops the shared counters scaling is the one shared Python object, "
                      "not their Rust synchronisation" if own is not None else "")
                   + (f"; calibration {fmt_ratio(cal)}." if cal is not None else "."))
    return out


def headline(res: Results) -> List[str]:
    """The at-a-glance bullets at the top of the report (each with its calibration)."""
    n = res.cores()
    out: List[str] = []
    for c in res.configs():
        stress = res.of("stress-run", config=c)
        hunt = res.of("hunt", config=c)
        if not stress and not hunt:
            continue
        parts = []
        if stress:
            passed = sum(1 for r in stress if r.get("outcome") == "pass")
            skipped = sum(1 for r in stress if r.get("outcome") == "skipped")
            parts.append(f"stress {passed}/{len(stress) - skipped} scenarios pass" + (f" ({skipped} skipped)" if skipped else ""))
        if hunt:
            parts.append(f"hunt {sum(1 for r in hunt if r.get('detected'))}/{len(hunt)} seeded bugs caught")
        out.append(f"**{c}**: " + "; ".join(parts))
    ft, gil = primary_ft(res), primary_gil(res)
    if ft:
        cal = res.bench(ft, "patterns", "calibration", n)
        found = [(case, res.bench(ft, "patterns", case, n)) for case in res.bench_cases("patterns") if case != "calibration"]
        rows = [(case, r) for case, r in found if r is not None]
        gil_cal = res.bench(gil, "patterns", "calibration", n) if gil else None
        if rows and cal:
            best = max(rows, key=lambda r: r[1]["scaling"])
            worst = min(rows, key=lambda r: r[1]["scaling"])
            out.append(f"Pattern scaling at {n} threads on {ft}: {fmt_ratio(worst[1]['scaling'])} (`{worst[0]}`) to "
                       f"{fmt_ratio(best[1]['scaling'])} (`{best[0]}`); calibration {fmt_ratio(cal['scaling'])}"
                       + (f"; on {gil} the calibration is {fmt_ratio(gil_cal['scaling'])}" if gil_cal else ""))
    for c in [x for x in (ft, gil) if x]:
        seq, par = res.bench(c, "wordcount", "rust_sequential"), res.bench(c, "wordcount", "rust_parallel")
        if seq:
            out.append(f"Word count on {c}: Rust {fmt_ratio(seq['speedup_vs_counter'])} sequential"
                       + (f", {fmt_ratio(par['speedup_vs_counter'])} rayon-parallel" if par else "")
                       + f" vs `collections.Counter` (talk: 2–4x; calibration {fmt_ratio(seq['calibration_scaling'])}"
                       f" at {seq['calibration_threads']} threads)")
    if ft:
        sh, hd = res.bench(ft, "immutability", "frozenmap_shared_instance", n), \
            res.bench(ft, "immutability", "frozenmap_per_thread_handle", n)
        cal = res.bench(ft, "immutability", "calibration", n)
        rel = res.relative(ft, "immutability", "frozenmap_per_thread_handle", "frozenmap_shared_instance", n)
        if sh and hd and cal:
            out.append(f"Immutability on {ft} at {n} threads: one shared FrozenMap scales {fmt_ratio(sh['scaling'])}, "
                       f"per-thread handles {fmt_ratio(hd['scaling'])} ({fmt_ratio(rel)} the shared one's "
                       f"throughput); calibration {fmt_ratio(cal['scaling'])}"
                       + (" — inconclusive: the threads hardly ran in parallel" if cal["scaling"] < 1.3 else ""))
        for c in [x for x in (ft, gil) if x]:
            m = res.bench(c, "counters", "mutex_counter", n)
            if not m:
                continue
            bits = []
            for case in ("atomic_counter", "sharded_counter", "python_lock_counter"):
                r = res.relative(c, "counters", case, "mutex_counter", n)
                if r:
                    bits.append(f"{case.replace('_counter', '')} {fmt_ratio(r)}")
            cal = res.bench(c, "counters", "calibration", n)
            out.append(f"Counters on {c} at {n} threads, vs the mutex: " + ", ".join(bits)
                       + (f" (calibration {fmt_ratio(cal['scaling'])})" if cal else ""))
    return out

"""The report's plots (matplotlib, Agg backend), each returned as PNG bytes or None.

Every plot shows the calibration of the same run beside the pattern it measures: a dashed grey
line or a grey bar labelled "calibration" (pure-Python work on thread-local data), so a reader
sees at a glance how much parallelism the machine actually gave.
"""

from __future__ import annotations

import io
from typing import Dict, List, Optional

from .findings import immutability_base
from .results import Results

CONFIG_COLORS = {
    "3.9": "#c7c7c7", "3.10": "#b0b0b0", "3.11": "#989898", "3.12": "#7f7f7f",
    "3.13": "#1f77b4", "3.13t": "#ff7f0e", "3.13t+gil": "#2ca02c",
    "3.14": "#9467bd", "3.14t": "#d62728", "3.14t+gil": "#8c564b",
}
CALIBRATION_COLOR = "#9e9e9e"


def available() -> Optional[str]:
    """None when matplotlib can be used, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception as e:  # ImportError, or a broken install
        return f"{type(e).__name__}: {e}"
    return None


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.titlesize": 9.5, "axes.grid": True, "grid.alpha": 0.3,
                         "legend.fontsize": 8, "figure.dpi": 110})
    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def _color(config: str) -> str:
    return CONFIG_COLORS.get(config, "#17becf")


def _grid(n: int, cols: int):
    rows = max(1, (n + cols - 1) // cols)
    return rows, min(cols, n)


def throughput_vs_threads(res: Results, group: str, title: str, cols: int = 4) -> Optional[bytes]:
    """Small multiples: one panel per case (calibration first), one line per configuration."""
    cases = res.bench_cases(group)
    if "calibration" in cases:
        cases.remove("calibration")
        cases.insert(0, "calibration")
    configs = [c for c in res.configs() if res.bench_threads(c, group)]
    if not cases or not configs:
        return None
    plt = _plt()
    rows, ncols = _grid(len(cases), cols)
    fig, axes = plt.subplots(rows, ncols, figsize=(3.0 * ncols, 2.35 * rows), squeeze=False)
    for ax in axes.flat[len(cases):]:
        ax.axis("off")
    for ax, case in zip(axes.flat, cases):
        for config in configs:
            threads = res.bench_threads(config, group)
            recs = [res.bench(config, group, case, n) for n in threads]
            pts = [(n, r) for n, r in zip(threads, recs) if r]
            if not pts:
                continue
            xs = [n for n, _ in pts]
            ys = [r["ops_per_s"] for _, r in pts]
            lo = [min(r.get("ops_per_s_reps") or [r["ops_per_s"]]) for _, r in pts]
            hi = [max(r.get("ops_per_s_reps") or [r["ops_per_s"]]) for _, r in pts]
            ax.plot(xs, ys, marker="o", ms=3, color=_color(config), label=config)
            if config.startswith("3.13") or config.startswith("3.14"):  # bands for the main configs only
                ax.fill_between(xs, lo, hi, color=_color(config), alpha=0.12, lw=0)
        ax.set_title(case + (" (machine parallelism)" if case == "calibration" else ""))
        ax.set_xticks(res.bench_threads(configs[0], group))
        ax.set_ylim(bottom=0)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
    axes.flat[0].set_ylabel("ops/s (median; band = min..max\nof the repetitions, 3.13*)")
    axes.flat[0].set_xlabel("threads")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.07 / rows, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), bbox_to_anchor=(0.5, 0.0), frameon=False)
    return _png(fig)


def speedup_bars(res: Results, group: str, threads: int, title: str,
                 cases: Optional[List[str]] = None) -> Optional[bytes]:
    """Scaling at `threads` vs 1 thread, grouped by case, one bar per configuration."""
    cases = cases or res.bench_cases(group)
    if "calibration" in cases:
        cases = ["calibration"] + [c for c in cases if c != "calibration"]
    configs = [c for c in res.configs() if res.bench(c, group, "calibration", threads)]
    if not cases or not configs:
        return None
    plt = _plt()
    width = 0.8 / len(configs)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(cases) * max(2, len(configs)) / 2 + 2), 3.6))
    for i, config in enumerate(configs):
        vals = []
        for case in cases:
            r = res.bench(config, group, case, threads)
            vals.append(r["scaling"] if r else 0.0)
        xs = [k + (i - (len(configs) - 1) / 2) * width for k in range(len(cases))]
        ax.bar(xs, vals, width=width, color=_color(config), label=config,
               edgecolor=["black" if c == "calibration" else "none" for c in cases])
    ax.axhline(1.0, color="black", lw=0.8)
    ax.axhline(min(threads, res.cores()), color=CALIBRATION_COLOR, lw=0.8, ls=":",
               label=f"ideal ({min(threads, res.cores())} cores)")
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(cases, rotation=35, ha="right")
    ax.set_ylabel(f"throughput at {threads} threads / at 1 thread")
    ax.set_title(title + " — the outlined first group is the calibration (thread-local pure Python)")
    ax.legend(ncol=min(6, len(configs) + 1))
    fig.tight_layout()
    return _png(fig)


def relative_bars(res: Results, group: str, base: str, threads: int, configs: List[str], title: str,
                  cases: Optional[List[str]] = None) -> Optional[bytes]:
    """ops/s of each case relative to `base` (per-repetition ratio, median) at `threads`."""
    cases = [c for c in (cases or res.bench_cases(group)) if c != "calibration"]
    configs = [c for c in configs if res.bench(c, group, base, threads)]
    if not cases or not configs:
        return None
    plt = _plt()
    width = 0.8 / len(configs)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(cases) * max(2, len(configs)) / 2 + 2), 3.6))
    for i, config in enumerate(configs):
        vals = [res.relative(config, group, c, base, threads) or 0.0 for c in cases]
        xs = [k + (i - (len(configs) - 1) / 2) * width for k in range(len(cases))]
        ax.bar(xs, vals, width=width, color=_color(config), label=config)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(cases, rotation=35, ha="right")
    ax.set_ylabel(f"ops/s relative to {base}\n(at {threads} threads, same repetition)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return _png(fig)


def immutability_relative(res: Results, threads: int, configs: List[str]) -> Optional[bytes]:
    """Each case's ops/s over its family's shared-instance case (same repetition, median)."""
    cases = [c for c in res.bench_cases("immutability") if immutability_base(c) and immutability_base(c) != c]
    configs = [c for c in configs if res.bench(c, "immutability", "calibration", threads)]
    if not cases or not configs:
        return None
    plt = _plt()
    width = 0.8 / len(configs)
    fig, ax = plt.subplots(figsize=(max(7.0, 0.6 * len(cases) + 2), 3.8))
    for i, config in enumerate(configs):
        vals = [res.relative(config, "immutability", c, immutability_base(c) or c, threads) or 0.0 for c in cases]
        xs = [k + (i - (len(configs) - 1) / 2) * width for k in range(len(cases))]
        ax.bar(xs, vals, width=width, color=_color(config), label=config)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels([f"{c}\n÷ {immutability_base(c)}" for c in cases], rotation=40, ha="right", fontsize=7.5)
    ax.set_ylabel(f"ops/s ratio at {threads} threads")
    ax.set_title(f"Immutability study: each way of sharing vs one shared instance of the same kind "
                 f"({threads} threads; > 1 = faster)")
    ax.legend()
    fig.tight_layout()
    return _png(fig)


def wordcount_bars(res: Results) -> Optional[bytes]:
    configs = [c for c in res.configs() if res.bench(c, "wordcount", "python_counter")]
    cases = ["python_dict_loop", "rust_sequential", "rust_parallel"]
    if not configs:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(6.0, 1.5 * len(configs) + 2.5), 3.4))
    ax.axhspan(2, 4, color="#ffe0b2", alpha=0.6, label="the talk's claim: 2–4x")
    width = 0.8 / len(cases)
    colors = {"python_dict_loop": "#bdbdbd", "rust_sequential": "#1976d2", "rust_parallel": "#e65100"}
    for i, case in enumerate(cases):
        vals = []
        for config in configs:
            r = res.bench(config, "wordcount", case)
            vals.append(r["speedup_vs_counter"] if r else 0.0)
        xs = [k + (i - 1) * width for k in range(len(configs))]
        ax.bar(xs, vals, width=width, color=colors[case], label=case)
    labels = []
    for config in configs:
        r = res.bench(config, "wordcount", "python_counter")
        labels.append(f"{config}\ncal. x{r['calibration_scaling']:.2f}" if r else config)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(range(len(configs)))
    ax.set_xticklabels(labels)
    ax.set_ylabel("speedup vs collections.Counter")
    ax.set_title("Word count: speedup over collections.Counter(text.split()); "
                 "cal. = calibration scaling at all cores, same run")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return _png(fig)


def detach_bars(res: Results) -> Optional[bytes]:
    configs = [c for c in res.configs() if res.bench(c, "detach", "calibration", res.cores())]
    if not configs:
        return None
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
    n = res.cores()
    cases = [("calibration", CALIBRATION_COLOR), ("rust_detached", "#1976d2"), ("rust_attached", "#e65100")]
    width = 0.8 / len(cases)
    for i, (case, color) in enumerate(cases):
        vals = []
        for config in configs:
            r = res.bench(config, "detach", case, n)
            vals.append(r["scaling"] if r else 0.0)
        xs = [k + (i - 1) * width for k in range(len(configs))]
        ax1.bar(xs, vals, width=width, color=color, label=case)
    ax1.axhline(1.0, color="black", lw=0.8)
    ax1.set_xticks(range(len(configs)))
    ax1.set_xticklabels(configs)
    ax1.set_ylabel(f"throughput at {n} threads / 1 thread")
    ax1.set_title("Rust work in every thread: detached vs attached")
    ax1.legend()
    by = [("python_thread_beside_detached_rust", "#1976d2"), ("python_thread_beside_attached_rust", "#e65100")]
    width = 0.8 / len(by)
    for i, (case, color) in enumerate(by):
        vals = []
        for config in configs:
            r = res.bench(config, "detach", case)
            vals.append(r["relative_speed"] if r else 0.0)
        xs = [k + (i - 0.5) * width for k in range(len(configs))]
        ax2.bar(xs, vals, width=width, color=color, label=case.replace("python_thread_beside_", "beside "))
    ax2.axhline(1.0, color="black", lw=0.8)
    ax2.set_xticks(range(len(configs)))
    ax2.set_xticklabels(configs)
    ax2.set_ylabel("pure-Python thread speed\n(1.0 = as fast as alone)")
    ax2.set_title("A Python thread beside a thread looping over Rust work")
    ax2.legend()
    fig.tight_layout()
    return _png(fig)


def all_figures(res: Results) -> Dict[str, Optional[bytes]]:
    """Every figure the report uses, by name (None where there is nothing to plot)."""
    n = res.cores()
    ft = res.free_threaded_configs()
    imm_configs = [c for c in res.configs() if c in ft or c == "3.13"]
    return {
        "patterns_throughput": throughput_vs_threads(res, "patterns", "Throughput vs threads, every pattern on one shared object"),
        "patterns_speedup": speedup_bars(res, "patterns", n, f"Scaling at {n} threads (= cores)"),
        "counters_throughput": throughput_vs_threads(res, "counters", "Counters: throughput vs threads", cols=3),
        "counters_relative": relative_bars(res, "counters", "mutex_counter", n, res.configs(),
                                           f"Counters relative to MutexGuardedCounter at {n} threads"),
        "immutability_throughput": throughput_vs_threads(res, "immutability",
                                                         "Immutability study: throughput vs threads"),
        "immutability_speedup": speedup_bars(res, "immutability", n, f"Immutability study: scaling at {n} threads",
                                             cases=res.bench_cases("immutability")),
        "immutability_relative": immutability_relative(res, n, imm_configs),
        "wordcount": wordcount_bars(res),
        "detach": detach_bars(res),
    }

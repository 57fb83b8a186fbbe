"""Loading results.jsonl and the lookups every part of the report needs."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from ftlab_harness.records import read_jsonl_dicts

# Order in which configurations appear in tables and legends.
CONFIG_ORDER = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.13t", "3.13t+gil", "3.14", "3.14t", "3.14t+gil"]


def config_key(name: str) -> tuple:
    return (CONFIG_ORDER.index(name), name) if name in CONFIG_ORDER else (len(CONFIG_ORDER), name)


def with_config(record: dict) -> dict:
    """The record with a `config`: the matrix sets one on its steps' records; the JSONL of a
    plain `ftlab-harness run/hunt/zerocode --jsonl` names its configuration `label`."""
    if "config" not in record:
        record["config"] = str(record.get("label") or record.get("interpreter") or "-")
    return record


class Results:
    def __init__(self, records: List[dict]) -> None:
        self.records = records

    @classmethod
    def load(cls, path: Path) -> "Results":
        """Every record, read through the typed contract (`ftlab_harness.records`), kept as flat
        dicts for the lookups below; a line that is not JSON is a `kind: "unparsed"` record."""
        return cls([with_config(r) for r in read_jsonl_dicts(path)])

    def of(self, kind: str, **match: object) -> List[dict]:
        return [r for r in self.records if r.get("kind") == kind and all(r.get(k) == v for k, v in match.items())]

    def one(self, kind: str, **match: object) -> Optional[dict]:
        found = self.of(kind, **match)
        return found[-1] if found else None

    @property
    def run(self) -> dict:
        return self.one("run") or {}

    @property
    def run_end(self) -> dict:
        return self.one("run_end") or {}

    def configs(self) -> List[str]:
        names = {r["config"] for r in self.of("config")}
        names |= {r["config"] for r in self.records if r.get("kind") == "bench" and "config" in r}
        return sorted(names, key=config_key)

    def free_threaded_configs(self) -> List[str]:
        return [c for c in self.configs() if c.endswith("t")]

    # ------------------------------------------------------------------ benchmarks

    def bench(self, config: str, group: str, case: str, threads: Optional[int] = None) -> Optional[dict]:
        for r in self.records:
            if (r.get("kind") == "bench" and r.get("config") == config and r.get("group") == group
                    and r.get("case") == case and r.get("status") == "ok"
                    and (threads is None or r.get("threads") == threads)):
                return r
        return None

    def bench_cases(self, group: str) -> List[str]:
        seen: Dict[str, None] = {}
        for r in self.records:
            if r.get("kind") == "bench" and r.get("group") == group and r.get("status") == "ok":
                seen.setdefault(r["case"], None)
        return list(seen)

    def bench_threads(self, config: str, group: str) -> List[int]:
        return sorted({r["threads"] for r in self.records if r.get("kind") == "bench" and r.get("config") == config
                       and r.get("group") == group and r.get("status") == "ok" and "threads" in r})

    def bench_not_ok(self) -> List[dict]:
        return [r for r in self.records if r.get("kind") == "bench" and r.get("status") not in ("ok", None)]

    def cores(self) -> int:
        for r in self.records:
            if r.get("kind") == "bench" and r.get("cores"):
                return int(r["cores"])
        return int(self.run.get("cores") or 2)

    def relative(self, config: str, group: str, case: str, base: str, threads: int) -> Optional[float]:
        """Median over repetitions of ops(case)/ops(base), both measured in the same repetition."""
        a = self.bench(config, group, case, threads)
        b = self.bench(config, group, base, threads)
        if not a or not b:
            return None
        pairs = list(zip(a.get("ops_per_s_reps", []), b.get("ops_per_s_reps", [])))
        if not pairs:
            return a["ops_per_s"] / b["ops_per_s"]
        return float(statistics.median(x / y for x, y in pairs if y))


def fmt_ratio(x: Optional[float], digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}x"


def fmt_rate(x: Optional[float]) -> str:
    if x is None:
        return "–"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.2f} {unit}"
    return f"{x:.0f} "


def unique(seq: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(seq))

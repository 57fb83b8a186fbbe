"""The records the parent, the child, the hunt, the matrix and the report exchange.

Every JSONL record and every child specification is built here, so that producers and consumers
agree on one shape (see `python/README.md`, "JSONL record").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftlab_harness.loader import BadInput, Source, builtin_sources, split_target
from ftlab_harness.runner import preflight


def sources_from(files: list[str]) -> list[Source]:
    if files:
        return [Source("file", str(Path(f).resolve())) for f in files]
    return builtin_sources()


def check_targets(targets: list[str], extra_paths: list[str], hint: str = "",
                  tail_paths: list[str] = ()) -> dict[str, Any]:
    """Exit-2 check: every target's module must import (in a throwaway child)."""
    modules = sorted({split_target(t)[0] for t in targets})
    if not modules:
        return {"gil_enabled": None}
    probe = preflight(modules, extra_paths, tail_paths=tail_paths)
    for module, error in probe["errors"].items():
        if error:
            raise BadInput(f"target {module!r} is not importable: {error.splitlines()[0] if error else ''}{hint}")
    return probe


def base_record(info: dict[str, Any], label: str | None) -> dict[str, Any]:
    return {
        "interpreter": info["interpreter"],
        "version": info["version"],
        "free_threaded": info["free_threaded"],
        "gil_enabled": None,
        "python_gil_env": info["python_gil_env"],
        "label": label,
    }


def child_spec(
    source: Source,
    scenario: str,
    target: str,
    threads: int,
    seed: int,
    switch_interval: float,
    hang_timeout: float,
    allow_gil: bool,
    duration: float | None = None,
    iterations: int | None = None,
    until_violation: bool = False,
    cap_seconds: float | None = None,
    round_seconds: float | None = None,
) -> dict[str, Any]:
    return {
        "source": {"kind": source.kind, "ref": source.ref},
        "scenario": scenario,
        "target": target,
        "threads": threads,
        "seed": seed,
        "switch_interval": switch_interval,
        "hang_timeout": hang_timeout,
        "allow_gil": allow_gil,
        "duration": duration,
        "iterations": iterations,
        "until_violation": until_violation,
        "cap_seconds": cap_seconds,
        "round_seconds": round_seconds,
    }


RESULT_KEYS = (
    "ops", "seconds", "ops_per_s", "violations", "outcome", "detail", "gil_enabled", "rounds", "detector",
    "seconds_to_detect", "signal", "violation_details", "error_phase", "error_type", "traceback", "stderr_tail",
    "wall_seconds", "returncode", "gil_guard", "notes",
)


def merge_result(record: dict[str, Any], result: dict[str, Any], fallback_gil: bool | None) -> dict[str, Any]:
    for key in RESULT_KEYS:
        if key in result:
            record[key] = result[key]
    record.setdefault("ops", 0)
    record.setdefault("seconds", 0.0)
    record.setdefault("violations", 0)
    if record.get("ops_per_s") is None:
        record["ops_per_s"] = round(record["ops"] / record["seconds"], 1) if record["seconds"] else 0.0
    if record.get("gil_enabled") is None:
        record["gil_enabled"] = fallback_gil
    return record



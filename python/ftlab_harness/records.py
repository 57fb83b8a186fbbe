"""The typed contract: every record the parent, the child, the hunt, the matrix and the report exchange.

One frozen dataclass per thing that crosses a process or a file boundary, serialised here and
nowhere else (the shape of CPython libregrtest's `RunTests` / `TestResult`):

    RunSpec           parent -> child: what to run (the spec file the child reads)
    ChildEvent        child -> parent, as it happens: violations and progress, appended to a side
                      file, so a crash cannot take them with it
    ScenarioResult    child -> parent: the outcome of one scenario (the result file), then merged
                      with the child's fate (signal, hang, wall time) by `runner.run_child`
    Interpreter       the interpreter facts every JSONL record carries
    StressRunRecord   JSONL `kind: "stress-run"`   (ftlab-harness run)
    HuntRecord        JSONL `kind: "hunt"`         (ftlab-harness hunt, one per seeded bug)
    HuntCleanRecord   JSONL `kind: "hunt-clean"`   (the clean-build false-alarm check)
    PytestTwinsRecord JSONL `kind: "pytest-twins"` (hunt --compare-pytest)
    BenchRecord       JSONL `kind: "bench"`        (ftlab-harness bench; group-specific fields in `extra`)
    OtherRecord       any other kind (the matrix's own `run`, `config`, `step`, ... records)

Invariants:
  * Every JSONL record is flat JSON with `kind` and `schema_version`; field names are the ones the
    README documents (nested records such as `Interpreter` and `ScenarioResult` are flattened
    into their parent), so readers written against plain dicts keep working.
  * `from_json(to_json(r)) == r`; unknown keys are kept in `extra` and written back, so a newer
    producer's fields survive an older reader.
  * `interpreter` is always the version tag (`cpython-3.13.5t`), `executable` always the path of
    the Python binary (`sys.executable`) — in every kind, bench included.
  * This module imports nothing from the harness (a leaf: no import circles through it); it is
    stdlib-only and 3.9-compatible.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Type, TypeVar, Union

#: Bumped when a field changes meaning or is removed (adding a field does not bump it).
SCHEMA_VERSION = 1

#: Outcomes of a scenario run, worst last. `pass` is the only clean one.
OUTCOMES = ("pass", "skipped", "violation", "error", "crash", "timeout")

T = TypeVar("T", bound="_Json")


class _Json:
    """Flat JSON (de)serialisation for the frozen dataclasses below.

    A field whose metadata says `flatten` holds another record whose fields are written inline;
    the field `extra` (a dict) collects keys no field claims.
    """

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        kind = getattr(self, "KIND", None)
        if kind is not None:
            out["kind"] = kind
            out["schema_version"] = SCHEMA_VERSION
        extra: Mapping[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name == "extra":
                extra = value or {}
            elif f.metadata.get("flatten"):
                if value is not None:
                    out.update(value.to_json())
            else:
                out[f.name] = _plain(value)
        for k, v in extra.items():
            out.setdefault(k, v)
        return out

    @classmethod
    def from_json(cls: Type[T], data: Mapping[str, Any]) -> T:
        data = dict(data)
        data.pop("kind", None)
        data.pop("schema_version", None)
        kwargs: Dict[str, Any] = {}
        has_extra = False
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name == "extra":
                has_extra = True
                continue
            if f.metadata.get("flatten"):
                sub = f.metadata["flatten"]
                names = sub.field_names()
                kwargs[f.name] = sub.from_json({k: data.pop(k) for k in list(data) if k in names})
            elif f.name in data:
                kwargs[f.name] = data.pop(f.name)
        if has_extra:
            kwargs["extra"] = data
        return cls(**kwargs)

    @classmethod
    def field_names(cls) -> frozenset:
        names = set()
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.metadata.get("flatten"):
                names |= f.metadata["flatten"].field_names()
            elif f.name != "extra":
                names.add(f.name)
        return frozenset(names)

    def replace(self: T, **changes: Any) -> T:
        """A copy with `changes` (records are frozen)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def _flatten(cls: type) -> Any:
    return field(default=None, metadata={"flatten": cls})


# --------------------------------------------------------------------------- parent -> child


@dataclass(frozen=True)
class RunSpec(_Json):
    """What one child runs: one scenario from one source, how hard, how long, how to watch it.

    `duration` and `iterations` bound a normal run; `until_violation` (hunt mode) repeats rounds
    of `round_seconds` with fresh state until a detector fires or `cap_seconds`. `events_path` is
    the side file the child appends `ChildEvent`s to (None: no events).
    """

    source_kind: str = "module"
    source_ref: str = ""
    scenario: str = ""
    target: str = ""
    threads: int = 4
    seed: int = 0
    switch_interval: float = 1e-6
    hang_timeout: float = 10.0
    allow_gil: bool = False
    duration: Optional[float] = None
    iterations: Optional[int] = None
    until_violation: bool = False
    cap_seconds: Optional[float] = None
    round_seconds: Optional[float] = None
    phase_timeout: Optional[float] = None
    events_path: Optional[str] = None

    def write(self, path: Union[str, os.PathLike]) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f)

    @classmethod
    def read(cls, path: Union[str, os.PathLike]) -> RunSpec:
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))


# --------------------------------------------------------------------------- child -> parent, as it happens


@dataclass(frozen=True)
class ChildEvent(_Json):
    """One line of the child's side file, written (unbuffered) the moment it happens.

    `event` is "start" (`monotonic`: the child's clock origin, CLOCK_MONOTONIC, comparable across
    processes on one machine), "violation" (`invariant`, `detail`, `at` seconds since start) or
    "progress" (`ops`, `seconds` of worker time, `rounds`; written by the watchdog a few times a
    second). A crash record is rebuilt from these.
    """

    event: str = ""
    at: float = 0.0
    monotonic: Optional[float] = None
    invariant: Optional[str] = None
    detail: Optional[str] = None
    ops: Optional[int] = None
    seconds: Optional[float] = None
    rounds: Optional[int] = None

    def line(self) -> bytes:
        data = {k: v for k, v in self.to_json().items() if v is not None}
        return (json.dumps(data) + "\n").encode("utf-8", "replace")


def read_events(path: Union[str, os.PathLike]) -> List[ChildEvent]:
    """The events a child wrote; a torn last line (the child died mid-write) is ignored."""
    events: List[ChildEvent] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    events.append(ChildEvent.from_json(json.loads(line)))
                except (ValueError, TypeError):
                    continue
    except OSError:
        pass
    return events


# --------------------------------------------------------------------------- child -> parent, at the end


@dataclass(frozen=True)
class ScenarioResult(_Json):
    """The outcome of one scenario in one child, and (after `runner.run_child`) the child's fate.

    `ops` are completed `step` calls (a call that returns DONE counts), `seconds` the time between
    the barrier and the last join, summed over rounds. `violation_details` maps an invariant to
    `{"count": n, "details": [first few]}`. `complete_rounds` counts rounds whose workers all
    returned DONE; `cut_short_rounds` the others (deadline, `--iterations` or a stop).
    `seconds_to_detect` is the time from the scenario's start to the verdict (for a hang: until
    the stacks were written, not merely when the watchdog noticed).
    """

    outcome: str = "error"
    detail: str = ""
    ops: int = 0
    seconds: float = 0.0
    ops_per_s: Optional[float] = None
    violations: int = 0
    violation_details: Dict[str, Any] = field(default_factory=dict)
    rounds: int = 0
    complete_rounds: Optional[int] = None
    cut_short_rounds: Optional[int] = None
    detector: Optional[str] = None
    seconds_to_detect: Optional[float] = None
    gil_enabled: Optional[bool] = None
    gil_enabled_at_start: Optional[bool] = None
    gil_guard: Optional[bool] = None
    notes: Dict[str, Any] = field(default_factory=dict)
    signal: Optional[str] = None
    error_phase: Optional[str] = None
    error_type: Optional[str] = None
    traceback: Optional[str] = None
    stderr_tail: Optional[str] = None
    wall_seconds: Optional[float] = None
    returncode: Optional[int] = None
    hang: Optional[bool] = None
    progress_from_events: Optional[bool] = None
    #: The child's process id (its TSan log is `tsan.<pid>`: ftlab_harness.tsan.attach).
    pid: Optional[int] = None

    def with_rate(self) -> ScenarioResult:
        if self.ops_per_s is not None:
            return self
        return self.replace(ops_per_s=round(self.ops / self.seconds, 1) if self.seconds else 0.0)

    def write(self, path: str) -> None:
        """Atomically (tmp file + rename): the parent never reads half a result."""
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f)
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: str) -> Optional[ScenarioResult]:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        data.pop("target", None)
        return cls.from_json(data)


# --------------------------------------------------------------------------- JSONL records


@dataclass(frozen=True)
class Interpreter(_Json):
    """Where a record was made. `interpreter` is the version tag; `executable` the binary's path."""

    interpreter: str = ""
    version: str = ""
    free_threaded: bool = False
    executable: str = ""
    python_gil_env: Optional[str] = None

    @classmethod
    def current(cls) -> Interpreter:
        free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
        version = ".".join(map(str, sys.version_info[:3]))
        return cls(
            interpreter=f"{sys.implementation.name}-{version}{'t' if free_threaded else ''}",
            version=version,
            free_threaded=free_threaded,
            executable=sys.executable,
            python_gil_env=os.environ.get("PYTHON_GIL"),
        )


@dataclass(frozen=True)
class _Record(_Json):
    KIND: ClassVar[Optional[str]] = None


@dataclass(frozen=True)
class StressRunRecord(_Record):
    """`kind: "stress-run"`: one scenario run by `ftlab-harness run` (or the pytest plugin)."""

    KIND: ClassVar[Optional[str]] = "stress-run"
    interp: Interpreter = _flatten(Interpreter)
    label: Optional[str] = None
    scenario: str = ""
    target: str = ""
    threads: int = 0
    seed: int = 0
    duration: Optional[float] = None
    iterations: Optional[int] = None
    repeat: int = 0
    started_at: Optional[float] = None
    result: ScenarioResult = _flatten(ScenarioResult)
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return self.result.outcome

    # The result's main fields, read as the JSONL line reads them (`rec.ops`, not `rec.result.ops`).
    @property
    def ops(self) -> int:
        """Completed `step` calls, all workers (`result.ops`)."""
        return self.result.ops

    @property
    def seconds(self) -> float:
        """Worker time of the run (`result.seconds`)."""
        return self.result.seconds

    @property
    def ops_per_s(self) -> Optional[float]:
        return self.result.ops_per_s

    @property
    def violations(self) -> int:
        return self.result.violations

    @property
    def violation_details(self) -> Dict[str, Any]:
        """Invariant -> `{"count": n, "details": [first few]}` (`result.violation_details`)."""
        return self.result.violation_details

    @property
    def detail(self) -> str:
        return self.result.detail


@dataclass(frozen=True)
class HuntRecord(_Record):
    """`kind: "hunt"`: one seeded bug hunted with its scenario against the broken twin."""

    KIND: ClassVar[Optional[str]] = "hunt"
    interp: Interpreter = _flatten(Interpreter)
    label: Optional[str] = None
    build: str = "seeded"
    tool: str = "stress"
    bug: str = ""
    twin: str = ""
    scenario: Optional[str] = None
    target: str = ""
    threads: int = 0
    seed: int = 0
    cap_seconds: Optional[float] = None
    round_seconds: Optional[float] = None
    hang_timeout: Optional[float] = None
    detected: bool = False
    result: ScenarioResult = _flatten(ScenarioResult)
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return self.result.outcome


@dataclass(frozen=True)
class HuntCleanRecord(_Record):
    """`kind: "hunt-clean"`: a hunting scenario run on the correct class; must not fire."""

    KIND: ClassVar[Optional[str]] = "hunt-clean"
    interp: Interpreter = _flatten(Interpreter)
    label: Optional[str] = None
    build: str = "clean"
    tool: str = "stress"
    bug: str = ""
    scenario: str = ""
    target: str = ""
    threads: int = 0
    seed: int = 0
    cap_seconds: Optional[float] = None
    false_alarm: bool = False
    result: ScenarioResult = _flatten(ScenarioResult)
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return self.result.outcome


@dataclass(frozen=True)
class PytestTwinsRecord(_Record):
    """`kind: "pytest-twins"`: one bug checked with pytest-run-parallel (seeded or clean build)."""

    KIND: ClassVar[Optional[str]] = "pytest-twins"
    interp: Interpreter = _flatten(Interpreter)
    label: Optional[str] = None
    tool: str = "pytest-run-parallel"
    build: str = "seeded"
    bug: str = ""
    twin: Optional[str] = None
    threads: int = 0
    iterations: int = 1
    detected: bool = False
    detector: Optional[str] = None
    seconds_to_detect: Optional[float] = None
    attempts: int = 0
    seconds: float = 0.0
    tests: Dict[str, str] = field(default_factory=dict)
    outcome: str = "pass"
    returncode: Optional[int] = None
    detail: str = ""
    gil_enabled: Optional[bool] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchRecord(_Record):
    """`kind: "bench"`: one benchmark case (at one thread count). Group-specific fields in `extra`."""

    KIND: ClassVar[Optional[str]] = "bench"
    label: str = ""
    interpreter: str = ""
    executable: str = ""
    version: str = ""
    free_threaded: bool = False
    gil_enabled: Optional[bool] = None
    cores: int = 0
    group: str = ""
    case: str = ""
    status: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OtherRecord(_Record):
    """A record of a kind this module does not type (the matrix's `run`, `config`, `step`, ...)."""

    kind: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> Dict[str, Any]:
        return {"kind": self.kind, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OtherRecord:  # type: ignore[override]
        data = dict(data)
        return cls(kind=str(data.pop("kind", "")), extra=data)


Record = Union[StressRunRecord, HuntRecord, HuntCleanRecord, PytestTwinsRecord, BenchRecord, OtherRecord]

KINDS: Dict[str, Type[_Json]] = {
    c.KIND: c for c in (StressRunRecord, HuntRecord, HuntCleanRecord, PytestTwinsRecord, BenchRecord)  # type: ignore[misc]
}


def parse_record(data: Mapping[str, Any]) -> Record:
    """The typed record for one decoded JSONL line (OtherRecord for kinds this module does not type)."""
    cls = KINDS.get(str(data.get("kind")))
    if cls is None:
        return OtherRecord.from_json(data)
    return cls.from_json(data)  # type: ignore[return-value]


def iter_jsonl(path: Union[str, os.PathLike]) -> Iterator[Tuple[int, Optional[Dict[str, Any]], str]]:
    """(line number, decoded object or None if the line is not JSON, raw line) per non-empty line."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                yield n, None, line
                continue
            yield n, obj if isinstance(obj, dict) else None, line


def read_jsonl(path: Union[str, os.PathLike]) -> List[Record]:
    """Every record of a JSONL file, typed. A line that is not a JSON object becomes
    `OtherRecord(kind="unparsed", extra={"line_number", "line"})`, never an exception."""
    out: List[Record] = []
    for n, obj, line in iter_jsonl(path):
        if obj is None:
            out.append(OtherRecord(kind="unparsed", extra={"line_number": n, "line": line[:200]}))
        else:
            out.append(parse_record(obj))
    return out


def read_jsonl_dicts(path: Union[str, os.PathLike]) -> List[Dict[str, Any]]:
    """`read_jsonl`, each record back as its flat dict (for readers that index by field name)."""
    return [r.to_json() for r in read_jsonl(path)]


class JsonlWriter:
    """Appends records to a JSONL file, one line each, fsynced as soon as it is written.

    Each line is one `write` on an O_APPEND descriptor (no Python buffer that could split it), so
    writers in several threads or processes sharing one file (the pytest plugin under
    pytest-run-parallel or pytest-xdist) never interleave their lines."""

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: Union[_Json, Mapping[str, Any]]) -> None:
        data = record.to_json() if isinstance(record, _Json) else dict(record)
        line = (json.dumps(data) + "\n").encode("utf-8")
        written = os.write(self._fd, line)
        while written < len(line):  # a short write (rare on a regular file): finish the line
            written += os.write(self._fd, line[written:])
        os.fsync(self._fd)

    def write_all(self, records: Iterable[Union[_Json, Mapping[str, Any]]]) -> None:
        for r in records:
            self.write(r)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

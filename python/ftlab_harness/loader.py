"""Finding scenarios: the built-in ones in `python/ftlab_harness/scenarios/`, or the user's `--scenarios FILE`.

A scenarios module declares its scenarios in one of three ways (first that applies wins):
  1. a module-level `SCENARIOS` list of `Scenario` instances (or subclasses, instantiated with
     no arguments);
  2. otherwise every module-level `Scenario` instance, in definition order;
  3. otherwise every `Scenario` subclass defined in that module that sets a `name`.

A scenarios file is imported with its own directory appended to `sys.path` (so it can import a
helper or target module beside it, while a file named like its target, `rpds.py`, does not shadow
the real `rpds`). It must not import its target at import time (see `ftlab_harness.api`). Both the
parent (to list and select) and the child (to run one) load the same way, so the same `source`
string identifies a scenarios module in both processes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib
import importlib.util
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ftlab_harness.api import Scenario

BUILTIN_DIR = Path(__file__).resolve().parent / "scenarios"

#: Serialises loading scenarios files: a module is in `sys.modules` before its code has run, so
#: without it a second thread (the pytest plugin under pytest-run-parallel) would take a
#: half-executed module and find no scenarios in it. Re-entrant: a scenarios file may load another.
_IMPORT_LOCK = threading.RLock()


class BadInput(Exception):
    """Bad command-line input: the CLI prints the message on one line and exits 2."""


class ScenarioNotFound(BadInput):
    """A scenarios file declares no scenarios, or not the one asked for (bad input at the command
    line; the pytest plugin, which names a Scenario class it was handed, tells it apart)."""


@dataclass(frozen=True)
class Source:
    """Where a scenarios module comes from: `kind` "module" (dotted name) or "file" (path)."""

    kind: str
    ref: str

    def describe(self) -> str:
        return self.ref if self.kind == "file" else f"{self.ref} (built-in)"


def builtin_sources() -> list[Source]:
    """The built-in scenario modules, one per ftlab pattern plus third-party examples."""
    return [
        Source("module", f"ftlab_harness.scenarios.{p.stem}")
        for p in sorted(BUILTIN_DIR.glob("*.py"))
        if not p.name.startswith("_")
    ]


def import_source(source: Source) -> ModuleType:
    """Imports a scenarios module. Raises BadInput with a one-line reason when it fails."""
    if source.kind == "module":
        try:
            return importlib.import_module(source.ref)
        except Exception as e:
            raise BadInput(f"scenarios module {source.ref} failed to import: {type(e).__name__}: {e}") from e
    path = Path(source.ref)
    if not path.is_file():
        raise BadInput(f"scenarios file {source.ref} does not exist")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    mod_name = f"_stress_user_{path.stem}_{digest}"
    with _IMPORT_LOCK:
        if mod_name in sys.modules:
            return sys.modules[mod_name]
        return _exec_file(source, path, mod_name)


def _exec_file(source: Source, path: Path, mod_name: str) -> ModuleType:
    """Executes a scenarios file as module `mod_name` (with `_IMPORT_LOCK` held)."""
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.append(folder)  # appended: a file named like its target (rpds.py) must not shadow it
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise BadInput(f"scenarios file {source.ref} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as e:
        del sys.modules[mod_name]
        where = ""
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        hint = ""
        if isinstance(e, ModuleNotFoundError) and e.name == "stress":
            hint = " (an older scenarios file: the API is `from ftlab_harness import Scenario, DONE` now)"
        raise BadInput(f"scenarios file {source.ref} failed to import{where}: {type(e).__name__}: {e}{hint}") from e
    return module


def scenarios_in(module: ModuleType) -> list[Scenario]:
    """The scenarios a module declares (see the module docstring for the three ways)."""
    declared = getattr(module, "SCENARIOS", None)
    if declared is not None:
        items = list(declared)
    else:
        items = [v for v in vars(module).values() if isinstance(v, Scenario)]
        if not items:
            items = [
                v
                for v in vars(module).values()
                if isinstance(v, type)
                and issubclass(v, Scenario)
                and v is not Scenario
                and v.__module__ == module.__name__
                and v.name
            ]
    out = []
    for item in items:
        if isinstance(item, type) and issubclass(item, Scenario):
            item = item()
        if not isinstance(item, Scenario):
            raise BadInput(f"{module.__name__}: SCENARIOS holds {item!r}, which is not a stress.Scenario")
        out.append(item)
    return out


def load(sources: list[Source]) -> list[tuple[Scenario, Source]]:
    """Loads every scenario from `sources`; duplicate names are bad input."""
    found: list[tuple[Scenario, Source]] = []
    seen: dict[str, Source] = {}
    for source in sources:
        module = import_source(source)
        scenarios = scenarios_in(module)
        if not scenarios and source.kind == "file":
            raise ScenarioNotFound(f"scenarios file {source.ref} declares no scenarios (see python/README.md)")
        for sc in scenarios:
            if sc.name in seen:
                raise BadInput(
                    f"scenario name {sc.name!r} is declared twice ({seen[sc.name].describe()} and {source.describe()})"
                )
            seen[sc.name] = source
            found.append((sc, source))
    return found


def select(found: list[tuple[Scenario, Source]], patterns: list[str]) -> list[tuple[Scenario, Source]]:
    """Scenarios matching any pattern: exact name, `pattern` = every `pattern.*`, or a glob."""
    if not patterns:
        return list(found)
    chosen = []
    for pattern in patterns:
        hits = [
            (sc, src)
            for sc, src in found
            if sc.name == pattern or sc.name.startswith(pattern + ".") or fnmatch.fnmatchcase(sc.name, pattern)
        ]
        if not hits:
            known = ", ".join(sorted(sc.name for sc, _ in found)) or "none"
            raise ScenarioNotFound(f"unknown scenario {pattern!r} (known: {known})")
        for hit in hits:
            if hit not in chosen:
                chosen.append(hit)
    return chosen


def find(source: Source, name: str) -> Scenario:
    """The scenario called `name` in `source` (used by the child process)."""
    for sc in scenarios_in(import_source(source)):
        if sc.name == name:
            return sc
    raise BadInput(f"scenario {name!r} not found in {source.describe()}")


def file_folders(sources: list[Source]) -> list[str]:
    """The folders of the scenarios files among `sources` (appended to the children's path)."""
    return [str(Path(s.ref).resolve().parent) for s in sources if s.kind == "file"]


def split_target(spec: str) -> tuple[str, list[str]]:
    """`"pkg.mod:Attr.sub"` -> (`"pkg.mod"`, `["Attr", "sub"]`); `"pkg.mod"` -> (`"pkg.mod"`, [])."""
    module, _, attrs = spec.partition(":")
    return module, [a for a in attrs.split(".") if a] if attrs else []


def sources_from(files: list[str]) -> list[Source]:
    """`--scenarios FILE...` as sources (resolved paths), or the built-in modules when none is given."""
    if files:
        return [Source("file", str(Path(f).resolve())) for f in files]
    return builtin_sources()

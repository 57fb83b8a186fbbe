"""Interpreter and configuration labels, defined once for every `ci/` entry point.

An *interpreter label* names one CPython build: `3.9` … `3.13` (GIL builds) and `3.13t`
(free-threaded). `3.14` and `3.14t` are accepted only with an explicit path (what
actions/setup-python installed in CI): never searched for, never built.

A *configuration* is an interpreter plus how it runs: a GIL build has one (`3.13`); a
free-threaded build has two, `3.13t` (GIL off: `PYTHON_GIL` unset, so a module that re-enables
the GIL is seen, not hidden as `PYTHON_GIL=0` would) and `3.13t+gil` (`PYTHON_GIL=1`).

Parsing never guesses: an unknown label is a `BadLabel` whose message lists the known ones
(the entry points print it in one line and exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

#: GIL builds searched for on PATH, under pyenv and in ftlab's cache.
GIL_LABELS = ("3.9", "3.10", "3.11", "3.12", "3.13")
#: Free-threaded builds searched for.
FT_LABELS = ("3.13t",)
#: Every label that is searched for, in matrix order.
SEARCHED = GIL_LABELS + FT_LABELS
#: Used only from an explicit path (`--python LABEL=PATH` or `FTLAB_PYTHON_<LABEL>`).
EXPLICIT_ONLY = ("3.14", "3.14t")
#: Every label any entry point accepts.
KNOWN = SEARCHED + EXPLICIT_ONLY
#: Missing one of these is a failure; the others are used when found.
REQUIRED = ("3.13", "3.13t")
#: Built from Debian's python3.13 source package when not found.
BUILDABLE = ("3.13", "3.13t")
#: The interpreters of `ci/stress-matrix --quick`.
QUICK = ("3.13", "3.13t")
#: Suffix of the free-threaded configuration that runs with `PYTHON_GIL=1`.
GIL_SUFFIX = "+gil"


class BadLabel(ValueError):
    """An interpreter or configuration label that is not known (a one-line message)."""


@dataclass(frozen=True)
class Interpreter:
    """One interpreter label: `3.13` is minor `3.13`, GIL build; `3.13t` is free-threaded."""

    label: str

    @property
    def minor(self) -> str:
        return self.label.rstrip("t")

    @property
    def free_threaded(self) -> bool:
        return self.label.endswith("t")

    @property
    def env_var(self) -> str:
        """The environment variable that gives this label an explicit path."""
        return env_var(self.label)

    @property
    def searched(self) -> bool:
        return self.label in SEARCHED

    @property
    def required(self) -> bool:
        return self.label in REQUIRED

    @property
    def buildable(self) -> bool:
        return self.label in BUILDABLE

    def configurations(self) -> list[Configuration]:
        """The configurations this interpreter runs as (two for a free-threaded build)."""
        if self.free_threaded:
            return [Configuration(self.label, None), Configuration(self.label, "1")]
        return [Configuration(self.label, None)]


@dataclass(frozen=True)
class Configuration:
    """An interpreter and the `PYTHON_GIL` it runs with (None: unset)."""

    label: str
    python_gil: Optional[str]

    @property
    def name(self) -> str:
        return self.label + (GIL_SUFFIX if self.python_gil == "1" else "")

    @property
    def interpreter(self) -> Interpreter:
        return Interpreter(self.label)

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """`base` with PYTHON_GIL set as this configuration wants (removed when None)."""
        env = {k: v for k, v in base.items() if k != "PYTHON_GIL"}
        if self.python_gil is not None:
            env["PYTHON_GIL"] = self.python_gil
        return env


def env_var(label: str) -> str:
    """`3.13t` -> `FTLAB_PYTHON_3_13T` (dots become `_`)."""
    return "FTLAB_PYTHON_" + label.replace(".", "_").upper()


def label_for(minor: str, free_threaded: bool) -> str:
    """The label of an interpreter that reports version `minor` (e.g. `3.13`) and its GIL build."""
    return minor + ("t" if free_threaded else "")


def interpreter(text: str, known: Iterable[str] = KNOWN) -> Interpreter:
    """Parses an interpreter label; BadLabel if it is not one of `known`."""
    known = tuple(known)
    label = text.strip()
    if label not in known:
        raise BadLabel(f"unknown interpreter label {text!r} (known: {' '.join(known)})")
    return Interpreter(label)


def all_configurations(labels: Iterable[str] = KNOWN) -> list[Configuration]:
    """Every configuration of `labels`, in matrix order."""
    return [c for label in labels for c in Interpreter(label).configurations()]


def configuration(text: str) -> Configuration:
    """Parses a configuration label (`3.13`, `3.13t`, `3.13t+gil`); BadLabel if unknown."""
    name = text.strip()
    for c in all_configurations():
        if c.name == name:
            return c
    known = " ".join(c.name for c in all_configurations())
    raise BadLabel(f"unknown configuration label {text!r} (known: {known})")


def split_list(text: str) -> list[str]:
    """`"3.13, 3.13t,"` -> `["3.13", "3.13t"]` (the comma lists of --only and --skip)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def explicit_path(item: str) -> tuple[str, str]:
    """Parses `LABEL=PATH` (the `--python` option); BadLabel on a missing `=` or unknown label."""
    label, sep, path = item.partition("=")
    if not sep or not path:
        raise BadLabel(f"--python expects LABEL=PATH, got {item!r}")
    if label not in KNOWN:
        raise BadLabel(f"unknown label {label!r} in --python (known: {' '.join(KNOWN)})")
    return label, path


def explicit_paths(cli: Iterable[str], environ: dict[str, str]) -> dict[str, str]:
    """Label -> path from `FTLAB_PYTHON_<LABEL>` in `environ`, overridden by `--python` items."""
    found = {label: environ[env_var(label)] for label in KNOWN if environ.get(env_var(label))}
    for item in cli:
        label, path = explicit_path(item)
        found[label] = path
    return found

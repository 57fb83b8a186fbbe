"""Suppressions for TSan false positives, applied by the harness (never by the TSan runtime).

The file uses TSan's own syntax (`race:<pattern>`, `*` wildcards, `^`/`$` anchors, `#` comments),
and every entry must be preceded by a comment line giving its reason:

    # CPython's biased-refcount merge frees a chunk another thread malloc'ed; the hand-off goes
    # through the uninstrumented interpreter's own locks, which TSan cannot see.
    race:_Py_brc_merge_refcounts

Why the harness applies them and not `TSAN_OPTIONS=suppressions=...`: TSan suppresses a report if
the pattern matches ANY frame of ANY of its stacks (accesses, allocation, thread creation). A
pattern written for an interpreter-internal false positive (`_PyEval_EvalFrameDefault`,
`PyObject_Vectorcall`) also matches every race the target's code makes when called from Python,
and such a race would vanish without a trace. Here a report that has a frame of the target's
own code as its racing access (`Report.in_target`) is NEVER suppressed, whatever the file says;
every other report that matches an entry is kept in the records, marked `suppressed_by`. And a
`race:` entry is matched against the access stacks only (TSan also looks at thread-creation and
allocation stacks, which every report made in a Python thread shares). `race_top:` (as in TSan)
matches only the top frame of an access stack.

Stdlib only.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable

from .parse import Report

__all__ = ["Suppression", "SuppressionError", "load", "default_path", "apply", "KIND_TYPES"]

#: TSan report kind (prefix) -> the suppression type that applies to it (TSan's own mapping).
KIND_TYPES = (
    ("data race", "race"),
    ("heap-use-after-free", "race"),
    ("lock-order-inversion", "deadlock"),
    ("thread leak", "thread"),
    ("signal", "signal"),
    ("destroy of a locked mutex", "mutex"),
    ("unlock of an unlocked mutex", "mutex"),
    ("double lock of a mutex", "mutex"),
    ("read lock of a write locked mutex", "mutex"),
    ("read unlock of a write locked mutex", "mutex"),
)
TYPES = {"race", "race_top", "deadlock", "thread", "signal", "mutex"}


class SuppressionError(ValueError):
    """A malformed suppressions file (unknown type, or an entry without a reason)."""


@dataclass(frozen=True)
class Suppression:
    """One entry: `type:pattern`, its reason, and where it was read from."""

    type: str
    pattern: str
    reason: str
    source: str

    @property
    def name(self) -> str:
        return f"{self.type}:{self.pattern}"

    def _regex(self) -> re.Pattern[str]:
        p = self.pattern
        head = "^" if p.startswith("^") else ""
        tail = "$" if p.endswith("$") else ""
        core = p[len(head):len(p) - len(tail)]
        return re.compile(head + ".*".join(re.escape(part) for part in core.split("*")) + tail)

    def matches(self, report: Report) -> bool:
        if self.type != type_of(report.kind) and not (self.type == "race_top" and type_of(report.kind) == "race"):
            return False
        rx = self._regex()
        # Unlike the runtime, a race entry looks at the access stacks only: every report's thread-
        # creation stacks run through the interpreter's thread start, so matching those would let
        # one entry silence every report made in a Python thread.
        stacks = report.access_stacks if self.type in ("race", "race_top") else report.stacks
        for stack in stacks:
            frames = stack.top(1) if self.type == "race_top" else stack.frames
            for f in frames:
                if rx.search(f.function) or (f.file and rx.search(f.file)) or rx.search(f.module):
                    return True
        return False


def type_of(kind: str) -> str:
    for prefix, t in KIND_TYPES:
        if kind.startswith(prefix):
            return t
    return "race"


def default_path() -> Path:
    """The suppressions shipped with the harness (false positives of stock 3.13t + Rust std)."""
    return Path(str(resources.files(__package__).joinpath("suppressions.txt")))


def load(path: str | Path) -> list[Suppression]:
    """Reads a suppressions file; raises SuppressionError for an entry with no reason comment above it."""
    entries: list[Suppression] = []
    reason: list[str] = []
    for n, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            reason = []
            continue
        if line.startswith("#"):
            reason.append(line.lstrip("#").strip())
            continue
        kind, sep, pattern = line.partition(":")
        if not sep or kind not in TYPES or not pattern:
            raise SuppressionError(f"{path}:{n}: expected `<type>:<pattern>` with type one of {sorted(TYPES)}: {line!r}")
        if not " ".join(reason).strip():
            raise SuppressionError(f"{path}:{n}: {line!r} has no reason: put a `# why` comment line above it")
        entries.append(Suppression(kind, pattern, " ".join(reason), f"{path}:{n}"))
    return entries


def apply(reports: Iterable[Report], suppressions: list[Suppression]) -> list[Report]:
    """Marks `suppressed_by` on each report an entry matches, except reports in the target's code."""
    out = []
    for r in reports:
        hit = None if r.in_target else next((s for s in suppressions if s.matches(r)), None)
        out.append(dataclasses.replace(r, suppressed_by=hit.name if hit else None))
    return out

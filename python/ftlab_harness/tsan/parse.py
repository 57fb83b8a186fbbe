"""ThreadSanitizer report text -> typed records: kind, the access stacks, target frames, signature.

TSan (gcc 12's `libtsan.so.2`, preloaded into a stock interpreter) writes one block per report:

    ==================
    WARNING: ThreadSanitizer: data race (pid=21359)
      Read of size 8 at 0x7f96ba136e30 by thread T2:
        #0 {closure#0} src/core/counter/broken.rs:77 (ftlab.cpython-313t-x86_64-linux-gnu.so+0x9fd22)
        ...
      Previous write of size 8 at 0x7f96ba136e30 by thread T1:
        ...
      Thread T2 (tid=21364, running) created by main thread at:
        ...
    SUMMARY: ThreadSanitizer: data race src/core/counter/broken.rs:77 in {closure#0}
    ==================

Each frame line is `#N <function> <file[:line[:col]] | <null>> (<module>+0x<offset>)`; function names
are short (libbacktrace drops the crate path) and may contain spaces (`catch_unwind<Result<*mut
PyObject, PyErr>, ...>`), so a frame is parsed from the right.

Which code is "the target's own" is decided per frame by `Target`: the frame's module is the
target's library (a module name such as `ftlab`, or a path) AND its source file is the target's
own source, not a dependency compiled into the same library (cargo registry and git checkouts,
the Rust standard library under `/rustc/`) and not unknown (`<null>`: no line info). So for a
PyO3 extension, frames of PyO3's trampolines and of `alloc::vec` are in `ftlab.so` but are not
ftlab's code; `src/core/counter/broken.rs:77` is.

Invariants:
* Only *access* stacks (the racing accesses: "Read/Write/Atomic ... by", "Previous ...", and the
  stacks of mutex and use-after-free reports) decide `in_target`; thread-creation and allocation
  stacks are kept for the reader but never make a report the target's.
* `signature` is stable across runs of one build (no addresses, pids, thread ids): the kind plus
  the top frames (function, file:line) of each access stack after the runtime's own frames
  (interceptors in libtsan, the `__tsan_mem*` shim), the stacks sorted. It is what dedup keys on.

Stdlib only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["Frame", "Stack", "Report", "Target", "parse_text", "parse_file", "dedup", "runtime_errors",
           "SIGNATURE_FRAMES", "DEPENDENCY_MARKERS", "is_library_frame"]

#: Frames per access stack that make up a report's signature.
SIGNATURE_FRAMES = 4

_BANNER = "=" * 18
_HEADER = re.compile(r"^WARNING: ThreadSanitizer: (?P<kind>.+?)(?: \(pid=(?P<pid>\d+)\))?\s*$")
_FRAME = re.compile(r"^\s*#(?P<n>\d+) (?P<func>.*) (?P<loc>\S+) \((?P<module>[^()]*)\)\s*$")
_FRAME_NO_LOC = re.compile(r"^\s*#(?P<n>\d+) (?P<func>\S+) \((?P<module>[^()]*)\)\s*$")
_ACCESS = re.compile(
    r"^\s*(?P<previous>Previous )?(?P<atomic>[Aa]tomic )?(?P<op>[Rr]ead|[Ww]rite) of size (?P<size>\d+) "
    r"at (?P<addr>0x[0-9a-f]+) by (?P<thread>main thread|thread T\d+)(?P<rest>.*?):?\s*$"
)
_OTHER_ACCESS = re.compile(r"^\s*(?:Mutex M\d+ acquired|Mutex M\d+ previously acquired|Cycle in lock order graph"
                           r"|Stack of|Call to|Thread T\d+ .*finished|Previous atomic|Previous read|Previous write"
                           r"|Free of|Use of|Mutex M\d+ .*(?:locked|created)|Heap block .*)")
_SUMMARY = re.compile(r"^SUMMARY: ThreadSanitizer: (?P<text>.*)$")

#: Source locations of code that is compiled into the target's library but is not its own.
DEPENDENCY_MARKERS = ("/.cargo/registry/", "/.cargo/git/", "/rustc/", "/library/std/", "/library/core/",
                      "/library/alloc/", "/usr/include/", "/usr/lib/gcc/")

#: Frames of the sanitizer runtime itself and of the shim, skipped when naming a report's top frame.
RUNTIME_MODULES = ("libtsan.so", "libftlab_tsan_shim.so")


@dataclass(frozen=True)
class Frame:
    """One symbolised frame: `function` (short name), `file` and `line` (None if unknown), `module`."""

    index: int
    function: str
    file: str | None
    line: int | None
    module: str
    offset: str | None = None

    @property
    def module_name(self) -> str:
        return os.path.basename(self.module)

    @property
    def is_runtime(self) -> bool:
        name = self.module_name
        return any(name.startswith(m) for m in RUNTIME_MODULES) or self.function.startswith("__tsan_")

    def where(self) -> str:
        if self.file is None:
            return f"{self.function} ({self.module_name})"
        return f"{self.function} {self.file}:{self.line}" if self.line is not None else f"{self.function} {self.file}"

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Stack:
    """A titled stack of a report: `role` is "access" (a racing access / the reported operation) or "context"."""

    title: str
    role: str
    frames: tuple[Frame, ...]

    def top(self, n: int = SIGNATURE_FRAMES) -> tuple[Frame, ...]:
        """The first `n` frames that are not the sanitizer runtime's or the shim's."""
        return tuple(f for f in self.frames if not f.is_runtime)[:n]

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "role": self.role, "frames": [f.as_json() for f in self.frames]}


@dataclass(frozen=True)
class Target:
    """Whose code a report is about.

    `names`: library names (`ftlab` matches `ftlab.cpython-313t-….so`, `libftlab.so`); `paths`: library
    paths; `sources`: the target's source roots. With `sources`, a frame's file must lie under a root
    (an absolute path) or exist under one (a relative path: rustc records `src/…` relative to each
    crate's own directory, so PyO3's `src/internal/state.rs` looks just like ftlab's `src/py/….rs`).
    Without `sources` every file in the target's library that is not a known dependency location
    counts as the target's: more reports are the target's, so fewer can be suppressed (the safe side).
    """

    names: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: Iterable[str], sources: Iterable[str] = ()) -> Target:
        """From user strings: a path-like entry (has a `/` or ends in `.so`) is a library path, else a name."""
        names: list[str] = []
        paths: list[str] = []
        for s in spec:
            (paths if ("/" in s or s.endswith(".so")) else names).append(s)
        return cls(tuple(names), tuple(paths), tuple(os.path.abspath(s) for s in sources))

    def module_matches(self, module: str) -> bool:
        base = os.path.basename(module)
        for name in self.names:
            # `pkg._native` lives in `_native.cpython-….so`; `ftlab._seeded` is a submodule that
            # ftlab.so registers itself: either end of a dotted name can be the file's stem.
            for stem in {name.split(".")[0], name.rsplit(".", 1)[-1]}:
                if base == stem or base.startswith(stem + ".") or base.startswith(f"lib{stem}."):
                    return True
        for path in self.paths:
            if module == path or base == os.path.basename(path):
                return True
        return False

    def is_own(self, frame: Frame) -> bool:
        """Whether `frame` is the target's own code (see the class docstring)."""
        if not self.module_matches(frame.module) or frame.file is None:
            return False
        if frame.function.startswith("__rust_") or any(m in frame.file for m in DEPENDENCY_MARKERS):
            return False
        if not self.sources:
            return True
        if os.path.isabs(frame.file):
            return any(frame.file.startswith(root.rstrip("/") + "/") for root in self.sources)
        return any(os.path.exists(os.path.join(root, frame.file)) for root in self.sources)


def is_library_frame(frame: Frame) -> bool:
    """The Rust standard library (inlined generics included), libc and the dynamic loader: code that is
    nobody's target, skipped when deciding whose access a stack is."""
    f = frame.file or ""
    if frame.is_runtime or "/rustc/" in f or re.search(r"(^|/)library/(std|core|alloc)/", f):
        return True
    if re.match(r"_R\w*(3std|4core|5alloc)", frame.function):
        return True
    base = frame.module_name
    return base.startswith(("libc.so", "ld-linux", "libpthread.so", "libm.so", "libstdc++.so", "libgcc_s.so"))


@dataclass(frozen=True)
class Report:
    """One TSan report, parsed. `in_target` and `target_frames` are filled by `Report.classify`."""

    kind: str
    pid: int | None
    summary: str
    stacks: tuple[Stack, ...]
    text: str
    in_target: bool = False
    target_frames: tuple[str, ...] = ()
    log: str | None = None
    suppressed_by: str | None = None

    @property
    def access_stacks(self) -> tuple[Stack, ...]:
        return tuple(s for s in self.stacks if s.role == "access")

    @property
    def signature(self) -> str:
        tops = sorted(
            "|".join(f"{f.function}@{f.file}:{f.line}" if f.file else f"{f.function}@{f.module_name}" for f in s.top())
            for s in self.access_stacks
        )
        return hashlib.sha256("\n".join([self.kind, *tops]).encode()).hexdigest()[:16]

    @property
    def headline(self) -> str:
        """`kind: top frame of each access stack`, one line for tables."""
        tops = [s.top(1)[0].where() for s in self.access_stacks if s.top(1)]
        return f"{self.kind}: " + " vs ".join(tops) if tops else self.summary

    def classify(self, target: Target) -> Report:
        """`in_target`: on some access stack, the innermost frame outside the Rust standard library,
        libc and the sanitizer runtime is the target's own code (the racing access is the target's,
        possibly through an inlined std generic such as `Vec::clone`). `target_frames`: every own
        frame on the access stacks, for the reader."""
        own = [f.where() for s in self.access_stacks for f in s.frames if target.is_own(f)]
        decisive = [next((f for f in s.frames if not is_library_frame(f)), None) for s in self.access_stacks]
        in_target = any(f is not None and target.is_own(f) for f in decisive)
        return dataclasses.replace(self, in_target=in_target, target_frames=tuple(dict.fromkeys(own)))

    def as_record(self) -> dict[str, Any]:
        """The JSONL form (kind "tsan" is added by the writer of the record, not here)."""
        return {
            "tsan_kind": self.kind,
            "signature": self.signature,
            "headline": self.headline,
            "summary": self.summary,
            "in_target": self.in_target,
            "target_frames": list(self.target_frames),
            "suppressed_by": self.suppressed_by,
            "pid": self.pid,
            "log": self.log,
            "stacks": [s.as_json() for s in self.stacks],
        }


def _frame(line: str) -> Frame | None:
    m = _FRAME.match(line)
    if m:
        loc = m.group("loc")
        file: str | None
        lineno: int | None = None
        if loc == "<null>":
            file = None
        else:
            parts = loc.split(":")
            nums: list[int] = []
            while len(parts) > 1 and parts[-1].isdigit():
                nums.insert(0, int(parts.pop()))
            file = ":".join(parts)
            lineno = nums[0] if nums else None
        func = m.group("func")
    else:
        m = _FRAME_NO_LOC.match(line)
        if not m:
            return None
        file, lineno, func = None, None, m.group("func")
    module, _, offset = m.group("module").rpartition("+")
    if not module:
        module, offset = m.group("module"), ""
    return Frame(int(m.group("n")), func, file, lineno, module, offset or None)


def _role(title: str) -> str:
    if _ACCESS.match(title) or _OTHER_ACCESS.match(title):
        return "access"
    return "context"


def _parse_block(lines: list[str]) -> Report | None:
    head = _HEADER.match(lines[0]) if lines else None
    if not head:
        return None
    stacks: list[Stack] = []
    title: str | None = None
    frames: list[Frame] = []
    summary = ""

    def close() -> None:
        if title is not None:
            stacks.append(Stack(title, _role(title), tuple(frames)))

    for line in lines[1:]:
        s = _SUMMARY.match(line)
        if s:
            summary = s.group("text")
            continue
        f = _frame(line) if line.lstrip().startswith("#") else None
        if f is not None:
            if title is None:  # frames with no title (TSan prints the report's own stack first sometimes)
                title = "stack"
            frames.append(f)
            continue
        if not line.strip():
            continue
        close()
        title, frames = line.strip().rstrip(":"), []
    close()
    kind = head.group("kind")
    # "data race" reports whose first stack is untitled still have access stacks; a report whose
    # stacks are all context (rare kinds) treats its first stack as the reported operation.
    if stacks and not any(s.role == "access" for s in stacks):
        stacks[0] = dataclasses.replace(stacks[0], role="access")
    pid = int(head.group("pid")) if head.group("pid") else None
    return Report(kind=kind, pid=pid, summary=summary, stacks=tuple(stacks), text="\n".join(lines))


def parse_text(text: str, target: Target | None = None, log: str | None = None) -> list[Report]:
    """Every complete report in `text` (a block still being written at the end is left out)."""
    reports: list[Report] = []
    block: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("WARNING: ThreadSanitizer:"):
            block = [line]
        elif block is not None:
            if line.strip() == _BANNER:
                report = _parse_block(block)
                if report is not None:
                    reports.append(report)
                block = None
            else:
                block.append(line)
    out = []
    for r in reports:
        r = dataclasses.replace(r, log=log)
        out.append(r.classify(target) if target is not None else r)
    return out


def parse_file(path: str, target: Target | None = None) -> list[Report]:
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse_text(f.read(), target, log=path)


def runtime_errors(text: str) -> list[str]:
    """Lines where the runtime itself failed (`FATAL: ThreadSanitizer: ...`, `ThreadSanitizer: CHECK failed`)."""
    return [line.strip() for line in text.splitlines()
            if "FATAL: ThreadSanitizer" in line or "ThreadSanitizer: CHECK failed" in line
            or "ThreadSanitizer: unexpected memory mapping" in line]


def dedup(reports: Iterable[Report]) -> list[tuple[Report, int]]:
    """One (first report, count) per signature, in first-seen order."""
    seen: dict[str, list[Any]] = {}
    for r in reports:
        if r.signature in seen:
            seen[r.signature][1] += 1
        else:
            seen[r.signature] = [r, 1]
    return [(r, n) for r, n in seen.values()]


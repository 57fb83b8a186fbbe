"""Typed records of the zero-code checks: operations, recorded calls, histories and findings.

An `Op` is one operation on the object under test (a method call, a property read, a protocol
such as `len` or `next`, with its arguments). A `Call` is one execution of an `Op` by one thread:
its invocation and response times (`time.perf_counter_ns`), and its outcome reduced to a
comparable `token` by `normalise` *inside* the call's interval (a returned live view read later
would see later states). A `History` is the calls of one round. A `Finding` is what the parent
reports: crash, hang, unexpected exception, non-linearizable history, or bad input.

Invariants: tokens are built only from str/int/float/bytes/bool/None/tuples/frozensets, so they
compare with `==`, hash, and survive JSON (`as_json`/`from_json` keep ops and tokens readable:
a token is stored as its `repr`, which is all a report needs). Stdlib only, Python 3.9+.
"""

# The code under test may raise anything, and a harness that dies with it reports nothing:
# blind excepts here are deliberate.
# ruff: noqa: BLE001, S110

from __future__ import annotations

import collections.abc as _abc
import dataclasses
import math
import pickle
import re
from dataclasses import dataclass, field
from typing import Any, Callable

SCHEMA_VERSION = 1

# Memory addresses and object ids in reprs differ between the concurrent run and its replay.
ADDRESS = re.compile(r"0x[0-9a-fA-F]+|(?<=id=')\d+(?=')|(?<![\w.])\d{9,}(?![\w.])")

Token = Any  # a nested tuple of str/int/float/bytes/bool/None/frozenset (see `normalise`)


@dataclass(frozen=True)
class Op:
    """One operation: `kind` says how `name` is applied (see `ops.apply`), with `args`/`kwargs`."""

    name: str
    kind: str = "method"  # method | property | setprop | delattr | protocol | call
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    blocking: bool = False  # a waiting call: its real timeout in the run, 0 when replayed (ops.make_apply)

    def label(self) -> str:
        """`name(args)` as a reader would write it (arguments shortened)."""
        if self.kind == "property":
            return f".{self.name}"
        if self.kind == "setprop":
            return f".{self.name} = {_short(self.args[0])}"
        if self.kind == "delattr":
            return f"del .{self.name}"
        parts = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs]
        return f"{self.name}({', '.join(parts)})"


@dataclass
class Call:
    """One execution of `op` by thread `thread`: times in ns, outcome as a token."""

    thread: int
    index: int  # position in that thread's script
    op: Op
    invoke_ns: int
    response_ns: int
    ok: bool  # returned normally (token = normalised result) or raised (token = ("raise", type))
    token: Token
    exc_message: str = ""  # raised calls: str(exception), for reports only

    @property
    def exc_type(self) -> str | None:
        return self.token[1] if not self.ok else None

    def describe(self) -> str:
        outcome = f"-> {_short(self.token, 240)}" if self.ok else f"raised {self.token[1]}: {_elide(self.exc_message, 240)}"
        return f"t{self.thread} {self.op.label()} {outcome}"


@dataclass
class History:
    """The calls of one round (all threads), with what replays its scenario."""

    calls: list[Call]
    seed: int
    round: int

    def describe(self, t0: int | None = None) -> str:
        """One line per call, by invocation time, with times in µs from the first invocation."""
        if not self.calls:
            return "(empty)"
        base = t0 if t0 is not None else min(c.invoke_ns for c in self.calls)
        rows = sorted(self.calls, key=lambda c: c.invoke_ns)
        return "\n".join(
            f"  [{(c.invoke_ns - base) / 1000:9.1f} .. {(c.response_ns - base) / 1000:9.1f} µs] {c.describe()}" for c in rows
        )


@dataclass
class Finding:
    """Something the zero-code check found: the parent turns it into a record / exit status."""

    kind: str  # crash | hang | unexpected_exception | not_linearizable | bad_input | error
    detail: str
    seconds_to_detect: float = 0.0
    seed: int | None = None
    round: int | None = None
    history: str = ""  # minimised history, human-readable
    op: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return dict(dataclasses.asdict(self), schema_version=SCHEMA_VERSION)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _elide(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = (limit - 5) * 2 // 3
    return text[:head] + " ... " + text[len(text) - (limit - 5 - head):]


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except BaseException as e:  # a repr that raises must not break the report
        text = f"<repr raised {type(e).__name__}>"
    return _elide(text, limit)  # in the middle: the end of a value is often the part that differs


_SCALARS = (str, bytes, bool, int, type(None))
_FAST = frozenset(_SCALARS)


def normalise(value: Any, target: Any = None, depth: int = 0) -> Token:
    """Reduces a result to a hashable token that compares equal across runs and processes.

    Scalars stay themselves (floats by `repr`, so NaN equals NaN); containers recurse (dicts keep
    their order, sets and other hash maps/sets become frozensets); the object under test becomes `("self",)`; any other
    object becomes (type name, its repr with addresses and ids removed) — and if that repr is the
    default `<... object at 0x..>`, its pickle, which captures its state. An exception from `repr`
    propagates: reading a returned live view (`od.keys()`) can fail, and that is the call's outcome.
    """
    if value is target and target is not None:
        return ("self",)
    if isinstance(value, _SCALARS) and type(value) in _SCALARS:
        return value
    if type(value) is float:
        return ("float", repr(value)) if math.isnan(value) else value
    if depth > 6:
        return ("deep", type(value).__name__)
    t = type(value)
    if t in (list, tuple) or (isinstance(value, (list, tuple)) and t.__repr__ in (list.__repr__, tuple.__repr__)):
        items = tuple(value)
        if all(type(x) in _FAST for x in items):  # the common case, 20x faster than recursing
            return (t.__name__, items)
        return (t.__name__, tuple(normalise(v, target, depth + 1) for v in value))
    if isinstance(value, dict) and t.__repr__ is dict.__repr__:
        return (t.__name__, tuple((normalise(k, target, depth + 1), normalise(v, target, depth + 1)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return (t.__name__, frozenset(normalise(v, target, depth + 1) for v in value))
    if isinstance(value, _abc.ValuesView):  # dict.values(): the values in order (read by iterating)
        return (t.__name__, tuple(normalise(v, target, depth + 1) for v in value))
    if isinstance(value, (_abc.Mapping, _abc.Set)) and not isinstance(value, dict):
        # a hash map's iteration order is unspecified (rpds.HashTrieMap): compare contents, as == does
        try:
            pairs: Any = value.items() if isinstance(value, _abc.Mapping) else ((v, None) for v in value)
            return (t.__name__, "unordered", frozenset((normalise(k, target, depth + 1), normalise(v, target, depth + 1))
                                                       for k, v in pairs))
        except TypeError:  # unhashable contents: fall back to the repr
            pass
    text = repr(value)  # may raise: a live view read while it changes is the call's outcome
    if " object at 0x" in text or text.startswith("<"):
        try:
            return (t.__name__, "pickle", pickle.dumps(value, protocol=4))
        except BaseException:
            pass
    return (t.__name__, ADDRESS.sub("#", text))


def exception_token(exc: BaseException) -> Token:
    """The token of a raised call: its type only (messages may carry addresses or timings)."""
    return ("raise", type(exc).__name__)


Normaliser = Callable[[Any], Any]

"""Operations on an object under test: discovery, argument generation, and applying one.

`discover(obj)` lists what can be done to an object with no code from its author: its public
methods and properties (type-level descriptors, and data attributes of its `__dict__`, read
only), property setters, and its protocols — `iter` (first `ITER_CAP` items), `next`, `len`,
`getitem`/`setitem`/`delitem` (with slices for sequences), `contains`, `repr`, `pickle`, `call`.
Each `Template` carries candidate argument generators built from, in order: an explicit op
(`name(literal args)`), the `.pyi` stub of the object's class (found next to its module, or the
stub class of its top-level package with the same public members, e.g. a seeded twin), type hints,
`inspect.signature` names and defaults, and for C callables without a signature, arities 0–2.
Learning (`hammer.learn`) keeps the generators that are accepted sequentially.

`apply(obj, op)` performs one operation and returns `(ok, token)`, the outcome normalised at
once (see `history.normalise`). It is used both by the concurrent threads and by the replays of
the checker, so the two can never disagree on what an operation means.
"""

# The code under test may raise anything, and a harness that dies with it reports nothing:
# blind excepts here are deliberate.
# ruff: noqa: BLE001, S110, S112

from __future__ import annotations

import ast
import collections.abc as _abc
import dataclasses
import inspect
import itertools
import os
import pickle
import random
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable

from ftlab_harness.zerocode.history import ADDRESS, Op, Token, exception_token, normalise

ITER_CAP = 256
PROTOCOLS = ("iter", "next", "len", "getitem", "setitem", "delitem", "contains", "repr", "pickle", "call")
DUNDER = {"__iter__": "iter", "__next__": "next", "__len__": "len", "__getitem__": "getitem", "__setitem__": "setitem",
          "__delitem__": "delitem", "__contains__": "contains", "__repr__": "repr", "__reduce__": "pickle", "__call__": "call"}
DATA_TYPES = (int, float, str, bytes, bool, type(None), list, tuple, dict, set, frozenset)

#: The atomicity model (docs/zerocode.md, "What is atomic"). CPython's free-threaded build makes
#: single operations on builtin containers atomic (a per-object critical section) but not
#: iteration, and nothing that iterates: views, pickling, copies, container reprs. Their results
#: are not checked for linearizability, only for values that no state ever held (and for crashes,
#: hangs and exceptions never raised alone).
COMPOSITE_PROTOCOLS = {"iter": "iteration (one `next` at a time)", "pickle": "pickling iterates the contents"}
COMPOSITE_METHODS = {"copy": "a copy iterates the contents", "__copy__": "a copy iterates the contents",
                     "tolist": "a conversion iterates the contents", "to_list": "a conversion iterates the contents"}


def is_lazy_result(value: Any) -> bool:
    """An iterator, generator or view: reading it (which `normalise` does) iterates the object."""
    if isinstance(value, (str, bytes, bytearray, list, tuple, dict, set, frozenset)):
        return False
    return isinstance(value, (_abc.Iterator, _abc.MappingView)) or type(value).__name__.endswith(("iterator", "_keys", "_values", "_items"))


Gen = Callable[[random.Random, "Values"], "tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]"]


class Values:
    """The value pool argument generators draw from: small defaults plus harvested values
    (literals of the factory expression, scalars seen in results while learning)."""

    def __init__(self) -> None:
        self.ints: list[int] = [0, 1, 2, 3, -1]
        self.default_strs: list[str] = ["a", "b", "k"]
        self.strs: list[str] = []  # harvested

    def pick_str(self, rng: random.Random) -> str:
        """A harvested string most of the time (the keys the object knows), else a default."""
        if self.strs and rng.random() < 0.9:
            return rng.choice(self.strs)
        return rng.choice(self.default_strs)

    def strs_or_defaults(self) -> list[str]:
        return self.strs or self.default_strs

    def harvest(self, value: Any, limit: int = 64) -> None:
        """Adds scalars found in `value` (nested containers searched a little)."""
        stack = [(value, 0)]
        while stack:
            v, depth = stack.pop()
            if isinstance(v, bool) or v is None:
                continue
            if isinstance(v, int) and abs(v) < 10**6 and v not in self.ints and len(self.ints) < limit:
                self.ints.append(v)
            elif isinstance(v, str) and len(v) < 40 and v not in self.strs and len(self.strs) < limit:
                self.strs.append(v)
            elif isinstance(v, (list, tuple, set, frozenset)) and depth < 3 or isinstance(v, dict) and depth < 3:
                stack.extend((x, depth + 1) for x in list(v)[:64])

    def harvest_token(self, token: Any) -> None:
        """Adds the scalars of a result token (`history.normalise`'s shapes; type tags skipped)."""
        if isinstance(token, tuple) and len(token) == 2 and token[0] in ("list", "tuple", "dict", "set", "frozenset", "deque") \
                and isinstance(token[1], (tuple, frozenset)):  # a result ['list', None] is not a tagged token
            token = token[1]
            if isinstance(token, tuple) and token and all(isinstance(x, tuple) and len(x) == 2 for x in token):
                token = [x for kv in token for x in kv]  # dict items
            for x in list(token)[:64]:
                self.harvest_token(x)
        elif not isinstance(token, tuple):
            self.harvest(token)

    def any(self, rng: random.Random) -> Any:
        r = rng.random()
        if r < 0.4:
            return rng.choice(self.ints) if rng.random() < 0.7 else rng.randrange(1000)
        if r < 0.8:
            return self.pick_str(rng)
        if r < 0.9:
            return None
        return rng.choice((b"x", 2.5, (1, 2)))


def _int_list(r: random.Random) -> list[int]:
    n = r.choice((0, 1, 3, 8, 256, 4096))
    if n <= 8:
        return [r.randrange(1000) for _ in range(n)]
    start = r.randrange(1, 1000)  # long lists (wide race windows) are cheap runs, all nonzero
    return list(range(start, start + n))


def _kind_gen(kind: str) -> Callable[[random.Random, Values], Any]:
    """A value generator for a parameter kind (`int`, `str`, `list[int]`, ...)."""
    gens: dict[str, Callable[[random.Random, Values], Any]] = {
        "int": lambda r, v: r.choice(v.ints) if r.random() < 0.75 else r.randrange(1000),
        "smallint": lambda r, v: r.choice((0, 1, 2, 3)),
        "float": lambda r, v: r.choice((0.0, 0.5, 1.0, 2.5)),
        "str": lambda r, v: v.pick_str(r),
        "bytes": lambda r, v: b"x" * r.choice((1, 2, 3, 8, 64)),
        "bool": lambda r, v: r.random() < 0.5,
        "none": lambda r, v: None,
        "timeout": lambda r, v: 0.0,
        "block": lambda r, v: False,
        "callable": lambda r, v: int,
        "list[int]": lambda r, v: _int_list(r),
        "list[str]": lambda r, v: r.sample(v.strs_or_defaults(), r.randint(0, min(3, len(v.strs_or_defaults())))),
        "list[any]": lambda r, v: [v.any(r) for _ in range(r.choice((0, 1, 3)))],
        # element-typed: what a typed sequence (bytearray, array, a numeric buffer) accepts
        "list[byte]": lambda r, v: [r.randrange(256) for _ in range(r.choice((0, 1, 3, 8, 64)))],
        "bytes[n]": lambda r, v: bytes(r.randrange(256) for _ in range(r.choice((1, 3, 8, 64)))),
        "dict": lambda r, v: {k: r.randrange(1000) for k in r.sample(v.strs_or_defaults(), r.randint(1, min(3, len(v.strs_or_defaults()))))},
        "any": lambda r, v: v.any(r),
        "slice": lambda r, v: r.choice((slice(0, 2), slice(1, None), slice(None, None, -1), slice(-2, None))),
    }
    if kind.startswith("user:"):
        user = USER_GENS[kind[5:]]
        return lambda r, v: user(r)
    return gens.get(kind, gens["any"])


#: Parameter name -> the user's value generator (`--arg NAME=module:function`; the function takes
#: a `random.Random` and returns a value), set in the child before discovery.
USER_GENS: dict[str, Callable[[random.Random], Any]] = {}


NAME_KINDS = {
    "timeout": "timeout", "block": "block", "blocking": "block",
    "key": "str", "name": "str", "src": "str", "dst": "str", "k": "str", "account": "str", "attr": "str",
    "amount": "int", "delta": "int", "n": "int", "size": "int", "count": "int", "index": "int", "i": "int",
    "pos": "int", "start": "int", "stop": "int", "whence": "smallint", "repeat": "int",
    "values": "list[int]", "items": "list[any]", "keys": "list[str]", "seq": "list[any]", "iterable": "list[any]",
    "mapping": "dict", "m": "dict", "d": "dict",
    "b": "bytes", "data": "bytes", "buffer": "bytes", "s": "str", "text": "str",
    "func": "callable", "fn": "callable", "callback": "callable", "init": "callable",
}


def kind_of_annotation(text: str) -> str | None:
    """Maps an annotation's source text to a generator kind (None: no idea)."""
    t = text.replace(" ", "").replace("typing.", "").replace("builtins.", "").replace("_typeshed.", "")
    if t in ("", "Any", "object", "_empty"):
        return None
    for opt in ("Optional[", ):
        if t.startswith(opt):
            t = t[len(opt):-1]
    parts = [p for p in t.split("|") if p != "None"]
    t = parts[0] if parts else "None"
    low = t.lower()
    if low.startswith(("mapping", "dict")):
        return "dict"
    if low.startswith(("sequence[", "list[", "iterable[", "collection[", "tuple[")):
        inner = low.split("[", 1)[1]
        return "list[int]" if inner.startswith("int") else "list[str]" if inner.startswith("str") else "list[any]"
    if low.startswith("callable"):
        return "callable"
    base = {"int": "int", "float": "float", "str": "str", "bytes": "bytes", "bool": "bool", "None": "none"}
    return base.get(t)


@dataclass
class Param:
    name: str
    kind: str  # generator kind
    keyword_only: bool = False
    has_default: bool = False
    default: Any = None


@dataclass
class Template:
    """A discovered operation and its candidate argument generators (all viable until learning)."""

    name: str
    kind: str  # method | property | setprop | protocol
    gens: list[Gen] = field(default_factory=list)
    fixed: Op | None = None  # an explicit op with literal arguments: always exactly this
    source: str = ""  # where the arguments came from (stub, hints, signature, guess, explicit)
    zero_arg: bool = False  # a method known to take no arguments (an observer candidate)
    blocking: bool = False  # the waiting variant of a method with a timeout (see `params_gen`)
    params: list[Param] = field(default_factory=list)  # the parameters, when known (signature or stub)
    composite: str = ""  # why the operation is not atomic (see `COMPOSITE_PROTOCOLS`); "" = atomic
    python_level: bool = False  # implemented in Python: a sequence of atomic steps, no atomicity promise of its own

    @property
    def key(self) -> str:
        """The name a plan shows: `set:x` / `del:x` for attribute writes, else the name."""
        return {"setprop": "set:", "delattr": "del:"}.get(self.kind, "") + self.name + ("[blocking]" if self.blocking else "")

    @property
    def no_arguments(self) -> bool:
        if self.fixed is not None:
            return not self.fixed.args and not self.fixed.kwargs
        return self.zero_arg or (not self.gens and self.kind != "setprop")

    def make(self, rng: random.Random, values: Values) -> Op:
        if self.fixed is not None:
            return self.fixed
        if not self.gens:
            return Op(self.name, self.kind)
        args, kwargs = rng.choice(self.gens)(rng, values)
        return Op(self.name, self.kind, args, kwargs, blocking=self.blocking)


#: A blocking variant's timeout in the run (`Config.block_timeout` sets it in the child). Replays
#: pass 0: a wait of up to T seconds, linearized at one instant, is "succeed if the condition
#: holds now, else time out" — what a zero timeout does, without sleeping in the search.
BLOCK_TIMEOUT = 0.25
TIMEOUT_NAMES = ("timeout",)


def params_gen(params: list[Param], blocking: bool = False) -> Gen:
    """A generator for a parameter list: optional parameters omitted half the time. `blocking`:
    the timeout is `BLOCK_TIMEOUT` and `block`/`blocking` flags are True (a waiting call)."""
    gens = [(p, _kind_gen(p.kind)) for p in params]

    def gen(rng: random.Random, values: Values) -> tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]:
        args: list[Any] = []
        kwargs: list[tuple[str, Any]] = []
        skipping = False
        for p, g in gens:
            if blocking and p.kind in ("timeout", "block"):
                kwargs.append((p.name, BLOCK_TIMEOUT if p.kind == "timeout" else True))
                skipping = True
                continue
            if p.kind in ("timeout", "block") and p.has_default:
                kwargs.append((p.name, g(rng, values)))
                skipping = True  # later positionals must be passed by name now
                continue
            if p.has_default and rng.random() < 0.5:
                skipping = True
                continue
            if p.keyword_only or skipping:
                kwargs.append((p.name, g(rng, values)))
            else:
                args.append(g(rng, values))
        return tuple(args), tuple(kwargs)

    return gen


def _params_from_signature(sig: inspect.Signature, hints: dict[str, str]) -> list[Param] | None:
    out = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name.startswith("_") and p.default is not inspect.Parameter.empty:
            continue  # private knobs (pydantic's `_parent_namespace_depth` reads the caller's stack)
        hint = hints.get(p.name)
        if hint is None and p.annotation is not inspect.Parameter.empty:
            hint = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", str(p.annotation))
        kind = kind_of_annotation(hint) if hint else None
        if p.name in ("timeout", "block", "blocking"):
            kind = NAME_KINDS[p.name]
        if p.name in USER_GENS:
            kind = "user:" + p.name
        if kind is None:
            kind = NAME_KINDS.get(p.name)
        if kind is None and p.default is not inspect.Parameter.empty and p.default is not None:
            kind = kind_of_annotation(type(p.default).__name__)
        has_default = p.default is not inspect.Parameter.empty
        if kind is None:
            kind = "any"
        out.append(Param(p.name, kind, p.kind == p.KEYWORD_ONLY, has_default, p.default if has_default else None))
    return out


def _guess_gens() -> list[Gen]:
    """For C callables with no signature: arities 0, 1 and 2 with small ints or any values."""
    return [
        params_gen([]),
        params_gen([Param("x", "int")]),
        params_gen([Param("x", "any")]),
        params_gen([Param("x", "int"), Param("y", "smallint")]),
    ]


# ---------------------------------------------------------------- stubs


def _stub_paths(module_name: str) -> list[str]:
    mod = sys.modules.get(module_name)
    top = sys.modules.get(module_name.split(".")[0])
    paths = []
    for m in (mod, top):
        f = getattr(m, "__file__", None)
        if m is None or not f:
            continue
        d = os.path.dirname(f)
        base = os.path.basename(f).split(".")[0]
        for cand in (os.path.join(d, base + ".pyi"), os.path.join(d, "__init__.pyi"),
                     os.path.join(os.path.dirname(d), m.__name__.split(".")[0] + ".pyi")):
            if os.path.exists(cand) and cand not in paths:
                paths.append(cand)
    return paths


def stub_hints(cls: type) -> tuple[dict[str, dict[str, str]], str]:
    """Parameter annotations per method from the `.pyi` stub of `cls` (or of the class in its
    package's stub with the same public members: a twin sharing an API). Empty if none."""
    public = {n for n in dir(cls) if not n.startswith("_")}
    for path in _stub_paths(getattr(cls, "__module__", "")):
        try:
            with open(path, encoding="utf-8") as stub_file:
                tree = ast.parse(stub_file.read())
        except (OSError, SyntaxError):
            continue
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        match = [c for c in classes if c.name == cls.__name__]
        if not match:
            match = [c for c in classes if {f.name for f in c.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")} == public]
        if not match:
            continue
        out: dict[str, dict[str, str]] = {}
        for f in match[0].body:
            if isinstance(f, ast.FunctionDef):
                a = f.args
                out[f.name] = {x.arg: ast.unparse(x.annotation) for x in a.posonlyargs + a.args + a.kwonlyargs if x.annotation is not None}
                positional = a.posonlyargs + a.args
                with_default = [x.arg for x in positional[len(positional) - len(a.defaults):]] if a.defaults else []
                with_default += [x.arg for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
                out[f.name + "/defaults"] = {x: "" for x in with_default}  # names only: values are not needed
        return out, f"{os.path.basename(path)}:{match[0].name}"
    return {}, ""


# ---------------------------------------------------------------- discovery


def _type_defines(obj: Any, dunder: str) -> bool:
    return any(dunder in vars(k) and vars(k)[dunder] is not None for k in type(obj).__mro__ if k is not object)


def _is_iterator(obj: Any) -> bool:
    try:
        return iter(obj) is obj
    except BaseException:
        return False


def discover(obj: Any, include: Iterable[str] | None = None, exclude: Iterable[str] = ()) -> list[Template]:
    """Templates for everything that can be done to `obj` (see module docstring)."""
    cls = type(obj)
    stub, stub_src = stub_hints(cls)
    found: dict[str, Template] = {}
    iterator = _is_iterator(obj)
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            static = inspect.getattr_static(obj, name)
        except AttributeError:
            continue
        if inspect.isdatadescriptor(static):
            found[name] = Template(name, "property", source="descriptor",
                                   python_level=isinstance(static, property) and inspect.isfunction(static.fget))
            if not isinstance(static, property) or static.fset is not None:
                # a property setter, or a C/PyO3 getset or member: learning drops it if read-only
                found["set:" + name] = Template(name, "setprop", [lambda r, v: ((v.any(r),), ())], source="attribute setter")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = getattr(obj, name)
        except BaseException:
            continue
        if inspect.ismethod(value) or inspect.isbuiltin(value) or inspect.ismethoddescriptor(static) or inspect.isfunction(static) \
                or type(static).__name__ in ("method_descriptor", "classmethod_descriptor", "builtin_function_or_method"):
            if inspect.isclass(value):
                continue
            if inspect.isclass(obj) and inspect.isfunction(static):
                continue  # an instance method of a class target needs an instance
            found[name] = _method_template(name, value, stub.get(name), stub_src, stub.get(name + "/defaults", {}))
            func = getattr(static, "__func__", static)
            found[name].python_level = inspect.isfunction(func)
            blocking = blocking_variant(found[name])
            if blocking is not None:
                blocking.python_level = found[name].python_level
            if blocking is not None:
                found[name + "[blocking]"] = blocking
            if name in COMPOSITE_METHODS:
                found[name].composite = COMPOSITE_METHODS[name]
            elif iterator and name in ("send",):
                found[name].composite = "a shared generator may skip or repeat items (documented)"
        elif isinstance(value, DATA_TYPES) or type(value).__name__ == "deque":
            found[name] = Template(name, "property", source="attribute")
            # A plain instance attribute is read, not assigned, by default: assigning it bypasses
            # whatever lock the class's methods take (a locked counter's `.n = 5` racing its `add`
            # is "not linearizable", and no user calls that a bug). Writes the class declares
            # (property setters, C/PyO3 setters) are discovered; `--ops set:x,del:x` asks for these.
    for dunder, proto in DUNDER.items():
        if proto == "iter" and (iterator or not _type_defines(obj, "__iter__")):
            continue
        if proto == "repr" and cls.__repr__ is object.__repr__:
            continue
        if proto == "pickle":
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pickle.dumps(obj)
            except BaseException:
                continue
        elif proto not in ("repr",) and not _type_defines(obj, dunder):
            continue
        found[proto] = _protocol_template(proto, obj)
        impl = next((vars(k)[dunder] for k in cls.__mro__ if dunder in vars(k)), None)
        found[proto].python_level = inspect.isfunction(impl)
        if proto in COMPOSITE_PROTOCOLS:
            found[proto].composite = COMPOSITE_PROTOCOLS[proto]
        elif proto == "repr" and (_type_defines(obj, "__len__") or _type_defines(obj, "__iter__")):
            found[proto].composite = "a container's repr iterates its contents"
        elif proto == "next" and iterator:
            found[proto].composite = "a shared iterator may skip or repeat items (documented)"
    names = set(found)
    if include is not None:
        chosen: dict[str, Template] = {}
        for spec in include:
            t = parse_explicit(spec, found)
            chosen[spec] = t
        found = chosen
    drop = {DUNDER.get(x, x) for x in exclude}
    return [t for key, t in found.items() if key not in drop and t.name not in drop and (include is not None or key in names)]


def _method_template(name: str, value: Any, stub_params: dict[str, str] | None, stub_src: str,
                     stub_defaults: dict[str, str] | None = None) -> Template:
    hints: dict[str, str] = dict(stub_params or {})
    source = f"stub {stub_src}" if stub_params is not None else "signature"
    try:
        sig = inspect.signature(value)
    except (TypeError, ValueError):
        sig = None
    if sig is None and stub_params is not None:
        defaults = stub_defaults or {}
        params = [Param(p, "user:" + p if p in USER_GENS else "timeout" if p in ("timeout",) else kind_of_annotation(h)
                        or NAME_KINDS.get(p, "any"),
                        has_default=p in defaults)
                  for p, h in stub_params.items() if p not in ("self", "cls") and not (p.startswith("_") and p in defaults)]
        return Template(name, "method", [params_gen(params)], source=source, zero_arg=not params, params=params)
    if sig is None:
        return Template(name, "method", _guess_gens(), source="guess (no signature)")
    if not stub_params:
        try:
            hints.update({k: v if isinstance(v, str) else getattr(v, "__name__", str(v)) for k, v in getattr(value, "__annotations__", {}).items()})
            source = "type hints" if hints else source
        except BaseException:
            pass
    params = _params_from_signature(sig, hints) or []
    return _template_from_params(name, params, hints, source)


def _template_from_params(name: str, params: list[Param], hints: dict[str, str], source: str) -> Template:
    t = _template_from_params_inner(name, params, hints, source)
    t.params = params
    return t


def _template_from_params_inner(name: str, params: list[Param], hints: dict[str, str], source: str) -> Template:
    gens = [params_gen(params)]
    if not params:
        return Template(name, "method", gens, source=source, zero_arg=True)
    untyped = [p for p in params if (p.kind == "any" or p.kind.startswith("list[")) and not hints.get(p.name)
               and p.name not in USER_GENS]
    if untyped:  # try each untyped parameter as an int, a str, element-typed iterables; learning keeps what works
        for kind in ("int", "str", "list[byte]", "bytes[n]"):
            gens.append(params_gen([Param(p.name, kind if p in untyped else p.kind, p.keyword_only, p.has_default, p.default)
                                    for p in params]))
    return Template(name, "method", gens, source=source)


def blocking_variant(t: Template) -> Template | None:
    """The waiting variant of a method with a `timeout` parameter (learned from its signature or
    stub): it waits up to `BLOCK_TIMEOUT` in the run, so a lost wake-up shows as a late return."""
    params = getattr(t, "params", None)
    if not params or not any(p.kind == "timeout" for p in params):
        return None
    return Template(t.name, t.kind, [params_gen(params, blocking=True)], source=t.source + ", waiting", blocking=True)


def _protocol_template(proto: str, obj: Any) -> Template:
    def key_gen(r: random.Random, v: Values) -> Any:
        x = r.random()
        if x < 0.15 and sequence:
            return _kind_gen("slice")(r, v)
        if x < 0.6:
            return r.choice(v.ints)
        return v.pick_str(r)

    sequence = _type_defines(obj, "__len__") and _type_defines(obj, "__getitem__") and not isinstance(obj, dict) \
        and not hasattr(obj, "keys")
    if proto in ("getitem", "delitem", "contains"):
        gens: list[Gen] = [lambda r, v: ((key_gen(r, v),), ())]
    elif proto == "setitem":
        gens = [lambda r, v: ((key_gen(r, v), v.any(r)), ())]
    elif proto == "call":
        gens = [params_gen([]), params_gen([Param("x", "any")]), params_gen([Param("x", "int"), Param("y", "any")])]
    else:
        gens = []
    return Template(proto, "protocol", gens, source="protocol")


def parse_explicit(spec: str, found: dict[str, Template]) -> Template:
    """`name` (a discovered op, generated arguments) or `name(literal, key=literal)` (fixed)."""
    spec = spec.strip()
    name = DUNDER.get(spec, spec)
    if "(" not in spec:
        if name in found:
            return found[name]
        if name.startswith(("set:", "del:")) and name[4:]:
            attr = name[4:]
            if name.startswith("del:"):
                return Template(attr, "delattr", source="explicit")
            return Template(attr, "setprop", [lambda r, v: ((v.any(r),), ())], source="explicit")
        if name in PROTOCOLS:
            return Template(name, "protocol", source="explicit")
        raise BadSpec(f"operation {spec!r} not found on the object (discovered: {', '.join(sorted(found)) or 'none'})")
    try:
        call = ast.parse(spec, mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = tuple((k.arg, ast.literal_eval(k.value)) for k in call.keywords if k.arg)
    except (SyntaxError, ValueError, AssertionError) as e:
        raise BadSpec(f"operation {spec!r}: expected name(literal arguments): {e}") from None
    fname = DUNDER.get(call.func.id, call.func.id)
    kind = "protocol" if fname in PROTOCOLS and fname not in found else (found[fname].kind if fname in found else "method")
    if kind == "property":
        kind = "method"
    return Template(fname, kind, fixed=Op(fname, kind, args, kwargs), source="explicit")


class BadSpec(ValueError):
    """A usage error in an operation list (exit 2)."""


# ---------------------------------------------------------------- applying


def raw_apply(obj: Any, op: Op) -> Any:
    """Performs `op` on `obj` and returns the raw result (exceptions propagate)."""
    kind, name = op.kind, op.name
    if kind == "method":
        return getattr(obj, name)(*op.args, **dict(op.kwargs))
    if kind == "property":
        return getattr(obj, name)
    if kind == "setprop":
        setattr(obj, name, op.args[0])
        return None
    if kind == "delattr":
        delattr(obj, name)
        return None
    if name == "iter":
        return list(itertools.islice(iter(obj), ITER_CAP))
    if name == "next":
        return next(obj)
    if name == "len":
        return len(obj)
    if name == "getitem":
        return obj[op.args[0]]
    if name == "setitem":
        obj[op.args[0]] = op.args[1]
        return None
    if name == "delitem":
        del obj[op.args[0]]
        return None
    if name == "contains":
        return op.args[0] in obj
    if name == "repr":
        return ADDRESS.sub("#", repr(obj))  # an address differs between the run and its replay
    if name == "pickle":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pickle.dumps(obj, protocol=4)
    if name == "call":
        return obj(*op.args, **dict(op.kwargs))
    raise ValueError(f"unknown operation kind {kind}:{name}")


def replay_form(op: Op, timeout: float = 0.0) -> Op:
    """A waiting call as a replay runs it: the same call with `timeout` (default 0: succeed now or
    time out now)."""
    return dataclasses.replace(op, kwargs=tuple((k, timeout if k in TIMEOUT_NAMES else v) for k, v in op.kwargs),
                               blocking=False)


def make_apply(normaliser: Callable[[Any], Any] | None = None,
               on_lazy: Callable[[str], None] | None = None) -> Callable[[Any, Op], tuple[bool, Token]]:
    """`apply(obj, op) -> (ok, token)`: the outcome normalised (by `normaliser` first, if given).
    `on_lazy(name)` is told of an operation that returned an iterator or view (learning marks it
    composite: reading the result iterates the object)."""

    def apply(obj: Any, op: Op) -> tuple[bool, Token]:
        if op.blocking:
            op = replay_form(op)
        try:
            value = raw_apply(obj, op)
            if on_lazy is not None and is_lazy_result(value):
                on_lazy(op.name)
            if normaliser is not None:
                value = normaliser(value)
            return True, normalise(value, obj)
        except (Exception, GeneratorExit) as e:
            return False, exception_token(e)

    return apply

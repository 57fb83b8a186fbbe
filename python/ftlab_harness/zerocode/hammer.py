"""The zero-code engine: load a target, learn its sequential behaviour, hammer it, check histories.

`load_target("module:factory")` gives a zero-argument factory; `factory` may be a dotted name
(called with no arguments) or a call expression evaluated in the module's namespace
(`ftlab:Bank({"a": 2, "b": 0})`, `builtins:(i for i in range(10**9))`). Its literals seed the value
pool the arguments are drawn from.

`learn` runs the discovered operations alone and in random sequences on fresh objects, each
call watched by a timer: it keeps the argument generators the object accepts, drops operations
that block when run alone (they would read as hangs), records which exception types each
operation raises sequentially, and marks operations whose results differ between two identical
sequential runs (their results are not compared).

`hammer` then runs rounds until a finding or the time cap. Each round makes a fresh object,
gives 2–4 persistent worker threads 2–6 operations each (drawn from a random subset of 1–4
operations, so the same operations collide), releases them with a barrier and records every
call. Lincheck rounds are checked for linearizability (`lincheck.check`), and a violation is
minimised and reported with the seed and round that regenerate its scenario. Every
`hammer_every`-th round is a hammer round instead: 4 threads x `hammer_ops` operations on one
object, checked only for exception types the operation never raised alone. A round that does
not finish within `round_timeout` is a hang (the caller dumps the stacks).

Invariants: a round's scenario depends only on (seed, round, learned plan); transient
exceptions (by design under concurrency, e.g. "generator already executing", "mutated during
iteration") are dropped from histories before checking. Stdlib only.
"""

# The code under test may raise anything, and a harness that dies with it reports nothing:
# blind excepts here are deliberate.
# ruff: noqa: BLE001

from __future__ import annotations

import ast
import copy
import dataclasses
import functools
import importlib
import os
import random
import re
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import ftlab_harness.zerocode.lincheck as lincheck
import ftlab_harness.zerocode.ops as ops_module
from ftlab_harness.zerocode.history import (
    Call,
    Finding,
    History,
    Op,
    Token,
    exception_token,
    normalise,
)
from ftlab_harness.zerocode.ops import (
    Gen,
    Template,
    Values,
    discover,
    make_apply,
    raw_apply,
    replay_form,
)

#: Exceptions CPython documents as possible under concurrency, by design, and where: a generator
#: entered by two threads raises "already executing" (any operation); a container changed during
#: an iteration raises "changed size during iteration" (only composite operations iterate: from
#: a single atomic call it is a finding); an object with a live buffer export refuses a resize.
#: `--no-default-transients` drops these; `--transient` adds patterns that apply everywhere.
DEFAULT_TRANSIENT = ("ValueError:generator already executing", "RuntimeError:during iteration", "BufferError:")
DEFAULT_TRANSIENT_SCOPE = {"RuntimeError:during iteration": "composite"}
LEARN_OP_TIMEOUT = 0.5
CONFIRM_RUNS = 6  # re-runs of a round with a late wake-up before it is reported (see confirmed_lost_wakeup)
LEARN_BLOCK_PROBE = 0.05  # how long learning lets a waiting operation wait (to learn its "in vain" outcome)
LEARN_SEQUENCES = 150  # a fixed count (not a time) so a seed regenerates the same plan and rounds
SPIN = 3000  # start-line spins (about 50 µs) before blocking: overlap without starving a loaded machine


class BadTarget(ValueError):
    """The target cannot be loaded or built (one-line error; exit 2 at the CLI)."""


@dataclass
class Config:
    """Everything a zero-code run needs; JSON-serialisable (it is the child's spec)."""

    target: str
    seconds: float = 5.0
    seed: int = 0
    threads: int = 4
    ops_min: int = 2
    ops_max: int = 6
    ops: list[str] | None = None  # explicit operation list (names or name(literals))
    exclude: list[str] = field(default_factory=list)
    normaliser: str | None = None  # module:function applied to every result before comparing
    transient: list[str] = field(default_factory=list)  # the user's patterns (everywhere), beside the defaults
    default_transients: bool = True  # DEFAULT_TRANSIENT, each in its scope
    composite: list[str] = field(default_factory=list)  # operations the user marks as not atomic
    state_key: str = "auto"  # auto | sequence | pickle (see lincheck.Replayer)
    allow_gil: bool = False  # run even if importing the target re-enabled the GIL on a free-threaded build
    block_timeout: float = 0.25  # how long a waiting operation waits in the run (ops.BLOCK_TIMEOUT)
    wake_bound: float = 0.1  # a waiter still waiting this long after it could have been released: lost_wakeup
    arg_gens: dict[str, str] = field(default_factory=dict)  # parameter name -> "module:function(rng) -> value"
    mode: str = "both"  # both | lincheck | hammer
    hammer_every: int = 8
    long_every: int = 3  # every 3rd lincheck round: all threads x 12-30 operations (more overlap)
    hammer_ops: int = 200
    round_timeout: float = 5.0
    max_rounds: int | None = None
    replay_round: int | None = None  # only regenerate this round's scenario (with `seed`)
    learn_seconds: float = 10.0  # a cap (enforced); learning is LEARN_SEQUENCES sequences
    max_nodes: int = 20_000
    check_seconds: float = 0.1  # per history; beyond it the round is undecided (counted, never reported)


def load_target(spec: str) -> tuple[Callable[[], Any], list[Any]]:
    """`module:factory` -> (zero-argument factory, literals found in the factory expression)."""
    if ":" not in spec:
        raise BadTarget(f"target {spec!r}: expected module:factory (e.g. collections:deque)")
    module_name, expr = spec.split(":", 1)
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise BadTarget(f"target {spec!r}: factory is not an expression: {e.msg}") from None
    try:
        module = importlib.import_module(module_name)
    except BaseException as e:
        raise BadTarget(f"target {spec!r}: cannot import {module_name!r}: {type(e).__name__}: {e}") from None
    literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    namespace = dict(vars(module))
    if isinstance(tree.body, (ast.Name, ast.Attribute)):
        obj: Any = module
        for part in expr.strip().split("."):
            if not hasattr(obj, part):
                raise BadTarget(f"target {spec!r}: {module_name} has no attribute {expr.strip()!r}")
            obj = getattr(obj, part)
        if not callable(obj):
            raise BadTarget(f"target {spec!r}: {expr.strip()} is not callable (a factory returns a fresh object)")
        return obj, literals
    code = compile(tree, f"<target {spec}>", "eval")
    return (lambda: eval(code, namespace)), literals


def load_callable(spec: str, what: str = "normaliser") -> Callable[[Any], Any]:
    module_name, _, name = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), name)
    except BaseException as e:
        raise BadTarget(f"{what} {spec!r}: {type(e).__name__}: {e}") from None
    if not callable(fn):
        raise BadTarget(f"{what} {spec!r} is not callable")
    return fn  # type: ignore[no-any-return]


@dataclass
class Plan:
    """What learning found: usable operations, their sequential exception types, and more."""

    templates: list[Template]
    values: Values
    raises: dict[str, set[str]] = field(default_factory=dict)
    nondeterministic: set[str] = field(default_factory=set)
    excluded: dict[str, str] = field(default_factory=dict)
    sequential_calls: int = 0
    picklable: bool = False  # the object pickles: the checker merges equal states
    truncated: bool = False  # learning hit its time cap: a replay may regenerate other rounds
    mutators: list[Template] = field(default_factory=list)
    observers: list[Template] = field(default_factory=list)
    composite: dict[str, str] = field(default_factory=dict)  # operation -> why it is not atomic
    unmet: dict[str, Any] = field(default_factory=dict)  # waiting operation -> its outcome when it waited in vain
    met_seen: set[str] = field(default_factory=set)  # waiting operations that succeeded sequentially
    rendezvous: set[str] = field(default_factory=set)  # waiting operations that never succeed alone (Barrier.wait)
    alone_ns: dict[str, int] = field(default_factory=dict)  # the longest an operation took alone while learning
    writers: set[str] = field(default_factory=set)  # every operation that changed what an observer says
    profile: str = ""  # the type's documented caveat (DOCUMENTED_PROFILES): half the rounds only read
    observations: list[str] = field(default_factory=list)  # nondeterminism seen in rounds (never findings)

    def summary(self) -> dict[str, Any]:
        return {
            "operations": sorted({t.key for t in self.templates}),
            "composite": dict(sorted(self.composite.items())),
            "excluded": self.excluded,
            "raises_alone": {k: sorted(v) for k, v in sorted(self.raises.items()) if v},
            "results_not_compared": sorted(self.nondeterministic),
            "sequential_calls": self.sequential_calls,
            "learning_truncated": self.truncated,
            "picklable": self.picklable,
            "mutators": sorted({t.name for t in self.mutators}),
            "observers": sorted({t.name for t in self.observers}),
        }


class _Abandoned(BaseException):
    """Raised in an abandoned learning attempt's thread (see `learn`) so it stops touching state."""


class _Attempt:
    """One run of the sequential learning procedure, in a thread of its own (see `learn`)."""

    def __init__(self) -> None:
        self.current: tuple[Op, float] | None = None  # (operation, started) while a call runs
        self.abandoned = False
        self.done = threading.Event()
        self.plan: Plan | None = None
        self.error: BaseException | None = None

    def main(self, body: Callable[[], Plan]) -> None:
        try:
            self.plan = body()
        except _Abandoned:
            return
        except BaseException as e:
            self.error = e
        self.done.set()


def learn(factory: Callable[[], Any], templates: list[Template], values: Values, apply: Callable[[Any, Op], tuple[bool, Token]],
          rng: random.Random, seconds: float) -> Plan:
    """Sequential runs (see module docstring). Raises BadTarget if nothing usable remains.

    The procedure runs in a helper thread and makes every call inline; this thread watches the
    call in flight. A call that runs longer than LEARN_OP_TIMEOUT marks its operation blocked:
    that attempt is abandoned (its thread, stuck in the call, is a daemon and touches nothing
    more) and the procedure starts again from the same random state with the operation excluded,
    so the plan depends on the seed and the set of blocking operations only. Handing each call to
    a watched thread instead costs two thread wake-ups per call, which on a loaded 2-core machine
    took about 50 ms each (learning a 3-method class: 0.3 s quiet, 54 s under two busy processes).
    `values` and `rng` are advanced as the successful attempt advanced its copies.
    """
    blocked: dict[str, str] = {}  # op name -> label of the call that blocked
    end = time.monotonic() + seconds  # the cap covers every attempt together
    while True:
        attempt = _Attempt()
        a_values = copy.deepcopy(values)
        a_rng = random.Random()
        a_rng.setstate(rng.getstate())
        body = functools.partial(_learn_once, factory, [copy.copy(t) for t in templates], a_values, apply, a_rng,
                                 max(0.05, end - time.monotonic()), dict(blocked), attempt)
        threading.Thread(target=attempt.main, args=(body,), daemon=True, name="zerocode-learn").start()
        while not attempt.done.wait(LEARN_OP_TIMEOUT / 4):
            current = attempt.current
            if current is not None and time.monotonic() - current[1] > LEARN_OP_TIMEOUT:
                attempt.abandoned = True
                blocked[current[0].name] = current[0].label()
                break
        if attempt.abandoned:
            continue
        if attempt.error is not None:
            raise attempt.error
        assert attempt.plan is not None
        values.__dict__.update(a_values.__dict__)
        rng.setstate(a_rng.getstate())
        attempt.plan.values = values  # the caller's pool, as before, not the attempt's copy
        return attempt.plan


def _learn_once(factory: Callable[[], Any], templates: list[Template], values: Values,
                apply: Callable[[Any, Op], tuple[bool, Token]], rng: random.Random, seconds: float,
                blocked_labels: dict[str, str], attempt: _Attempt) -> Plan:
    """One attempt of `learn`; operations in `blocked_labels` are excluded from the start."""
    plan = Plan([], values)
    deadline = time.monotonic() + seconds  # the whole of learning, not per attempt: see `learn`
    blocked = set(blocked_labels)
    for name, label in blocked_labels.items():
        plan.excluded[name] = f"blocked for {LEARN_OP_TIMEOUT} s when run alone ({label})"

    def run(obj: Any, op: Op) -> tuple[bool, Token] | None:
        if op.name in blocked:
            return None
        if time.monotonic() > deadline:
            raise _LearnCap
        attempt.current = (op, time.monotonic())
        if op.blocking and op.name not in plan.unmet:
            # Wait briefly for real: an outcome that took the whole wait is the "waited in vain" one.
            t0 = time.perf_counter()
            out = apply(obj, replay_form(op, LEARN_BLOCK_PROBE))
            if time.perf_counter() - t0 >= LEARN_BLOCK_PROBE * 0.9:
                plan.unmet[op.name] = out
        else:
            t0 = time.perf_counter_ns()
            out = apply(obj, op)
            took = time.perf_counter_ns() - t0
            if took > plan.alone_ns.get(op.name, 0):
                plan.alone_ns[op.name] = took
        if op.blocking and op.name in plan.unmet and out != plan.unmet[op.name]:
            plan.met_seen.add(op.name)
        attempt.current = None
        if attempt.abandoned:
            raise _Abandoned
        plan.sequential_calls += 1
        ok, token = out
        if ok:
            if op.name not in ("repr", "pickle"):
                values.harvest_token(token)
        else:
            plan.raises.setdefault(op.name, set()).add(token[1])
        return ok, token

    # Phase A: each argument generator alone on fresh objects; keep the ones accepted.
    usable: list[Template] = []
    try:
        _phase_a(plan, templates, usable, factory, values, rng, run, blocked)
    except _LearnCap:
        plan.truncated = True
        tried = {id(t) for t in usable} | set(plan.excluded)
        for t in templates:
            if id(t) not in tried and t.key not in plan.excluded:
                plan.excluded[t.key] = f"not tried: learning ran out of its {seconds:.1f} s cap (--learn-seconds)"
    plan.raises.clear()  # phase A's TypeErrors from rejected generators are not behaviour
    try:
        usable = _phase_b(plan, usable, factory, values, rng, run, blocked)
    except _LearnCap:
        plan.truncated = True
    plan.templates = usable
    try:
        _classify(plan, factory, apply, rng, run)
    except _LearnCap:
        plan.truncated = True
    if blocked:  # an operation that blocked while classifying (`join` after a `put`) is out too
        plan.templates = [t for t in plan.templates if t.name not in blocked]
        plan.mutators = [t for t in plan.mutators if t.name not in blocked]
        plan.observers = [t for t in plan.observers if t.name not in blocked]
    if not usable:
        raise BadTarget("no usable operation: " + "; ".join(f"{k}: {v}" for k, v in plan.excluded.items()))
    return plan


class _LearnCap(BaseException):
    """Learning ran past its cap (`--learn-seconds`): stop where it is, with what it learned."""


def _phase_a(plan: Plan, templates: list[Template], usable: list[Template], factory: Callable[[], Any], values: Values,
             rng: random.Random, run: Callable[[Any, Op], tuple[bool, Token] | None], blocked: set[str]) -> None:
    for t in templates:
        trials: list[tuple[Gen | None, Op]]
        if t.fixed is not None or not t.gens:
            trials = [(None, t.make(rng, values)) for _ in range(3)]
        else:
            trials = [(g, Op(t.name, t.kind, *g(rng, values), blocking=t.blocking)) for g in t.gens for _ in range(4)]
        good: list[Any] = []
        succeeded: list[Any] = []
        errors: list[str] = []
        for g, op in trials:
            out = run(factory(), op)
            if out is None:
                break
            ok, token = out
            if ok and g is not None and g not in succeeded:
                succeeded.append(g)
            if ok or token[1] not in ("TypeError", "AttributeError", "NotImplementedError"):
                if g is not None and g not in good:
                    good.append(g)
                elif g is None:
                    good.append(None)
            else:
                errors.append(token[1])
        if t.name in blocked:
            continue
        if not good:
            plan.excluded[t.key] = f"rejected every generated argument alone ({', '.join(sorted(set(errors)))})"
            continue
        if t.gens and t.fixed is None:
            # generators with a call that succeeded first: one whose every call raised ValueError
            # (`bytearray.extend([1000])`) exercises only the argument check
            t.gens = [g for g in good if g is not None and g in succeeded] or [g for g in good if g is not None]
        usable.append(t)


def _phase_b(plan: Plan, usable: list[Template], factory: Callable[[], Any], values: Values, rng: random.Random,
             run: Callable[[Any, Op], tuple[bool, Token] | None], blocked: set[str]) -> list[Template]:
    """Random sequences, each twice: exception types alone, nondeterministic results."""
    for _ in range(LEARN_SEQUENCES):
        if not usable:
            break
        subset = rng.sample(usable, min(len(usable), rng.randint(1, 4)))
        script = [rng.choice(subset).make(rng, values) for _ in range(rng.randint(2, 12))]
        script = [op for op in script if op.name not in blocked]
        outs: list[list[tuple[bool, Token] | None]] = []
        for _ in range(2):
            obj = factory()
            outs.append([run(obj, op) for op in script])
            if blocked & {op.name for op in script}:
                break
        if len(outs) == 2:
            for op, a, b in zip(script, outs[0], outs[1]):
                if a != b:
                    plan.nondeterministic.add(op.name)
                    break
        usable = [t for t in usable if t.name not in blocked]
    return usable


def _classify(plan: Plan, factory: Callable[[], Any], apply: Callable[[Any, Op], tuple[bool, Token]],
              rng: random.Random, run: Callable[[Any, Op], tuple[bool, Token] | None]) -> None:
    """Observers: operations without arguments (properties, len, repr, ...). Mutators: operations
    after which some observer answers differently. Rounds pair them, so a write meets a read."""
    plan.writers = {t.name for t in plan.templates}  # until examined, anything may write (see below)
    candidates = [t for t in plan.templates if t.no_arguments]

    def changes(t: Template, watched: list[Template]) -> bool:
        """Whether `t` changes what `watched` (or `t` itself) answer, after a random prefix.
        Snapshots with and without `t` are taken on separate objects given the same prefix, so a
        `clear` among the watched operations affects both alike."""
        for trial in range(20):
            prefix = [rng.choice(plan.templates).make(rng, plan.values) for _ in range(trial % 3)]
            order = [o for o in watched if o is not t]
            rng.shuffle(order)
            snap = [o.make(rng, plan.values) for o in order]
            op = t.make(rng, plan.values)
            results = []
            for with_t in (False, True, None):
                obj = factory()
                if any(run(obj, p) is None for p in prefix):
                    return False
                if with_t is None:  # `next` changes only what `next` says
                    results.append([run(obj, op), run(obj, op)])
                    continue
                if with_t and run(obj, op) is None:
                    return False
                results.append([run(obj, o) for o in snap])
            if results[0] != results[1] or results[2][0] != results[2][1]:
                return True
        return False

    # An observer whose answer differs between identical runs (`array.buffer_info()` is an address)
    # would make every operation look like a mutator.
    candidates = [t for t in candidates if t.name not in plan.nondeterministic]
    self_pure = [t for t in candidates if not changes(t, [])]  # `next` is not
    observers = [t for t in self_pure if not changes(t, self_pure)]  # `clear` takes no argument either
    ops = {t.name: t for t in observers}
    # Until an operation is examined it may write: if learning's cap cuts this loop short, the
    # ones not reached stay in `writers` (a documented profile then never runs them beside reads).
    plan.writers = {t.name for t in plan.templates if t not in observers}
    assigned = {t.name for t in plan.templates if t.kind in ("setprop", "delattr")}  # `.real = v` writes "real"
    for t in plan.templates:
        if t not in observers and changes(t, observers):
            plan.mutators.append(t)
        elif t.name not in assigned:
            plan.writers.discard(t.name)
    if any(t.kind != "setprop" for t in plan.mutators):  # setters are blunt: random subsets cover them
        plan.mutators = [t for t in plan.mutators if t.kind != "setprop"]
    plan.observers = list(ops.values())


VERIFY_ORDERS = 30
HAMMER_BUDGET_NS = 50_000_000  # a hammer round's threads stop taking operations after 50 ms


def _sequentially_possible(factory: Callable[[], Any], scripts: list[list[Op]], call: Call,
                           apply: Callable[[Any, Op], tuple[bool, Token]], rng: random.Random, plan: Plan) -> bool:
    """Whether `call`'s exception type shows up when the round's scripts run one call at a time, in
    `VERIFY_ORDERS` random interleavings (each thread's order kept) on fresh objects. Exception
    types seen are learned (added to `plan.raises`)."""
    want = call.token[1]
    for _ in range(VERIFY_ORDERS):
        obj = factory()
        cursors = [0] * len(scripts)
        live = [t for t in range(len(scripts)) if scripts[t]]
        while live:
            t = rng.choice(live)
            op = scripts[t][cursors[t]]
            cursors[t] += 1
            if cursors[t] == len(scripts[t]):
                live.remove(t)
            ok, token = apply(obj, op)
            if not ok:
                plan.raises.setdefault(op.name, set()).add(token[1])
        if want in plan.raises.get(call.op.name, set()):
            return True
    return False


class _Transient:
    """Exceptions that are by design under concurrency: `(type, message pattern, scope)` rules;
    scope "composite" matches only calls of composite operations (see `ops.COMPOSITE_PROTOCOLS`)."""

    def __init__(self, patterns: list[str], defaults: bool = True) -> None:
        self.rules: list[tuple[str, re.Pattern[str] | None, str]] = []
        scoped = [(p, DEFAULT_TRANSIENT_SCOPE.get(p, "all")) for p in DEFAULT_TRANSIENT] if defaults else []
        for p, scope in scoped + [(p, "all") for p in patterns]:
            typ, _, msg = p.partition(":")
            self.rules.append((typ.strip(), re.compile(re.escape(msg.strip())) if msg.strip() else None, scope))
        self.composite: set[str] = set()  # names of the plan's composite operations

    def match(self, call: Call) -> bool:
        return not call.ok and any(call.token[1] == t and (m is None or m.search(call.exc_message))
                                   and (scope == "all" or call.op.name in self.composite) for t, m, scope in self.rules)


@dataclass
class Progress:
    rounds: int = 0
    lincheck_rounds: int = 0
    hammer_rounds: int = 0
    calls: int = 0
    undecided: int = 0
    transient: int = 0  # calls dropped as by-design exceptions
    observations: int = 0  # nondeterminism seen (never findings)
    check_seconds: float = 0.0
    learn_seconds: float = 0.0


class _Pool:
    """Persistent worker threads that run one round's scripts at a time (no thread start per round).

    Threads meet at a start line where they spin briefly (the last to arrive raises the flag),
    so threads that arrive close together leave within a microsecond or so rather than the tens of
    microseconds a blocking barrier's wake-ups take (operations of a few microseconds overlap
    only if their threads start together); after `SPIN` spins they block, so a loaded machine
    is not starved. With `jitter`, some operations are preceded by a short random busy wait, to
    vary interleavings; with `budget_ns`, a thread stops taking operations that long after the
    start. `run` returns None if the round did not finish within `timeout` (the pool is then
    unusable: the run ends with a hang finding).
    """

    def __init__(self, size: int, normaliser: Callable[[Any], Any] | None) -> None:
        self.normaliser = normaliser
        self.wake = [threading.Event() for _ in range(size)]
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.job: dict[str, Any] = {}
        for t in range(size):
            threading.Thread(target=self._worker, args=(t,), daemon=True, name=f"zerocode-{t}").start()

    def run(self, obj: Any, scripts: list[list[Op]], timeout: float, jitter: random.Random | None = None,
            budget_ns: int = 0) -> list[Call] | None:
        n = len(scripts)
        waits = [[jitter.choice((0, 0, 0, 5, 20, 80, 300, 1000, 3000)) if jitter else 0 for _ in s] for s in scripts]
        if any(op.blocking for s in scripts for op in s):
            for s, w in zip(scripts, waits):  # the others start a little later: the sleepers are asleep by then
                if s and not s[0].blocking:
                    w[0] = 30_000
        self.job = {"obj": obj, "scripts": scripts, "waits": waits, "n": n, "arrived": 0, "left": n, "go": [False],
                    "started": threading.Event(), "results": [[] for _ in range(n)], "budget": budget_ns}
        self.done.clear()
        for t in range(n):
            self.wake[t].set()
        if not self.done.wait(timeout):
            return None
        return [c for r in self.job["results"] for c in r]

    def _worker(self, t: int) -> None:
        wake = self.wake[t]
        clock = time.perf_counter_ns
        while True:
            wake.wait()
            wake.clear()
            job = self.job
            obj, script, my_waits, out, go = job["obj"], job["scripts"][t], job["waits"][t], job["results"][t], job["go"]
            normaliser = self.normaliser
            with self.lock:
                job["arrived"] += 1
                if job["arrived"] == job["n"]:
                    go[0] = True
                    job["started"].set()
            for _ in range(SPIN):
                if go[0]:
                    break
            else:
                job["started"].wait()
            stop_at = clock() + job["budget"] if job["budget"] else 0
            waited_long = False
            for k, op in enumerate(script):
                if op.blocking and waited_long:  # one long wait per thread per round: later waits are polls
                    op = replay_form(op)
                for _ in range(my_waits[k]):
                    pass
                t0 = clock()
                if stop_at and t0 > stop_at:
                    break
                try:
                    value = raw_apply(obj, op)
                    if normaliser is not None:
                        value = normaliser(value)
                    token = normalise(value, obj)
                    ok, msg = True, ""
                except (Exception, GeneratorExit) as e:
                    ok, token = False, exception_token(e)
                    try:
                        msg = str(e)[:200]
                    except BaseException:
                        msg = "<str raised>"
                t1 = clock()
                if op.blocking and t1 - t0 > ops_module.BLOCK_TIMEOUT * 0.9e9:
                    waited_long = True
                out.append(Call(t, k, op, t0, t1, ok, token, msg))
            with self.lock:
                job["left"] -= 1
                if job["left"] == 0:
                    self.done.set()


def _sequential_call(obj: Any, op: Op, thread: int, index: int, normaliser: Callable[[Any], Any] | None) -> Call:
    """One call made by the main thread alone (a prefix write, a final read), timed and recorded."""
    clock = time.perf_counter_ns
    t0 = clock()
    try:
        value = raw_apply(obj, op)
        if normaliser is not None:
            value = normaliser(value)
        ok, token, msg = True, normalise(value, obj), ""
    except (Exception, GeneratorExit) as e:
        ok, token, msg = False, exception_token(e), str(e)[:200]
    return Call(thread, index, op, t0, clock(), ok, token, msg)


def _prefix(obj: Any, plan: Plan, thread: int, normaliser: Callable[[Any], Any] | None, rng: random.Random) -> list[Call]:
    """For a type whose writes are documented as unsafe to share (`DOCUMENTED_PROFILES`): 0-3
    writes applied alone before the readers start, recorded as calls (in real time before every
    other call), so the concurrent reads meet varied states without a write racing them."""
    if not plan.profile:
        return []
    writers = [t for t in plan.templates if t.name in plan.writers and not t.blocking]
    out = []
    for k in range(rng.randint(0, 3) if writers else 0):
        out.append(_sequential_call(obj, rng.choice(writers).make(rng, plan.values), thread, k, normaliser))
    return out


FINAL_READS = 16  # sequential, after everything: no branching for the checker


def _final_reads(obj: Any, plan: Plan, thread: int, normaliser: Callable[[Any], Any] | None,
                 rng: random.Random) -> list[Call]:
    """After the threads: up to `FINAL_READS` observers read once each, in real time after every
    other call, so a lost update shows in the final state (a read-only suffix to the history)."""
    chosen = rng.sample(plan.observers, min(FINAL_READS, len(plan.observers)))
    out = []
    for k, t in enumerate(chosen):
        out.append(_sequential_call(obj, t.make(rng, plan.values), thread, k, normaliser))
    return out


class Hang(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.detail)
        self.finding = finding


def round_scenario(cfg: Config, plan: Plan, round_index: int) -> tuple[str, list[list[Op]]]:
    """The scenario of one round, regenerated from (seed, round) alone."""
    rng = random.Random(cfg.seed * 1_000_003 + round_index)
    hammer_round = cfg.mode == "hammer" or (cfg.mode == "both" and cfg.hammer_every and round_index % cfg.hammer_every == cfg.hammer_every - 1)
    templates = plan.templates
    if hammer_round:  # waiting calls would stall a hammer round's threads for their whole timeout
        templates = [t for t in templates if not t.blocking] or templates
    pick = rng.random()
    readers = [t for t in templates if t.name not in plan.writers]
    if plan.profile and readers:  # only concurrent reads are promised; writes run before, alone (`_prefix`)
        subset = rng.sample(readers, min(len(readers), rng.choice((1, 1, 1, 2, 3))))
    elif hammer_round and pick < 0.5:  # every thread on one operation: the commonest real bug
        mutators = [t for t in plan.mutators if not t.blocking]
        subset = [rng.choice(mutators if mutators and rng.random() < 0.7 else templates)]
    elif pick < 0.35 and plan.mutators and plan.observers:  # writes meet a read (and each other)
        m = rng.choice(plan.mutators)
        subset = [m, m, rng.choice(plan.observers)]
    elif pick < 0.6 and plan.mutators:  # one write from every thread; the final reads observe
        subset = [rng.choice(plan.mutators)]
    elif pick < 0.8 and plan.mutators:
        subset = [rng.choice(plan.mutators), rng.choice(plan.mutators)] + ([rng.choice(plan.observers)] if plan.observers else [])
    else:
        subset = rng.sample(templates, min(len(templates), rng.choice((1, 2, 2, 3, 3, 4))))
    releasers = [t for t in plan.mutators if not t.blocking and t.name not in {b.name for b in subset if b.blocking}]
    if any(t.blocking for t in subset) and releasers and not any(t in releasers for t in subset):
        subset = subset + [rng.choice(releasers)]  # a waiter meets something that can release it
    long_round = not hammer_round and cfg.long_every and round_index % cfg.long_every == cfg.long_every - 1
    if hammer_round:
        threads, per = max(2, cfg.threads), cfg.hammer_ops
    elif long_round:
        # without pickled states the checker cannot merge orders: keep long rounds shorter
        threads, per = max(2, cfg.threads), rng.randint(12, 30) if plan.picklable else rng.randint(6, 12)
    else:
        threads, per = rng.randint(2, max(2, cfg.threads)), 0
    scripts = []
    waiting = [t for t in subset if t.blocking]
    for k in range(threads):
        count = per or rng.randint(cfg.ops_min, cfg.ops_max)
        script = [rng.choice(subset).make(rng, plan.values) for _ in range(count)]
        if waiting and k < (threads + 1) // 2:  # half the threads start by waiting: wake-ups need sleepers
            script[0] = rng.choice(waiting).make(rng, plan.values)
        scripts.append(script)
    return ("hammer" if hammer_round else "lincheck"), scripts


#: Types whose documentation says in-place mutation of a shared instance is not thread-safe (only
#: concurrent reads are): their writers are composite, so a round with a write is checked for
#: crashes, hangs and new exception types only, and a round of reads for linearizability.
DOCUMENTED_PROFILES = {
    "numpy.ndarray": "NumPy does not make in-place mutation of a shared array atomic: concurrent writes and "
                     "reads are the user's to serialise (numpy.org/doc/stable/reference/thread_safety.html)",
}


def documented_profile(obj: Any) -> str:
    """The documented atomicity caveat of `obj`'s type (or a base class), or ""."""
    for k in type(obj).__mro__:
        found = DOCUMENTED_PROFILES.get(f"{k.__module__}.{k.__qualname__}")
        if found:
            return found
    return ""


class _Oversleep:
    """A daemon thread that sleeps 2 ms at a time and keeps the longest oversleep since `reset`:
    how late this machine wakes a sleeping thread right now (the lost-wake-up bound scales with it)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.stop = False
        threading.Thread(target=self._run, daemon=True, name="zerocode-oversleep").start()

    def _run(self) -> None:
        clock = time.perf_counter
        while not self.stop:
            t0 = clock()
            time.sleep(0.002)
            late = clock() - t0 - 0.002
            if late > self.worst:
                self.worst = late

    def reset(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst


class GilEnabled(Exception):
    """Importing the target re-enabled the GIL on a free-threaded build: nothing would be checked
    without it (the CLI exits 3, never clean)."""


def gil_state() -> tuple[bool, bool]:
    """(free-threaded build, GIL enabled now)."""
    import sysconfig

    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return free_threaded, bool(getattr(sys, "_is_gil_enabled", lambda: True)())


def _leaves(token: Any, out: set[Any], elements: bool = False) -> set[Any]:
    """The scalars of a token (type tags included: they are strings on both sides). With
    `elements` (arguments), also the items of strings, bytes, sets and dicts: `extend(b"AB")` puts
    65 and 66 into a deque."""
    stack = [token]
    while stack:
        t = stack.pop()
        if isinstance(t, (tuple, frozenset, list)):
            stack.extend(t)
        elif elements and isinstance(t, (str, bytes, bytearray, set, dict)) and len(t) < 10_000:
            stack.extend(t.items() if isinstance(t, dict) else t if not isinstance(t, str) or len(t) > 1 else ())
            out.add(bytes(t) if isinstance(t, bytearray) else t if not isinstance(t, (set, dict)) else None)
        else:
            try:
                out.add(t)
            except TypeError:
                out.add(repr(t))
    return out


def _structured(token: Any) -> bool:
    """A token with elements (`normalise`'s container shapes), not a repr or a pickle."""
    if not isinstance(token, tuple) or len(token) < 2:
        return False
    if token[1] in ("pickle",) or (len(token) == 2 and isinstance(token[1], (str, bytes))):
        return False
    return True


def _no_overlap(calls: list[Call]) -> bool:
    """Whether no two calls overlap in time: then one order exists, and a mismatch is
    nondeterminism (or the replay's context), never a concurrency violation."""
    rows = sorted(calls, key=lambda c: c.invoke_ns)
    return all(a.response_ns < b.invoke_ns for a, b in zip(rows, rows[1:]))


def run_in_process(cfg: Config, emit: Callable[[str, dict[str, Any]], None], on_round: Callable[[int], None] = lambda r: None) -> list[Finding]:
    """Learns, then runs rounds until the first finding or the time cap. `emit(kind, data)` gets
    "plan", "progress", "observation" and "finding" events as they happen (the child streams them)."""
    findings: list[Finding] = []
    # Deprecated aliases (`Event.isSet`) warn on every call: thousands of lines that say nothing
    # about thread safety. Filters are process-wide; the child is this run's own process.
    warnings.simplefilter("ignore", DeprecationWarning)
    factory, literals = load_target(cfg.target)
    normaliser = load_callable(cfg.normaliser) if cfg.normaliser else None
    try:
        probe = factory()
    except BaseException as e:
        raise BadTarget(f"target {cfg.target!r}: the factory raised {type(e).__name__}: {e}") from None
    try:
        again = factory()
    except BaseException as e:
        raise BadTarget(f"target {cfg.target!r}: the factory raised {type(e).__name__} on its second call: {e}") from None
    if again is probe:
        raise BadTarget(f"target {cfg.target!r}: the factory returned the same object twice; every round needs a fresh "
                        "object (a module, a singleton or a cached instance carries state from round to round, so no "
                        "replay could explain it): give a factory that builds a new one")
    del again
    free_threaded, gil = gil_state()
    if free_threaded and gil and not cfg.allow_gil and os.environ.get("PYTHON_GIL") != "1":
        raise GilEnabled(f"importing {cfg.target.split(':')[0]!r} re-enabled the GIL on this free-threaded interpreter "
                         "(an extension without Py_mod_gil / gil_used = false): nothing would be checked without it. "
                         "Declare the module free-threading safe, or pass --allow-gil to check it with the GIL on")
    values = Values()
    values.harvest(literals)
    ops_module.BLOCK_TIMEOUT = cfg.block_timeout
    ops_module.USER_GENS.clear()
    for param, spec in cfg.arg_gens.items():
        ops_module.USER_GENS[param] = load_callable(spec, f"--arg {param}")
    try:
        templates = discover(probe, include=cfg.ops, exclude=cfg.exclude)
    except ValueError as e:
        raise BadTarget(str(e)) from None
    if not templates:
        raise BadTarget(f"target {cfg.target!r}: no operations to run (discovered none, or all excluded)")
    apply = make_apply(normaliser)
    lazy: set[str] = set()
    rng = random.Random(cfg.seed)
    t_learn = time.monotonic()
    plan = learn(factory, templates, values, make_apply(normaliser, lazy.add), rng, cfg.learn_seconds)
    progress = Progress(learn_seconds=round(time.monotonic() - t_learn, 3))
    plan.composite = {t.name: t.composite for t in plan.templates if t.composite}
    for name in sorted(lazy):
        plan.composite.setdefault(name, "returns an iterator or view (reading it iterates the object)")
    for t in plan.templates:
        if t.blocking and t.name in plan.unmet and t.name not in plan.met_seen:
            plan.rendezvous.add(t.name)
            plan.composite[t.name] = "a rendezvous: it never succeeded alone, only with a concurrent partner (Barrier.wait)"
    for name in cfg.composite:
        plan.composite[name] = "marked composite by the user"
    mutator_names = {t.name for t in plan.mutators}
    profile = documented_profile(probe)
    plan.profile = profile
    if profile:  # the type's own documentation: in-place mutation of a shared object is not atomic
        for name in plan.writers:
            plan.composite.setdefault(name, profile)
        mutator_names |= plan.writers
    composite = set(plan.composite)
    transient = _Transient(cfg.transient, cfg.default_transients)
    # "changed size during iteration" is by design from a composite operation, and from a method
    # written in Python (it iterates in steps, with no atomicity promise); from a C or Rust call
    # that CPython or the extension makes atomic, it is a finding.
    transient.composite = composite | {t.name for t in plan.templates if t.python_level}
    rep = lincheck.Replayer(factory, apply, fingerprint=cfg.state_key)
    plan.picklable = rep.use_pickle
    emit("plan", dict(plan.summary(), learn_seconds=progress.learn_seconds, gil_enabled=gil, free_threaded=free_threaded))

    def compare(call: Call, ok: bool, token: Token) -> bool:
        try:
            if call.op.name in plan.nondeterministic:
                return call.ok == ok and (ok or call.token == token)
            return call.ok == ok and call.token == token
        except Exception:  # a corrupt recorded result (SystemError from ==) matches nothing
            return False

    def elapsed() -> float:
        return round(time.monotonic() - started, 3)

    torn_types = {"KeyError", "IndexError", "RuntimeError", "StopIteration", "ValueError"}

    def unexpected(calls: list[Call], scripts: list[list[Op]], round_index: int, everyone: list[Call] | None = None) -> Finding | None:
        """An exception type the operation never raised alone, nor in sequential orders of the round.
        A composite call (an iteration) that a mutator overlapped may meet a key or index that
        went away mid-way: a lookup or "changed during iteration" error is then a torn read, by
        design; with no mutator overlapping it, it is a finding like any other."""
        for c in calls:
            if c.ok or c.token[1] in plan.raises.get(c.op.name, set()):
                continue
            if c.thread > len(scripts):
                continue  # a write of the sequential prefix (`_prefix`): nothing ran beside it
            if c.op.name in composite and c.token[1] in torn_types and any(
                    m.op.name in mutator_names and m.invoke_ns < c.response_ns and c.invoke_ns < m.response_ns
                    for m in everyone or calls):
                continue
            if _sequentially_possible(factory, scripts, c, apply, random.Random(round_index), plan):
                continue  # a state learning never reached, not a concurrency effect
            return Finding("unexpected_exception",
                           f"{c.op.label()} raised {c.token[1]}: {c.exc_message} under concurrency; run alone it "
                           f"raises only {sorted(plan.raises.get(c.op.name, set())) or 'nothing'} (also in "
                           f"{VERIFY_ORDERS} sequential orders of this round's operations)",
                           elapsed(), cfg.seed, round_index, op=c.op.label())
        return None

    def impossible(comp: list[Call], atomic: list[Call], order: list[int], scripts: list[list[Op]],
                   mutating: bool, round_index: int) -> Finding | None:
        """The weaker check of composite operations: a value no state held.

        Observers (iteration, views, pickles, copies): every scalar they return must be one the
        object held in a state of the witness order, was given as an argument, or returned from an
        atomic call. Composite mutators (a shared iterator's `next`): every result must be one
        that some sequential order of the round's operations returns (skipping and repeating are
        by design; inventing is not).
        """
        if not comp:
            return None
        if mutating:
            seen: dict[str, set[Any]] = {}
            orng = random.Random(round_index)
            for _ in range(VERIFY_ORDERS // 3):
                obj = factory()
                cursors = [0] * len(scripts)
                live = [t for t in range(len(scripts)) if scripts[t]]
                while live:
                    t = orng.choice(live)
                    op = scripts[t][cursors[t]]
                    cursors[t] += 1
                    if cursors[t] == len(scripts[t]):
                        live.remove(t)
                    ok, token = apply(obj, op)
                    if ok:
                        seen.setdefault(op.name, set()).add(token)
            # ...and what the iterator yields when only it is called (a `close` in a sampled order
            # would cut the sequence short: a value the samples miss is not thereby invented)
            for op in {c.op for c in comp if c.op.name in ("next", "send")}:
                obj = factory()
                for _ in range(len(comp) + 1):
                    ok, token = apply(obj, op)
                    if not ok:
                        break
                    seen.setdefault(op.name, set()).add(token)
            for c in comp:
                if c.op.name in plan.rendezvous or c.op.name not in ("next", "send"):
                    continue  # only a shared iterator's items are compared whole (a rendezvous' successes exist only concurrently)
                if c.ok and c.token not in seen.get(c.op.name, set()) and c.op.name in plan.composite:
                    return Finding("impossible_value",
                                   f"{c.op.label()} returned {c.token!r}, a value no sequential order of this round's "
                                   f"operations returns ({plan.composite[c.op.name]}: skipping or repeating is by "
                                   "design, inventing is not)", elapsed(), cfg.seed, round_index, op=c.op.label(),
                                   history=History(comp + atomic, cfg.seed, round_index).describe())
            return None
        universe: set[Any] = set()
        for c in comp + atomic:
            _leaves(c.op.args, universe, elements=True)
            _leaves(tuple(v for _, v in c.op.kwargs), universe, elements=True)
        for c in atomic:
            _leaves(c.token, universe)
        ops = {c.op.label(): c.op for c in comp}
        obj = factory()
        for op in ops.values():
            _leaves(apply(obj, op)[1], universe)
        for i in order:
            apply(obj, atomic[i].op)
            for op in ops.values():
                _leaves(apply(obj, op)[1], universe)
        for c in comp:
            if not c.ok or not _structured(c.token):
                continue  # a scalar (a pickle, a repr) cannot be read element by element
            extra = _leaves(c.token, set()) - universe
            if extra:
                return Finding("impossible_value",
                               f"{c.op.label()} returned {sorted(map(repr, extra))[:5]}, value(s) the object never held "
                               f"in any state of this round ({plan.composite.get(c.op.name, 'composite')}; its other "
                               "elements are not compared)", elapsed(), cfg.seed, round_index, op=c.op.label(),
                               history=History(sorted(comp + atomic, key=lambda x: x.invoke_ns), cfg.seed, round_index).describe())
        return None

    def lost_wakeup(atomic: list[Call], round_index: int, oversleep: float) -> Finding | None:
        """A waiter that waited on after a state that would have released it (see docs/zerocode.md,
        "Waiting operations"). Only calls that waited longer than the bound are examined: the
        bound is `wake_bound`, or 4x the longest oversleep of the harness's own 2 ms sleeper in
        this round if that is longer (a loaded machine delays every wake-up alike)."""
        # The machine's own delays in this round: the 2 ms sleeper's oversleep, and the slowest
        # call that never waits (a 3.13t stop-the-world pause or a preemption stretched a pure
        # `frozenset.issubset` to 110 ms under load). A wake-up is late only beyond both.
        noise = max((x.response_ns - x.invoke_ns for x in atomic if not x.op.blocking), default=0) / 1e9
        bound = max(cfg.wake_bound, 4 * oversleep, 2 * noise)
        bound_ns = int(bound * 1e9)
        for c in atomic:
            if not c.op.blocking or c.op.name not in plan.unmet or c.op.name in plan.rendezvous:
                continue
            if c.response_ns - c.invoke_ns <= bound_ns:
                continue
            unmet_ok, unmet_token = plan.unmet[c.op.name]
            timed_out = c.ok == unmet_ok and c.token == unmet_token
            if not timed_out and not c.ok:
                continue  # it raised something else: not a wake-up (the object may be broken)
            t_p = c.response_ns - bound_ns
            moved = dataclasses.replace(c, invoke_ns=t_p if timed_out else t_p + 1)
            hist = [moved if x is c else x for x in atomic]
            if not timed_out:  # it returned late: was its condition still unmet a bound before it returned?
                hist.append(Call(c.thread, -1, c.op, t_p, t_p, unmet_ok, unmet_token, "(probe)"))
            verdict = lincheck.check(hist, rep, compare, cfg.max_nodes, cfg.check_seconds)
            if verdict.linearizable is False:
                waited = (c.response_ns - c.invoke_ns) / 1e9
                what = "timed out" if timed_out else "returned"
                return Finding("lost_wakeup",
                               f"{c.op.label()} {what} after {waited:.3f} s, but every sequential explanation of the round "
                               f"had its condition met for at least the last {bound:.3f} s before it {what} "
                               f"(its wake-up was lost or late; bound {cfg.wake_bound} s, machine oversleep "
                               f"{oversleep * 1000:.1f} ms, slowest non-waiting call {noise * 1000:.1f} ms)",
                               elapsed(), cfg.seed, round_index, op=c.op.label(),
                               history=History(sorted(atomic, key=lambda x: x.invoke_ns), cfg.seed, round_index).describe())
        return None

    def confirmed_lost_wakeup(atomic: list[Call], scripts: list[list[Op]], kind: str, round_index: int,
                              oversleep: float) -> Finding | None:
        """`lost_wakeup` only if the same round, run again, shows it again (up to CONFIRM_RUNS
        times): a correct waiter the machine delayed once is not delayed the same way twice,
        while a forgotten notification is forgotten every time its interleaving recurs. An
        unconfirmed case is an observation."""
        first = lost_wakeup(atomic, round_index, oversleep)
        if first is None:
            return None
        for k in range(CONFIRM_RUNS):
            sleeper.reset()
            calls = pool.run(factory(), scripts, cfg.round_timeout, random.Random(cfg.seed * 7 + round_index))
            if calls is None:
                return None  # a hang: the next round's watchdog reports it
            again = [c for c in calls if not transient.match(c) and c.op.name not in composite]
            if lincheck.check(again, rep, compare, cfg.max_nodes, cfg.check_seconds).linearizable and \
                    lost_wakeup(again, round_index, sleeper.reset()) is not None:
                first.detail += f" (seen again in re-run {k + 1} of up to {CONFIRM_RUNS} of the same round)"
                return first
        text = f"round {round_index}: an unconfirmed late wake-up ({first.detail}); not seen again in {CONFIRM_RUNS} re-runs"
        plan.observations.append(text)
        emit("observation", {"detail": text, "round": round_index})
        return None

    pool = _Pool(max(2, cfg.threads), normaliser)
    sleeper = _Oversleep()
    switch = 1e-6 if gil else None
    old_switch = sys.getswitchinterval()
    started = time.monotonic()
    last_progress = started
    round_index = cfg.replay_round if cfg.replay_round is not None else 0
    try:
        if switch:
            sys.setswitchinterval(switch)
        while True:
            now = time.monotonic()
            if now - started >= cfg.seconds or (cfg.max_rounds is not None and progress.rounds >= cfg.max_rounds):
                break
            kind, scripts = round_scenario(cfg, plan, round_index)
            on_round(round_index)
            obj = factory()
            timeout = cfg.round_timeout
            before = _prefix(obj, plan, len(scripts) + 1, normaliser, random.Random(cfg.seed * 13 + round_index))
            if sleeper is not None:
                sleeper.reset()
            calls = pool.run(obj, scripts, timeout, random.Random(cfg.seed * 7 + round_index),
                             HAMMER_BUDGET_NS if kind == "hammer" else 0)
            if calls is not None:
                calls = before + calls
            oversleep = sleeper.reset() if sleeper is not None else 0.0
            progress.rounds += 1
            if calls is None:
                f = Finding("hang", f"a {kind} round did not finish within {timeout:.1f} s (hang or deadlock); "
                            f"operations: " + "; ".join(f"t{t}: " + ", ".join(op.label() for op in s[:8]) for t, s in enumerate(scripts)),
                            elapsed(), cfg.seed, round_index)
                raise Hang(f)
            if kind == "lincheck" and plan.observers:
                calls.extend(_final_reads(obj, plan, len(scripts), normaliser, random.Random(round_index)))
            progress.calls += len(calls)
            kept = [c for c in calls if not transient.match(c)]
            progress.transient += len(calls) - len(kept)
            finding: Finding | None = None
            comp = [c for c in kept if c.op.name in composite]
            atomic = [c for c in kept if c.op.name not in composite]
            comp_mutating = any(c.op.name in mutator_names for c in comp)
            if kind == "hammer":
                progress.hammer_rounds += 1
                finding = unexpected(kept, scripts, round_index)
            elif comp_mutating:  # a shared iterator: no order is promised, so no linearizability
                progress.lincheck_rounds += 1
                finding = unexpected(kept, scripts, round_index) or impossible(comp, atomic, [], scripts, True, round_index)
            else:
                progress.lincheck_rounds += 1
                t0 = time.perf_counter()
                verdict = lincheck.check(atomic, rep, compare, cfg.max_nodes, cfg.check_seconds)
                progress.check_seconds += time.perf_counter() - t0
                if verdict.linearizable is None:
                    progress.undecided += 1
                    finding = unexpected(comp, scripts, round_index, kept)
                elif verdict.linearizable:
                    for c in atomic:
                        if not c.ok:
                            plan.raises.setdefault(c.op.name, set()).add(c.token[1])
                    finding = unexpected(comp, scripts, round_index, kept) or impossible(
                        comp, atomic, verdict.order, scripts, False, round_index)
                    if finding is None:
                        finding = confirmed_lost_wakeup(atomic, scripts, kind, round_index, oversleep)
                elif _no_overlap(atomic):
                    _note_nondeterminism(plan, atomic, rep, emit, round_index)
                    progress.observations += 1
                else:
                    small = lincheck.minimise(atomic, rep, compare, cfg.max_nodes)
                    new_exc = sorted({c.token[1] for c in small if not c.ok and c.token[1] not in plan.raises.get(c.op.name, set())})
                    finding = Finding(
                        "not_linearizable",
                        f"{len(small)} of {len(atomic)} calls have no sequential explanation"
                        + (f" (raised {', '.join(new_exc)}, never raised alone)" if new_exc else ""),
                        elapsed(), cfg.seed, round_index,
                        history=History(small, cfg.seed, round_index).describe(),
                        extra={"full_history_calls": len(atomic)},
                    )
            if finding is not None:
                finding.extra.update(progress=vars(progress).copy())
                findings.append(finding)
                emit("finding", finding.as_json())
                break
            if cfg.replay_round is None:
                round_index += 1
            if time.monotonic() - last_progress > 0.5:
                last_progress = time.monotonic()
                emit("progress", vars(progress).copy())
    finally:
        if switch:
            sys.setswitchinterval(old_switch)
        if sleeper is not None:
            sleeper.stop = True
    progress.check_seconds = round(progress.check_seconds, 4)
    emit("progress", dict(vars(progress), seconds=round(time.monotonic() - started, 3), final=True))
    return findings


def _note_nondeterminism(plan: Plan, calls: list[Call], rep: lincheck.Replayer, emit: Callable[[str, dict[str, Any]], None],
                         round_index: int) -> None:
    """A history with no overlapping calls that its one sequential order does not reproduce: the
    first call whose replayed outcome differs depends on something besides the calls (time, the
    calling thread, its stack). Its results are not compared from now on; an observation, never a
    finding."""
    obj = rep.factory()
    for c in sorted(calls, key=lambda x: x.invoke_ns):
        ok, token = rep.apply(obj, c.op)
        if ok != c.ok or token != c.token:
            plan.nondeterministic.add(c.op.name)
            text = (f"round {round_index}: {c.op.label()} gave {c.describe()} in a history with no overlapping calls, "
                    f"but {'-> ' + repr(token) if ok else 'raised ' + str(token[1])} when replayed in the same order: "
                    "its outcome depends on more than the calls (results no longer compared)")
            plan.observations.append(text)
            emit("observation", {"detail": text, "op": c.op.name, "round": round_index})
            return

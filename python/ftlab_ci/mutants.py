"""ci/mutants: a concurrency-mutation campaign — every detector layer run on every mutant.

Usage:
    ci/mutants --list                          # the mutation sites of src/core (no build)
    ci/mutants --quick                         # 4 mutants (one per operator), nextest + loom
    ci/mutants                                 # every site of src/core, nextest + loom
    ci/mutants --layers nextest,loom,pytest-3.13t,scenarios-3.13t --only queue.rs --max 6
    ci/mutants --crate ../mycrate --test-cmd 'cargo test' --test-cmd '.venv/bin/maturin develop && .venv/bin/pytest'

The sites come from `tools/mutants` (`ftlab-mutants`, a syn-based lister built here with cargo
into its own target dir): atomic orderings weakened to `Relaxed`, notifications removed, atomic
read-modify-writes split into a load and a store, two-lock acquisition order swapped, `gil_used`
flipped, `detach`/`allow_threads` removed. The campaign never touches the checkout: the crate is
copied (its git-listed files, else every file but `target/` and `.git/`) into a scratch tree
under the cache (`~/.cache/ftlab/mutants/<name>-<hash>/tree`, its own cargo target dir beside
it), and one mutant at a time is written there, built, run through every layer and reverted.

First the clean copy is built and every layer run on it: a layer that fails on the clean build
cannot judge a mutant, and the campaign stops (exit 2). Then per mutant: the build command (a
mutant that does not compile is discarded and counted), then each layer with its own time bound.
A layer *catches* a mutant when its command fails; `timeout` means it was killed at its bound or
its only failures were its own per-test timeouts (a hang: counted apart from a catch); `survived`
means it passed.

Layers on ftlab (`--layers`, default `nextest,loom`):
    nextest          cargo nextest run --workspace --profile ci (the repository's nextest config)
    loom             ci/loom on the models of the mutated file (tests/loom_<stem>.rs; the wake-up
                     policy and the sync shim map to every blocking protocol's model); a file
                     with no model: "not run"
    pytest-LABEL     the mutant built with maturin (release) for .venvs/LABEL's interpreter,
                     installed with `pip --target` into the scratch tree and put first on
                     PYTHONPATH (the venv is never written); python-tests/ under pytest
    scenarios-LABEL  the same build, `ftlab_harness run --quick` (the hand-written stress suite)
On another crate (`--crate PATH`): the layers are the `--test-cmd` commands (run with bash in the
scratch tree, CARGO_TARGET_DIR set), named test1, test2, … (`NAME=:CMD` names one).

Output: one table mutant x layer (survivors first), `OUT/mutants.jsonl` (one record per mutant,
and one `clean` record), `OUT/table.md`, and the logs of every run under `OUT/logs/`.
Exit status: 0 when the campaign ran (survivors are a result, not an error; with
`--require-caught`, 1 if a mutant that compiles is not caught), 2 on bad input or a layer failing
on the clean build.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from . import repo

ROOT = repo.ROOT
TOOL_DIR = ROOT / "tools" / "mutants"
OPS = ("notify_removed", "ordering_relaxed", "rmw_split", "lock_order_swapped", "gil_used_true", "detach_removed")
#: Verdicts of one layer on one mutant.
CAUGHT, SURVIVED, TIMEOUT, NOT_RUN, ERROR = "caught", "survived", "timeout", "not run", "error"
#: ftlab's source files that every blocking protocol's loom model depends on.
SHARED_LOOM = {"wake": ("latch", "once", "queue"), "sync": None}
DEFAULT_TIMEOUTS = {"nextest": 600.0, "loom": 900.0, "pytest": 900.0, "scenarios": 600.0, "test": 900.0}


def say(msg: str) -> None:
    print(f"[mutants] {msg}", file=sys.stderr, flush=True)


class BadInput(Exception):
    """A bad option or a crate the campaign cannot run on (the message says why)."""


@dataclass(frozen=True)
class Site:
    """One mutation site, as `ftlab-mutants` prints it (byte range into the file)."""

    file: str
    op: str
    line: int
    column: int
    start: int
    end: int
    original: str
    replacement: str
    function: str = ""

    @property
    def ident(self) -> str:
        return f"{self.file}:{self.line}:{self.column}:{self.op}"

    def apply(self, source: bytes) -> bytes:
        """The mutated source; refuses a source that no longer holds the original text."""
        if source[self.start:self.end].decode() != self.original:
            raise BadInput(f"{self.ident}: the source changed since the sites were listed")
        return source[:self.start] + self.replacement.encode() + source[self.end:]

    def describe(self) -> str:
        short = " ".join(self.original.split())
        if len(short) > 48:
            short = short[:45] + "..."
        return f"{self.op} in {self.function or '?'}: {short}"


def parse_sites(text: str, root: Path) -> List[Site]:
    """Sites from the lister's JSONL, paths made relative to `root`."""
    sites = []
    for line in text.splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        path = Path(d["file"])
        if path.is_absolute():
            path = path.relative_to(root)
        d["file"] = path.as_posix()
        sites.append(Site(**d))
    return sites


@dataclass
class Layer:
    """One detector: `run(mutated_file)` returns (verdict-relevant exit code or None for timeout, log)."""

    name: str
    timeout: float
    #: The command for a mutated file (relative path), or None when the layer has nothing for it.
    command: Callable[[Optional[str]], Optional[List[str]]]
    env: Dict[str, str] = field(default_factory=dict)
    #: Something to do before the command (a build); a failure is an error verdict.
    prepare: Optional[Callable[[], Optional[str]]] = None
    #: The log shows the verdict (a failure) even if the process then fails to exit: see run_bounded.
    verdict_in_log: Optional[re.Pattern[str]] = None


@dataclass
class Outcome:
    verdict: str
    seconds: float
    log: str = ""


def run_bounded(cmd: Sequence[str], cwd: Path, env: Dict[str, str], timeout: float, log: Path,
                verdict_in_log: Optional[re.Pattern[str]] = None, grace: float = 15.0) -> Optional[int]:
    """Run `cmd` in its own process group, output to `log`; its exit code, or None if killed at `timeout`.

    `verdict_in_log`: once the log matches it (pytest's "1 failed" summary), the process has given
    its verdict; if it has not exited `grace` seconds later (a failed deadlock test leaves threads
    that keep it alive), it is killed and 1 is returned instead of waiting for the bound.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        seen: Optional[float] = None
        while True:
            try:
                return proc.wait(timeout=1.0 if verdict_in_log is not None else max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if verdict_in_log is not None and seen is None and verdict_in_log.search(log.read_text(errors="replace")):
                seen = now
            if seen is not None and now - seen > grace:
                kill_group(proc)
                return 1
            if now >= deadline:
                kill_group(proc)
                return None


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group we started, then SIGKILL it after 5 s."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def verdict(rc: Optional[int], log_text: str) -> str:
    """A layer's verdict from its exit code: nonzero caught, None (killed at its bound) timeout.

    A failure made only of the layer's own per-test timeouts (nextest's `TIMEOUT`, a ci/loom
    model's `TIMEOUT` row) is a hang too: timeout, not caught. A layer whose own build of the
    mutant failed (loom compiles with another cfg) did not judge the mutant: error.
    """
    if rc is None:
        # pytest that reported a failed test and then could not exit (the deadlocked threads of
        # the failing test keep the process alive): the test caught it, the hang is its aftermath.
        return CAUGHT if PYTEST_FAILED.search(log_text) else TIMEOUT
    if rc == 0:
        return SURVIVED
    if "could not compile" in log_text or "error: failed to run custom build" in log_text:
        return ERROR
    failures = NEXTEST_STATUS.findall(log_text) + LOOM_ROW.findall(log_text)
    if failures and all(f == "TIMEOUT" for f in failures):
        return TIMEOUT
    return CAUGHT


#: pytest's summary of a run with a failed test: `1 failed, 21 passed in 61.53s`.
PYTEST_FAILED = re.compile(r"^(?:=+ )?\d+ failed\b", re.M)
#: nextest's status line of a test that did not pass: `     TIMEOUT [  60.007s] (49/49) ftlab ...`.
NEXTEST_STATUS = re.compile(r"^\s*(FAIL|TIMEOUT|SIGSEGV|SIGABRT|SIGKILL|ABORT|LEAK-FAIL)\s+\[", re.M)
#: ci/loom's table row of a model that did not pass: `latch  <model>  correct  TIMEOUT  120.00  -`.
LOOM_ROW = re.compile(r"^\S+\s+\S+\s+(?:correct|twin)\s+(FAIL|TIMEOUT|NOT CAUGHT)\s", re.M)


# ---------------------------------------------------------------------------------------------
# The scratch tree


def crate_key(crate: Path) -> str:
    return f"{crate.name}-{hashlib.sha256(str(crate.resolve()).encode()).hexdigest()[:8]}"


def crate_files(crate: Path) -> List[str]:
    """The crate's files: git's tracked and untracked-not-ignored ones, else all but build products."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=crate, check=True,
                             capture_output=True).stdout.decode()
        return sorted(f for f in out.split("\0") if f and (crate / f).is_file())
    except (OSError, subprocess.CalledProcessError):
        skip = {"target", ".git", ".venv", ".venvs", "out", "__pycache__", "node_modules"}
        return sorted(p.relative_to(crate).as_posix() for p in crate.rglob("*")
                      if p.is_file() and not skip.intersection(p.relative_to(crate).parts))


def sync_tree(crate: Path, tree: Path, files: Iterable[str]) -> int:
    """Make `tree` hold `files` as they are in `crate` (only changed files rewritten); how many written."""
    written = 0
    for rel in files:
        src, dst = crate / rel, tree / rel
        data = src.read_bytes()
        if dst.is_file() and not dst.is_symlink() and dst.read_bytes() == data:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.is_symlink():
            dst.unlink()
        dst.write_bytes(data)
        shutil.copymode(src, dst)
        written += 1
    return written


# ---------------------------------------------------------------------------------------------
# Sites


def build_lister(cache: Path) -> Path:
    """Build `ftlab-mutants` (cargo, release, its own target dir); the binary's path."""
    target = cache / "mutants-tool-target"
    binary = target / "release" / "ftlab-mutants"
    say("building the site lister (tools/mutants, cargo build --release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked", "--manifest-path",
                    str(TOOL_DIR / "Cargo.toml")], check=True, env=dict(os.environ, CARGO_TARGET_DIR=str(target)))
    return binary


def source_files(crate: Path, patterns: Sequence[str], exclude: Sequence[str]) -> List[str]:
    """The crate's `.rs` files matching any of `patterns` (globs relative to the crate) and no `exclude`."""
    found: set[str] = set()
    for pattern in patterns:
        found.update(p.relative_to(crate).as_posix() for p in crate.glob(pattern) if p.is_file())
    return sorted(f for f in found if not any(fnmatch.fnmatch(f, x) for x in exclude))


def list_sites(lister: Path, crate: Path, files: Sequence[str]) -> List[Site]:
    if not files:
        return []
    proc = subprocess.run([str(lister), *files], cwd=crate, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BadInput(f"ftlab-mutants failed: {proc.stderr.strip()}")
    return parse_sites(proc.stdout, crate)


def matches_site(site: Site, wanted: Sequence[str]) -> bool:
    """`site` is one of `wanted` (FILE:LINE, FILE:LINE:COLUMN or the whole ident; FILE may be a tail)."""
    for w in wanted:
        file, _, rest = w.partition(":")
        if not (site.file == file or site.file.endswith("/" + file)):
            continue
        if f"{site.line}:{site.column}:{site.op}".startswith(rest) and (
                rest.count(":") > 0 or rest == str(site.line)):
            return True
    return False


def select(sites: Sequence[Site], ops: Optional[Sequence[str]], only: Sequence[str], max_count: Optional[int],
           quick: bool = False) -> List[Site]:
    """Filter by operator and file, then spread the `max_count` picks round-robin over the operators.

    `quick`: the first site of each of the four main operators (a fixed, small sample).
    """
    chosen = [s for s in sites if (not ops or s.op in ops)
              and (not only or any(s.file == o or s.file.endswith("/" + o) or o in s.file for o in only))]
    if quick:
        picks = []
        for op in OPS[:4]:
            first = next((s for s in chosen if s.op == op), None)
            if first is not None:
                picks.append(first)
        return picks
    if max_count is None or max_count >= len(chosen):
        return list(chosen)
    by_op: Dict[str, List[Site]] = {}
    for s in chosen:
        by_op.setdefault(s.op, []).append(s)
    picks = []
    order = [op for op in OPS if op in by_op] + sorted(set(by_op) - set(OPS))
    i = 0
    while len(picks) < max_count:
        progressed = False
        for op in order:
            if i < len(by_op[op]) and len(picks) < max_count:
                picks.append(by_op[op][i])
                progressed = True
        if not progressed:
            break
        i += 1
    return picks


# ---------------------------------------------------------------------------------------------
# Layers


def loom_models(tree: Path, file: Optional[str]) -> Optional[List[str]]:
    """The ci/loom protocols that model `file` ([] none; None: every model, e.g. the clean run)."""
    models = sorted(p.stem[len("loom_"):] for p in (tree / "tests").glob("loom_*.rs"))
    if file is None:
        return None
    parts = Path(file).parts
    # src/core/<protocol>.rs, or a part of it: src/core/<protocol>/<part>.rs
    stem = parts[2] if len(parts) > 3 and parts[:2] == ("src", "core") else Path(file).stem
    if stem in SHARED_LOOM:
        shared = SHARED_LOOM[stem]
        return None if shared is None else [m for m in shared if m in models]
    return [stem] if stem in models else []


def ftlab_layers(names: Sequence[str], tree: Path, target: Path, timeouts: Dict[str, float]) -> List[Layer]:
    layers: List[Layer] = []
    cargo_env = {"CARGO_TARGET_DIR": str(target), "CARGO_TERM_COLOR": "never"}
    for name in names:
        if name == "nextest":
            layers.append(Layer("nextest", timeouts["nextest"], lambda _f: [
                "cargo", "nextest", "run", "--workspace", "--locked", "--profile", "ci", "--no-fail-fast",
                "--status-level", "fail", "--final-status-level", "fail"], cargo_env))
        elif name == "loom":
            def loom_cmd(f: Optional[str]) -> Optional[List[str]]:
                models = loom_models(tree, f)
                if models == []:
                    return None
                return [str(tree / "ci" / "loom"), *(models or [])]
            # ci/loom builds into $ROOT/target/loom: the scratch tree's `target` is a link to `target`.
            layers.append(Layer("loom", timeouts["loom"], loom_cmd, {"LOOM_TEST_TIMEOUT": "120"}))
        elif name.startswith(("pytest-", "scenarios-")):
            kind, label = name.split("-", 1)
            layers.append(python_layer(kind, label, tree, target, timeouts[kind]))
        else:
            raise BadInput(f"unknown layer {name!r} (nextest, loom, pytest-LABEL, scenarios-LABEL)")
    return layers


#: Per label, the source digest the scratch site was last built from (one build per mutant and label).
_BUILT: Dict[str, str] = {}


def python_layer(kind: str, label: str, tree: Path, target: Path, timeout: float) -> Layer:
    """pytest or the scenarios on the mutant built for .venvs/LABEL's interpreter (never into the venv)."""
    py = repo.venv_python(label.replace("+gil", ""))
    if not py.exists():
        raise BadInput(f"layer {kind}-{label}: no {py} (ci/envs {label} builds it)")
    site = tree.parent / "site" / label
    env = {"PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    if label.endswith("+gil"):
        env["PYTHON_GIL"] = "1"

    def prepare() -> Optional[str]:
        digest = hashlib.sha256(b"".join((tree / f).read_bytes() for f in ("Cargo.toml", "Cargo.lock"))
                                + b"".join(p.read_bytes() for p in sorted((tree / "src").rglob("*.rs")))).hexdigest()
        if _BUILT.get(label) == digest:
            return None
        wheels = target / "wheels" / label
        shutil.rmtree(wheels, ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)
        env_b = dict(os.environ, CARGO_TARGET_DIR=str(target / "py" / label.replace("+gil", "")), PYO3_PYTHON=str(py))
        maturin = py.parent / "maturin"
        steps = [[str(maturin), "build", "--release", "--quiet", "--interpreter", str(py), "--out", str(wheels),
                  "--manifest-path", str(tree / "Cargo.toml")]]
        for cmd in steps:
            p = subprocess.run(cmd, cwd=tree, env=env_b, capture_output=True, text=True, check=False)
            if p.returncode != 0:
                return f"maturin build failed: {p.stderr[-2000:]}"
        wheel = next(wheels.glob("*.whl"))
        p = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                            "--target", str(site), str(wheel)], capture_output=True, text=True, check=False)
        if p.returncode != 0:
            return f"pip install --target failed: {p.stderr[-2000:]}"
        _BUILT[label] = digest
        return None

    # Every command first checks that the scratch build (not the venv's ftlab) is the one imported.
    check = f"import ftlab, sys; sys.exit(0 if ftlab.__file__.startswith({str(site)!r}) else 'ftlab not from {site}')"
    if kind == "pytest":
        body = (f"{py} -c {sh_quote(check)} && {py} -m pytest -q -p no:cacheprovider -x --timeout=120 "
                f"-p no:randomly python-tests")
    else:
        body = f"{py} -c {sh_quote(check)} && {py} -m ftlab_harness run --quick"
    return Layer(f"{kind}-{label}", timeout, lambda _f: ["bash", "-c", body], env, prepare,
                 PYTEST_FAILED if kind == "pytest" else None)


def sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def shell_command(cmd: str) -> Callable[[Optional[str]], Optional[List[str]]]:
    return lambda _file: ["bash", "-c", cmd]


def command_layers(cmds: Sequence[str], timeout: float, target: Path) -> List[Layer]:
    """`--test-cmd` layers: `NAME=:CMD` or just `CMD` (named test1, test2, …)."""
    layers = []
    for i, spec in enumerate(cmds, 1):
        name, sep, cmd = spec.partition("=:")
        if not sep:
            name, cmd = (f"test{i}" if len(cmds) > 1 else "test"), spec
        layers.append(Layer(name, timeout, shell_command(cmd), {"CARGO_TARGET_DIR": str(target)}))
    return layers


# ---------------------------------------------------------------------------------------------
# The campaign


@dataclass
class MutantResult:
    ident: str
    op: str
    file: str
    line: int
    function: str
    original: str
    replacement: str
    compiled: bool
    build_seconds: float
    layers: Dict[str, str]
    seconds: Dict[str, float]

    def caught_by(self) -> List[str]:
        return [k for k, v in self.layers.items() if v == CAUGHT]

    def status(self) -> str:
        if not self.compiled:
            return "does not compile"
        if self.caught_by():
            return "caught"
        if any(v == TIMEOUT for v in self.layers.values()):
            return "hang only"
        return "SURVIVED"


class Campaign:
    def __init__(self, crate: Path, tree: Path, target: Path, build_cmd: List[str], layers: List[Layer],
                 out: Path) -> None:
        self.crate, self.tree, self.target, self.build_cmd = crate, tree, target, build_cmd
        self.layers, self.out = layers, out
        self.env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_TERM_COLOR="never")

    def build(self, tag: str) -> tuple[bool, float, Path]:
        log = self.out / "logs" / tag / "build.log"
        t0 = time.monotonic()
        rc = run_bounded(self.build_cmd, self.tree, self.env, 1800, log)
        return rc == 0, time.monotonic() - t0, log

    def run_layer(self, layer: Layer, tag: str, file: Optional[str], suffix: str = "") -> Outcome:
        cmd = layer.command(file)
        if cmd is None:
            return Outcome(NOT_RUN, 0.0)
        t0 = time.monotonic()
        if layer.prepare is not None:
            problem = layer.prepare()
            if problem is not None:
                log = self.out / "logs" / tag / f"{layer.name}{suffix}.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text(problem)
                return Outcome(ERROR, time.monotonic() - t0, str(log))
        log = self.out / "logs" / tag / f"{layer.name}{suffix}.log"
        rc = run_bounded(cmd, self.tree, dict(self.env, **layer.env), layer.timeout, log, layer.verdict_in_log)
        text = log.read_text(errors="replace")
        return Outcome(verdict(rc, text), time.monotonic() - t0, str(log))

    def clean(self, files: Sequence[Optional[str]]) -> Dict[str, Outcome]:
        """Build the clean tree and run every layer on it (each layer's command for every mutated file)."""
        ok, secs, log = self.build("clean")
        if not ok:
            raise BadInput(f"the clean copy does not build (log: {log})")
        say(f"clean build: {secs:.0f} s")
        results: Dict[str, Outcome] = {}
        for layer in self.layers:
            seen: List[List[str]] = []
            total = 0.0
            for f in files:
                cmd = layer.command(f)
                if cmd is None or cmd in seen:
                    continue
                seen.append(cmd)
                o = self.run_layer(layer, "clean", f, suffix=f"-{len(seen)}")
                total += o.seconds
                say(f"clean {layer.name} {' '.join(cmd[1:])[:60]}: {o.verdict} in {o.seconds:.0f} s")
                if o.verdict != SURVIVED:
                    raise BadInput(f"layer {layer.name} does not pass on the clean build ({o.verdict}; log: {o.log}); "
                                   "a failing layer cannot judge mutants")
            results[layer.name] = Outcome(SURVIVED if seen else NOT_RUN, total)
        return results

    def mutant(self, site: Site, index: int) -> MutantResult:
        path = self.tree / site.file
        original = path.read_bytes()
        tag = f"{index:03d}-{Path(site.file).stem}-{site.line}-{site.op}"
        path.write_bytes(site.apply(original))
        try:
            ok, build_secs, _ = self.build(tag)
            layers: Dict[str, str] = {}
            seconds: Dict[str, float] = {}
            for layer in self.layers:
                if not ok:
                    layers[layer.name], seconds[layer.name] = NOT_RUN, 0.0
                    continue
                o = self.run_layer(layer, tag, site.file)
                layers[layer.name], seconds[layer.name] = o.verdict, round(o.seconds, 1)
        finally:
            path.write_bytes(original)
        return MutantResult(site.ident, site.op, site.file, site.line, site.function, site.original,
                            site.replacement, ok, round(build_secs, 1), layers, seconds)


def load_results(path: Path) -> List[MutantResult]:
    """The mutant records of a previous campaign's JSONL."""
    if not path.is_file():
        raise BadInput(f"--resume: no {path}")
    names = set(MutantResult.__dataclass_fields__)
    out = []
    for line in path.read_text().splitlines():
        d = json.loads(line) if line.strip() else {}
        if d.get("kind") == "mutant":
            out.append(MutantResult(**{k: v for k, v in d.items() if k in names}))
    return out


# ---------------------------------------------------------------------------------------------
# Output


def order(results: Sequence[MutantResult]) -> List[MutantResult]:
    """Survivors first, then hang-only, then caught (fewest layers first), then those not compiling."""
    rank = {"SURVIVED": 0, "hang only": 1, "caught": 2, "does not compile": 3}
    return sorted(results, key=lambda r: (rank[r.status()], len(r.caught_by()), r.file, r.line))


def table(results: Sequence[MutantResult], layer_names: Sequence[str], markdown: bool = False) -> str:
    rows = []
    for r in order(results):
        cells = []
        for name in layer_names:
            v = r.layers.get(name, NOT_RUN)
            secs = r.seconds.get(name, 0.0)
            cells.append(f"{v} {secs:.0f}s" if v not in (NOT_RUN,) else v)
        where = f"{r.ident.rsplit(':', 1)[0]} ({r.function})"  # file:line:column
        rows.append([r.status(), r.op, where, *cells, f"{r.build_seconds:.0f}s"])
    head = ["result", "operator", "site", *layer_names, "build"]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*row) for row in [head, *rows])


def summary(results: Sequence[MutantResult], layer_names: Sequence[str]) -> str:
    compiled = [r for r in results if r.compiled]
    parts = [f"{len(results)} mutants: {len(compiled)} compiled, {len(results) - len(compiled)} discarded "
             f"(do not compile); {sum(r.status() == 'caught' for r in compiled)} caught, "
             f"{sum(r.status() == 'hang only' for r in compiled)} caught only by a hang, "
             f"{sum(r.status() == 'SURVIVED' for r in compiled)} survived"]
    for name in layer_names:
        ran = [r for r in compiled if r.layers.get(name) not in (NOT_RUN, None)]
        parts.append(f"  {name}: caught {sum(r.layers[name] == CAUGHT for r in ran)}/{len(ran)} run"
                     f" (timeouts {sum(r.layers[name] == TIMEOUT for r in ran)})")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# CLI


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="ci/mutants", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true", help="print the mutation sites and exit (no build)")
    ap.add_argument("--quick", action="store_true",
                    help="a fixed sample: the first site of each of the four main operators, nextest + loom")
    ap.add_argument("--layers", help="comma-separated layers (ftlab: nextest, loom, pytest-LABEL, scenarios-LABEL; "
                                     "default nextest,loom)")
    ap.add_argument("--only", action="append", default=[], help="only sites in this file (a path or its tail; "
                                                                 "repeatable)")
    ap.add_argument("--site", action="append", default=[],
                    help="only this site: FILE:LINE or FILE:LINE:COLUMN, as --list prints (repeatable)")
    ap.add_argument("--ops", help=f"comma-separated operators (default all: {','.join(OPS)})")
    ap.add_argument("--max", type=int, help="at most N mutants, spread over the operators")
    ap.add_argument("--files", action="append",
                    help="globs of the files to mutate (repeatable; ftlab: src/core/**/*.rs, "
                         "another crate: src/**/*.rs)")
    ap.add_argument("--exclude", action="append", help="globs of files never mutated (default */broken.rs)")
    ap.add_argument("--crate", type=Path, help="the crate to mutate (default: this checkout)")
    ap.add_argument("--test-cmd", action="append", default=[],
                    help="with --crate: a layer's shell command, run in the scratch copy "
                         "(repeatable; NAME=:CMD names it)")
    ap.add_argument("--build-cmd", help="the build a mutant must pass to count (default: "
                                        "cargo test --workspace --no-run)")
    ap.add_argument("--timeout", type=float, help="seconds per layer and mutant (default per layer: nextest 600, "
                                                  "loom 900, pytest 900, scenarios 600, test commands 900)")
    ap.add_argument("--resume", type=Path, metavar="JSONL",
                    help="a previous campaign's mutants.jsonl: its mutants are not run again, their rows join "
                         "the table (--max counts the new ones)")
    ap.add_argument("--require-caught", action="store_true",
                    help="exit 1 unless every mutant that compiles is caught by some layer (not only by a hang); "
                         "ci/test's quick sample")
    ap.add_argument("--out", type=Path, help="output folder (default out/mutants in the crate)")
    ap.add_argument("--scratch", type=Path, help="scratch folder (default ~/.cache/ftlab/mutants/<crate>-<hash>)")
    ap.add_argument("--target-dir", type=Path,
                    help="cargo target dir for the mutants (default: SCRATCH/target). The scratch copy is another "
                         "path, so its crates never replace the checkout's artifacts in a shared target dir; "
                         "sharing one reuses the compiled dependencies (ci/test passes its own)")
    return ap.parse_args(list(argv))


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except BadInput as e:
        print(f"ci/mutants: error: {e}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    crate = (args.crate or ROOT).resolve()
    own = crate == ROOT.resolve()
    if not (crate / "Cargo.toml").is_file():
        raise BadInput(f"{crate}: no Cargo.toml")
    if args.test_cmd and own and not args.crate:
        raise BadInput("--test-cmd goes with --crate")
    if not own and not args.test_cmd and not args.list:
        raise BadInput("--crate needs at least one --test-cmd (the layers to run on each mutant)")
    cache = repo.cache_root()
    lister = build_lister(cache)
    patterns = args.files or (["src/core/**/*.rs", "src/core/*.rs"] if own else ["src/**/*.rs", "src/*.rs"])
    exclude = args.exclude if args.exclude is not None else ["*/broken.rs"]
    ops = args.ops.split(",") if args.ops else None
    for op in ops or []:
        if op not in OPS:
            raise BadInput(f"unknown operator {op!r} (one of {', '.join(OPS)})")
    sites = list_sites(lister, crate, source_files(crate, patterns, exclude))
    prior = load_results(args.resume) if args.resume else []
    done = {r.ident for r in prior}
    pool = [s for s in sites if s.ident not in done and (not args.site or matches_site(s, args.site))]
    chosen = select(pool, ops, args.only, args.max, quick=args.quick)
    if args.list:
        for s in chosen:
            print(f"{s.ident:<52} {s.function:<20} {' '.join(s.original.split())[:60]!r} -> "
                  f"{' '.join(s.replacement.split())[:70]!r}")
        counts: Dict[str, int] = {}
        for s in chosen:
            counts[s.op] = counts.get(s.op, 0) + 1
        print(f"{len(chosen)} sites: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return 0
    if not chosen:
        raise BadInput("no mutation site matches" + (" (that the resumed campaign has not run)" if prior else ""))

    base = args.scratch or cache / "mutants" / crate_key(crate)
    tree, target = base / "tree", (args.target_dir or base / "target").resolve()
    tree.mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    written = sync_tree(crate, tree, crate_files(crate))
    link = tree / "target"  # ci/loom builds into $ROOT/target/loom
    if link.exists() and not link.is_symlink():
        raise BadInput(f"{link} exists and is not a link to the mutants' target dir")
    if not link.is_symlink() or link.resolve() != target:
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    say(f"scratch copy {tree} ({written} files updated), cargo target dir {target}")

    out = (args.out or crate / "out" / "mutants").resolve()
    out.mkdir(parents=True, exist_ok=True)
    if own:
        names = args.layers.split(",") if args.layers else ["nextest", "loom"]
        timeouts = {k: args.timeout or v for k, v in DEFAULT_TIMEOUTS.items()}
        layers = ftlab_layers(names, tree, target, timeouts)
    else:
        layers = command_layers(args.test_cmd, args.timeout or DEFAULT_TIMEOUTS["test"], target)
        if args.layers:
            keep = args.layers.split(",")
            layers = [la for la in layers if la.name in keep]
    build_cmd = ["bash", "-c", args.build_cmd] if args.build_cmd else (
        ["cargo", "test", "--workspace", "--locked", "--no-run"] if own else ["cargo", "test", "--no-run"])
    campaign = Campaign(crate, tree, target, build_cmd, layers, out)
    layer_names = [la.name for la in layers]

    t0 = time.monotonic()
    say(f"{len(chosen)} mutants of {len(sites)} sites; layers {', '.join(layer_names)}; first the clean build")
    clean = campaign.clean(sorted({s.file for s in chosen}))
    jsonl = out / "mutants.jsonl"
    with jsonl.open("w") as f:
        f.write(json.dumps({"kind": "clean", "layers": {k: asdict(v) for k, v in clean.items()}}) + "\n")
    results: List[MutantResult] = list(prior)
    with jsonl.open("a") as f:
        for r in prior:
            f.write(json.dumps(dict(asdict(r), kind="mutant", status=r.status(), resumed=True)) + "\n")
    for i, site in enumerate(chosen, 1):
        say(f"[{i}/{len(chosen)}] {site.ident}: {site.describe()}")
        r = campaign.mutant(site, i)
        results.append(r)
        say(f"[{i}/{len(chosen)}] {r.status()}: " + ", ".join(f"{k} {v}" for k, v in r.layers.items())
            + f" (build {r.build_seconds:.0f} s)")
        with jsonl.open("a") as f:
            f.write(json.dumps(dict(asdict(r), kind="mutant", status=r.status())) + "\n")
    elapsed = time.monotonic() - t0
    text = table(results, layer_names)
    summ = summary(results, layer_names)
    print(text)
    print(summ)
    print(f"campaign time: {elapsed:.0f} s ({len(chosen)} mutants run, clean run included); JSONL: {jsonl}")
    (out / "table.md").write_text(table(results, layer_names, markdown=True) + "\n\n" + summ
                                  + f"\n\ncampaign time: {elapsed:.0f} s\n")
    if args.require_caught:
        missed = [r for r in results if r.compiled and r.status() != "caught"]
        if missed or not any(r.compiled for r in results):
            print("ci/mutants: FAILED: not caught: " + (", ".join(r.ident for r in missed) or "no mutant compiled"))
            return 1
    return 0

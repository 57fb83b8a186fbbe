"""The pytest plugin (`pytest11` entry point `ftlab_harness`): run harness checks from a test suite.

    def test_my_list_is_thread_safe(ftlab_harness):
        ftlab_harness.run(MyScenario)                        # a Scenario class (or instance)
        ftlab_harness.run("stress/my_scenarios.py", "mine.list", threads=8, duration=2)

`ftlab_harness.run(...)` runs ONE scenario in its own child interpreter, exactly as
`ftlab-harness run` does (the same `run.run_scenarios`), and fails the test with what went wrong:
the violated invariants and their first details, the crash signal and faulthandler's stacks, or
the hang's stacks. It returns the `StressRunRecord` (call with `check=False` to inspect a result
that did not pass instead of failing). A test that checked nothing (every scenario skipped, the GIL
guard refused the target) fails too: nothing checked is never a pass.

A Scenario class or instance must be defined at module level of an importable file (the child
loads that file and finds the scenario by its `name`); the test module itself is fine.

The record reads like its JSONL line: `rec.outcome`, `rec.ops`, `rec.seconds`, `rec.violations`,
`rec.violation_details`, `rec.detail` (all of it in `rec.result`).

Options: `--ftlab-threads N`, `--ftlab-duration S`, `--ftlab-hang-timeout S` set the defaults;
`--ftlab-seed N` the seed (default: random per session, printed in the header; every call may
pass `seed=`); `--ftlab-jsonl FILE` appends every record. Bad input (an unknown scenario, a file
that does not import, a target that does not import, threads <= 0) fails the test with one line
starting `ftlab-harness: bad input:`; a failure of the harness itself is never reported as bad
input (`ftlab-harness: internal error:`). A test that failed ends with `replay:` commands to paste
(`ftlab-harness run ...` / `ftlab-harness zerocode ...`, and the pytest command with its seed).

Thread-safe: the fixture may be called from several threads at once (pytest-run-parallel's
`--parallel-threads`), and works under pytest-xdist (every worker uses the controller's seed).

Extension point: `register_check(name, runner)` adds a kind of check the same fixture runs with
`ftlab_harness.check(name, **kwargs)`; `run` is the built-in check "scenario". The zero-code checks
(`ftlab_harness.zerocode`) plug in here: a runner takes the fixture's `Defaults` and keyword
arguments and returns a record (any object with `to_json()` giving `outcome` and `detail`);
`replay`, if given, makes the command line that reruns a failed check (shown with the failure).

    ftlab_harness.check("zerocode", "mymod:Racy()", path="src", seconds=2, seed=7)   # CLI's --path
"""

from __future__ import annotations

import inspect
import math
import os
import random
import shlex
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import pytest

from ftlab_harness.api import Scenario
from ftlab_harness.exitcodes import not_checked
from ftlab_harness.loader import BadInput, ScenarioNotFound, scenarios_in
from ftlab_harness.summary import failure_text

#: A check runner: (defaults, *args, **kwargs) -> a record with `to_json()`.
CheckRunner = Callable[..., Any]
#: A replay maker: (defaults, args, kwargs, record as JSON) -> the command line that reruns it.
ReplayMaker = Callable[["Defaults", Tuple[Any, ...], Dict[str, Any], Dict[str, Any]], Optional[str]]

_CHECKS: Dict[str, CheckRunner] = {}
_REPLAYS: Dict[str, ReplayMaker] = {}

_SEED = pytest.StashKey[int]()


class InternalError(Exception):
    """The harness failed, not the user's input (never reported as `bad input`)."""


def register_check(name: str, runner: CheckRunner, replay: Optional[ReplayMaker] = None) -> None:
    """Makes `ftlab_harness.check(name, **kwargs)` run `runner(defaults, **kwargs)`; `replay`, if
    given, makes the command that reruns a failed check (shown with the failure)."""
    _CHECKS[name] = runner
    if replay is not None:
        _REPLAYS[name] = replay
    else:
        _REPLAYS.pop(name, None)


@dataclass(frozen=True)
class Defaults:
    """The session's defaults (from the command line); every call may override them."""

    threads: int = 4
    duration: float = 1.0
    hang_timeout: float = 10.0
    jsonl: Optional[str] = None
    workdir: str = "."
    seed: int = 0
    #: The test calling the fixture (for the pytest replay command).
    nodeid: str = ""


def _positive(kind: type, name: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise pytest.UsageError(f"{name}: {text!r} is not a number") from None
        if not (value > 0 and math.isfinite(value)):
            raise pytest.UsageError(f"{name}: must be > 0, got {text}")
        return value

    return parse


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ftlab-harness", "stress scenarios in isolated children (ftlab_harness fixture)")
    group.addoption("--ftlab-threads", type=_positive(int, "--ftlab-threads"), default=None, metavar="N",
                    help="worker threads per scenario (default 4)")
    group.addoption("--ftlab-duration", type=_positive(float, "--ftlab-duration"), default=None, metavar="S",
                    help="seconds per scenario (default 1)")
    group.addoption("--ftlab-hang-timeout", type=_positive(float, "--ftlab-hang-timeout"), default=None, metavar="S",
                    help="no progress this long is a hang (default 10)")
    group.addoption("--ftlab-seed", type=int, default=None, metavar="N",
                    help="seed of every check (default: random per session, printed in the header)")
    group.addoption("--ftlab-jsonl", default=None, metavar="FILE", help="append every scenario record to FILE")


def pytest_configure(config: pytest.Config) -> None:
    seed = config.getoption("ftlab_seed", None)
    if seed is None:  # an xdist worker takes the controller's (pytest_configure_node below)
        seed = getattr(config, "workerinput", {}).get("ftlab_seed")
    if seed is None:
        seed = random.SystemRandom().randrange(1 << 31)
    config.stash[_SEED] = int(seed)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker gets the controller's seed, so one `--ftlab-seed` replays any."""
    node.workerinput["ftlab_seed"] = node.config.stash[_SEED]


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.stash.get(_SEED, 0)
    return f"ftlab-harness: seed {seed} (rerun with --ftlab-seed {seed})"


def _scenario_source(scenario: Union[str, os.PathLike, type, Scenario], name: Optional[str]) -> tuple:
    """(file, scenario name) for a path + name, a Scenario subclass, or a Scenario instance."""
    if isinstance(scenario, Scenario) or (isinstance(scenario, type) and issubclass(scenario, Scenario)):
        cls = scenario if isinstance(scenario, type) else type(scenario)
        sc_name = name or scenario.name
        if not sc_name:
            raise BadInput(f"{cls.__name__} has no name; give the scenario a `name`")
        try:
            path = inspect.getsourcefile(cls)
        except TypeError:
            path = None
        if not path or not os.path.isfile(path):
            raise BadInput(f"{cls.__name__} is not defined in a file the child can load")
        return path, sc_name
    if isinstance(scenario, (str, os.PathLike)):
        if not name:
            raise BadInput("give the scenario's name with the file: run(FILE, NAME)")
        return os.fspath(scenario), name
    raise BadInput(f"run() takes a scenarios file and a name, or a Scenario class/instance, not {type(scenario).__name__}")


def _module_level(cls: type) -> bool:
    """Whether `cls` is reachable as an attribute of its module (what the child looks up)."""
    module = sys.modules.get(cls.__module__)
    return cls.__qualname__ == cls.__name__ and module is not None and getattr(module, cls.__name__, None) is cls


def _declared_by_its_module(cls: type, name: str) -> bool:
    """Whether the module `cls` comes from (as the test imported it) declares a scenario `name`."""
    module = sys.modules.get(cls.__module__)
    if module is None:
        return False
    try:
        return any(sc.name == name for sc in scenarios_in(module))
    except Exception:
        return False


GIL_HINT_CLI = "or pass --allow-gil"
GIL_HINT_PYTEST = "or pass allow_gil=True (ftlab_harness.run(..., allow_gil=True))"


def run_scenario(defaults: Defaults, scenario: Any, name: Optional[str] = None, *, target: Optional[str] = None,
                 threads: Optional[int] = None, duration: Optional[float] = None, iterations: Optional[int] = None,
                 hang_timeout: Optional[float] = None, timeout: Optional[float] = None, seed: Optional[int] = None,
                 allow_gil: bool = False) -> Any:
    """The built-in check "scenario": one scenario in one child; returns its StressRunRecord."""
    from ftlab_harness.run import RunOptions, run_scenarios

    path, sc_name = _scenario_source(scenario, name)
    if seed is None:
        seed = defaults.seed
    elif not isinstance(seed, int):
        raise BadInput(f"seed must be an integer, got {seed!r}")
    threads = defaults.threads if threads is None else threads
    if not isinstance(threads, int) or threads <= 0:
        raise BadInput(f"threads must be a positive integer, got {threads!r}")
    for label, value in (("duration", duration), ("hang_timeout", hang_timeout), ("timeout", timeout),
                         ("iterations", iterations)):
        if value is not None and not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
            raise BadInput(f"{label} must be > 0, got {value!r}")
    if duration is None and iterations is None:
        duration = defaults.duration
    hang = hang_timeout or defaults.hang_timeout
    jsonl = defaults.jsonl or os.path.join(defaults.workdir, "ftlab-harness.jsonl")
    options = RunOptions(
        scenario_files=(path,), patterns=(sc_name,), exact_names=True, target=target, threads=threads, seed=seed,
        duration=duration, iterations=iterations, hang_timeout=hang,
        timeout=timeout or ((duration or 0) + 4 * hang + 60.0), allow_gil=allow_gil, label="pytest", jsonl=jsonl,
        quiet=True,
    )
    try:
        outcome = run_scenarios(options)
    except ScenarioNotFound as e:
        if isinstance(scenario, (str, os.PathLike)):
            raise
        given = scenario if isinstance(scenario, type) else type(scenario)
        if _declared_by_its_module(given, sc_name):
            # The class's own module declares it, yet loading that module's file did not give it
            # back: the harness failed (it once did: a file half-loaded by another thread).
            raise InternalError(f"loading {path} did not give back {given.__name__} ({e})") from e
        if not _module_level(given):
            raise BadInput(f"{given.__qualname__} is not defined at module level of {path} (the child loads "
                           "that file and looks the scenario up by its name)") from None
        raise
    record = outcome.records[0]
    if record.result.gil_guard and GIL_HINT_CLI in record.result.detail:
        record = record.replace(result=record.result.replace(
            detail=record.result.detail.replace(GIL_HINT_CLI, GIL_HINT_PYTEST)))
    return record


def _pytest_replay(defaults: Defaults, seed: Any) -> List[str]:
    if not defaults.nodeid:
        return []
    return [f"pytest {shlex.quote(defaults.nodeid)} --ftlab-seed {seed}"]


def replay_scenario(defaults: Defaults, args: Tuple[Any, ...], kwargs: Dict[str, Any],
                    data: Dict[str, Any]) -> Optional[str]:
    """`ftlab-harness run ...` (and the pytest command) that reruns one scenario with its seed."""
    try:
        path, name = _scenario_source(args[0], args[1] if len(args) > 1 else None)
    except (BadInput, IndexError):
        return None
    cmd = ["ftlab-harness", "run", "--scenarios", os.path.abspath(path), "--scenario", name,
           "--threads", str(data.get("threads")), "--seed", str(data.get("seed"))]
    if data.get("duration"):
        cmd += ["--duration", f"{data['duration']:g}"]
    if data.get("iterations"):
        cmd += ["--iterations", str(data["iterations"])]
    if kwargs.get("target"):
        cmd += ["--target", str(kwargs["target"])]
    hang = kwargs.get("hang_timeout") or defaults.hang_timeout
    if hang != Defaults.hang_timeout:
        cmd += ["--hang-timeout", f"{hang:g}"]
    if kwargs.get("allow_gil"):
        cmd.append("--allow-gil")
    return "\n".join([shlex.join(cmd)] + _pytest_replay(defaults, data.get("seed")))


register_check("scenario", run_scenario, replay_scenario)


def _zerocode_paths(path: Any, paths: Any) -> List[str]:
    """`path=` (the CLI's `--path`: one folder or several) and `paths=` (the older name), merged."""
    out: List[str] = []
    for value in (path, paths):
        if value is None:
            continue
        if isinstance(value, (str, os.PathLike)):
            value = [value]
        try:
            out += [os.fspath(v) for v in value]
        except TypeError:
            raise BadInput(f"zerocode: path must be a folder or a list of folders, got {value!r}") from None
    return out


def run_zerocode(defaults: Defaults, target: str, *, path: Union[str, os.PathLike, Sequence[Any], None] = None,
                 paths: Union[str, os.PathLike, Sequence[Any], None] = None, **config: Any) -> Any:
    """The check "zerocode": `ftlab_harness.check("zerocode", "module:factory", seconds=2, ops=[...],
    path="src")` runs the zero-code checks on one target in an isolated child (see
    `ftlab_harness.zerocode`); returns its `ZeroCodeResult`. `path=` is the CLI's `--path` (folders
    put first on the child's path; `paths=` is accepted too), `seed=` defaults to the session's
    seed. Bad input (target not importable, factory raises) is `BadInput`."""
    from ftlab_harness.zerocode.hammer import Config
    from ftlab_harness.zerocode.parent import run_isolated

    folders = _zerocode_paths(path, paths)
    config.setdefault("seconds", defaults.duration)
    if config.get("seed") is None:
        config["seed"] = defaults.seed
    try:
        cfg = Config(target=target, **config)
    except TypeError as e:
        raise BadInput(f"zerocode: {e}") from None
    res = run_isolated(cfg, folders)
    if res.outcome == "bad_input":
        raise BadInput(res.detail)
    return res


def replay_zerocode(defaults: Defaults, args: Tuple[Any, ...], kwargs: Dict[str, Any],
                    data: Dict[str, Any]) -> Optional[str]:
    """`ftlab-harness zerocode TARGET --seed S --replay-round R --path ...` for a finding."""
    target = args[0] if args else kwargs.get("target")
    if not target:
        return None
    cmd = ["ftlab-harness", "zerocode", str(target), "--seed", str(data.get("seed"))]
    findings = data.get("findings") or []
    round_ = data.get("round")
    if round_ is None and findings:
        round_ = findings[0].get("round")
    if round_ is not None:
        cmd += ["--replay-round", str(round_)]
    try:
        folders = _zerocode_paths(kwargs.get("path"), kwargs.get("paths"))
    except BadInput:
        folders = []
    for folder in folders:
        cmd += ["--path", os.path.abspath(folder)]
    for key in ("seconds", "threads", "mode"):
        if kwargs.get(key) is not None:
            cmd += [f"--{key}", str(kwargs[key])]
    return "\n".join([shlex.join(cmd)] + _pytest_replay(defaults, data.get("seed")))


register_check("zerocode", run_zerocode, replay_zerocode)


class Harness:
    """The `ftlab_harness` fixture's value."""

    def __init__(self, defaults: Defaults) -> None:
        self.defaults = defaults
        self.records: list = []

    def check(self, kind: str, *args: Any, check: bool = True, **kwargs: Any) -> Any:
        """Runs a registered check; fails the test unless it passed (with `check=True`)."""
        runner = _CHECKS.get(kind)
        if runner is None:
            pytest.fail(f"ftlab-harness: bad input: unknown check {kind!r} (known: {', '.join(sorted(_CHECKS))})",
                        pytrace=False)
        bad = internal = None
        try:
            record = runner(self.defaults, *args, **kwargs)
        except BadInput as e:
            bad = str(e)
        except InternalError as e:
            internal = str(e)
        if bad is not None:  # outside the except block: no chained "during handling" noise
            pytest.fail(f"ftlab-harness: bad input: {bad}", pytrace=False)
        if internal is not None:
            pytest.fail(f"ftlab-harness: internal error (a bug in ftlab-harness, not in your input): {internal}",
                        pytrace=False)
        self.records.append(record)
        data = record.to_json()
        if check and data.get("outcome") != "pass":
            what = data.get("scenario") or kind
            target = f" against {data['target']}" if data.get("target") else ""
            verdict = "checked nothing" if not_checked(data) else data.get("outcome")
            text = f"ftlab-harness: {what}{target}: {verdict}\n{failure_text(data)}"
            maker = _REPLAYS.get(kind)
            replay = maker(self.defaults, args, kwargs, data) if maker is not None else None
            if replay:
                text += "\nreplay (paste into a shell):\n" + "\n".join(f"  {line}" for line in replay.splitlines())
            pytest.fail(text, pytrace=False)
        return record

    def run(self, scenario: Any, name: Optional[str] = None, *, check: bool = True, **kwargs: Any) -> Any:
        """Runs one scenario (a file + its name, or a Scenario class/instance) in an isolated child."""
        return self.check("scenario", scenario, name, check=check, **kwargs)


@pytest.fixture
def ftlab_harness(request: pytest.FixtureRequest, tmp_path: Any) -> Harness:
    """Runs stress scenarios in isolated children and fails the test with what they found."""
    cfg = request.config
    defaults = Defaults(
        threads=cfg.getoption("ftlab_threads") or 4,
        duration=cfg.getoption("ftlab_duration") or 1.0,
        hang_timeout=cfg.getoption("ftlab_hang_timeout") or 10.0,
        jsonl=cfg.getoption("ftlab_jsonl"),
        workdir=str(tmp_path),
        seed=cfg.stash.get(_SEED, 0),
        nodeid=request.node.nodeid,
    )
    return Harness(defaults)

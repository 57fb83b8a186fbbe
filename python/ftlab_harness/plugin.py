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

Options: `--ftlab-threads N`, `--ftlab-duration S`, `--ftlab-hang-timeout S` set the defaults;
`--ftlab-jsonl FILE` appends every record. Bad input (an unknown scenario, a file that does not
import, a target that does not import, threads <= 0) fails the test with one line starting
`ftlab-harness: bad input:`.

Extension point: `register_check(name, runner)` adds a kind of check the same fixture runs with
`ftlab_harness.check(name, **kwargs)`; `run` is the built-in check "scenario". The zero-code checks
(`ftlab_harness.zerocode`) plug in here: a runner takes the fixture's `Defaults` and keyword
arguments and returns a record (any object with `to_json()` giving `outcome` and `detail`).
"""

from __future__ import annotations

import inspect
import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Union

import pytest

from ftlab_harness.api import Scenario
from ftlab_harness.exitcodes import not_checked
from ftlab_harness.loader import BadInput
from ftlab_harness.summary import failure_text

#: A check runner: (defaults, **kwargs) -> a record with `to_json()`.
CheckRunner = Callable[..., Any]

_CHECKS: Dict[str, CheckRunner] = {}


def register_check(name: str, runner: CheckRunner) -> None:
    """Makes `ftlab_harness.check(name, **kwargs)` run `runner(defaults, **kwargs)`."""
    _CHECKS[name] = runner


@dataclass(frozen=True)
class Defaults:
    """The session's defaults (from the command line); every call may override them."""

    threads: int = 4
    duration: float = 1.0
    hang_timeout: float = 10.0
    jsonl: Optional[str] = None
    workdir: str = "."


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
    group.addoption("--ftlab-jsonl", default=None, metavar="FILE", help="append every scenario record to FILE")


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


def run_scenario(defaults: Defaults, scenario: Any, name: Optional[str] = None, *, target: Optional[str] = None,
                 threads: Optional[int] = None, duration: Optional[float] = None, iterations: Optional[int] = None,
                 hang_timeout: Optional[float] = None, timeout: Optional[float] = None, seed: int = 0,
                 allow_gil: bool = False) -> Any:
    """The built-in check "scenario": one scenario in one child; returns its StressRunRecord."""
    from ftlab_harness.run import RunOptions, run_scenarios

    path, sc_name = _scenario_source(scenario, name)
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
    outcome = run_scenarios(options)
    return outcome.records[0]


register_check("scenario", run_scenario)


def run_zerocode(defaults: Defaults, target: str, *, paths: tuple = (), **config: Any) -> Any:
    """The check "zerocode": `ftlab_harness.check("zerocode", "module:factory", seconds=2, ops=[...])`
    runs the zero-code checks on one target in an isolated child (see `ftlab_harness.zerocode`);
    returns its `ZeroCodeResult`. Bad input (target not importable, factory raises) is `BadInput`."""
    from ftlab_harness.zerocode.hammer import Config
    from ftlab_harness.zerocode.parent import run_isolated

    config.setdefault("seconds", defaults.duration)
    try:
        cfg = Config(target=target, **config)
    except TypeError as e:
        raise BadInput(f"zerocode: {e}") from None
    res = run_isolated(cfg, list(paths))
    if res.outcome == "bad_input":
        raise BadInput(res.detail)
    return res


register_check("zerocode", run_zerocode)


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
        bad = None
        try:
            record = runner(self.defaults, *args, **kwargs)
        except BadInput as e:
            bad = str(e)
        if bad is not None:  # outside the except block: no chained "during handling" noise
            pytest.fail(f"ftlab-harness: bad input: {bad}", pytrace=False)
        self.records.append(record)
        data = record.to_json()
        if check and data.get("outcome") != "pass":
            what = data.get("scenario") or kind
            target = f" against {data['target']}" if data.get("target") else ""
            verdict = "checked nothing" if not_checked(data) else data.get("outcome")
            pytest.fail(f"ftlab-harness: {what}{target}: {verdict}\n{failure_text(data)}", pytrace=False)
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
    )
    return Harness(defaults)

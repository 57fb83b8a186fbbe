"""The pytest plugin (`ftlab_harness.plugin`), driven through pytester: a user's test suite calls
the `ftlab_harness` fixture; the test passes on a clean run and fails with the violation, the
crash signal + stacks, or the hang's stacks; bad input is one line; nothing checked is a failure."""

from __future__ import annotations

import pytest
from conftest import missing_target_scenario

from ftlab_harness.junit import read_junit

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.thread_unsafe(reason="pytester runs child pytest processes")

SCENARIOS = '''
import ctypes, threading
from ftlab_harness import Scenario, DONE


class Passes(Scenario):
    name = "user.passes"
    target = "threading"
    def setup(self, run):
        self.lock = run.target.Lock()
    def step(self, w):
        with self.lock:
            pass


class Violates(Scenario):
    name = "user.violates"
    target = "threading"
    def step(self, w):
        w.check(w.ops < 3, "ops_stay_small", lambda: f"worker saw ops={w.ops}")


class Segfaults(Scenario):
    name = "user.segfaults"
    target = "ctypes"
    def step(self, w):
        if w.index == 0 and w.ops == 3:
            ctypes.string_at(0)


class Hangs(Scenario):
    name = "user.hangs"
    def setup(self, run):
        self.lock = threading.Lock()
        self.lock.acquire()
    def step(self, w):
        if w.ops == 2:
            self.lock.acquire()  # user_hangs_here
''' + missing_target_scenario("Missing", "user.missing")


@pytest.fixture
def project(pytester):
    pytester.makepyfile(user_scenarios=SCENARIOS)
    return pytester


def run(pytester, test_body: str, *args: str):
    pytester.makepyfile(test_user=f"from user_scenarios import *\n\n{test_body}")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)


def test_clean_scenario_passes_and_returns_its_record(project):
    res = run(project, '''
def test_it(ftlab_harness):
    rec = ftlab_harness.run(Passes, threads=2, duration=0.3)
    assert rec.outcome == "pass" and rec.result.ops > 0
''')
    res.assert_outcomes(passed=1)


def test_violation_fails_with_the_invariant_and_its_detail(project):
    res = run(project, '''
def test_it(ftlab_harness):
    ftlab_harness.run("user_scenarios.py", "user.violates", threads=2, duration=0.3)
''', "--junitxml=junit.xml")
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    assert "ftlab-harness: user.violates against threading: violation" in out
    assert "ops_stay_small" in out and "worker saw ops=" in out
    report = read_junit(project.path / "junit.xml")
    assert report.counts()["failed"] == 1 and "ops_stay_small" in report.failed[0].message + report.failed[0].text


def test_crash_fails_with_the_signal_and_the_stacks(project):
    res = run(project, '''
def test_it(ftlab_harness):
    ftlab_harness.run(Segfaults, threads=2, duration=2)
''')
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    assert "crash" in out and "SIGSEGV" in out and "user_scenarios.py" in out


def test_hang_fails_with_the_stacks(project):
    res = run(project, '''
def test_it(ftlab_harness):
    ftlab_harness.run(Hangs, threads=2, duration=5, hang_timeout=1)
''')
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    assert "timeout" in out and "user_hangs_here" in out or "user_scenarios.py" in out


def test_check_false_returns_the_record_instead_of_failing(project):
    res = run(project, '''
def test_it(ftlab_harness):
    rec = ftlab_harness.run(Violates, threads=2, duration=0.2, check=False)
    assert rec.outcome == "violation" and "ops_stay_small" in rec.result.violation_details
''')
    res.assert_outcomes(passed=1)


def test_nothing_checked_is_a_failure(project):
    res = run(project, '''
def test_it(ftlab_harness):
    ftlab_harness.run(Missing, threads=2, duration=0.2)
''')
    res.assert_outcomes(failed=1)
    assert "checked nothing" in res.stdout.str()


@pytest.mark.parametrize(("call", "message"), [
    ('ftlab_harness.run("user_scenarios.py", "user.nope")', "unknown scenario 'user.nope'"),
    ('ftlab_harness.run("no_such_file.py", "x")', "does not exist"),
    ('ftlab_harness.run(Passes, threads=0)', "threads must be a positive integer"),
    ('ftlab_harness.run(Passes, duration=-1)', "duration must be > 0"),
    ('ftlab_harness.run(Passes, target="no_such_module_xyz")', "not importable"),
    ('ftlab_harness.run(42)', "not int"),
    ('ftlab_harness.check("nope")', "unknown check 'nope'"),
])
def test_bad_input_is_one_line(project, call, message):
    res = run(project, f'''
def test_it(ftlab_harness):
    {call}
''')
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    lines = [line for line in res.stdout.lines if line.startswith("ftlab-harness: bad input:")]
    assert len(lines) == 1 and message in lines[0], out
    assert "During handling" not in out and "Traceback" not in out


def test_bad_command_line_option_is_a_usage_error(project):
    res = run(project, "def test_it(ftlab_harness):\n    pass\n", "--ftlab-threads", "0")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ftlab-threads: must be > 0" in res.stderr.str()


def test_register_check_is_the_hook_for_other_kinds_of_check(project):
    res = run(project, '''
from ftlab_harness import plugin
from ftlab_harness.records import OtherRecord

plugin.register_check("always_fails", lambda defaults, why: OtherRecord(kind="x", extra={"outcome": "violation", "detail": why}))

def test_it(ftlab_harness):
    ftlab_harness.check("always_fails", "the zero-code check found a race")
''')
    res.assert_outcomes(failed=1)
    assert "the zero-code check found a race" in res.stdout.str()


README_EXAMPLE = '''
from ftlab_harness import Scenario


class ListPushFront(Scenario):
    """rpds.List: push_front onto a shared list never changes it."""

    name = "mine.rpds_list"
    target = "rpds"

    def setup(self, run):
        self.base = run.target.List(range(10))

    def step(self, w):
        new = self.base.push_front(w.ops)
        w.check(new.first == w.ops and new.rest == self.base, "derived_version_correct")
        w.check(list(self.base) == list(range(10)), "old_version_unchanged",
                lambda: f"shared list is now {list(self.base)}")
'''

MUTABLE_TWIN = '''
class List:
    """A mutable list posing as rpds.List: push_front changes the shared list in place."""

    def __init__(self, items=()):
        self.items = list(items)

    def push_front(self, x):
        self.items.insert(0, x)
        return self

    @property
    def first(self):
        return self.items[0]

    @property
    def rest(self):
        return List(self.items[1:])

    def __eq__(self, other):
        return isinstance(other, List) and self.items == other.items

    def __iter__(self):
        return iter(list(self.items))
'''


def test_a_tiny_project_passes_on_rpds_and_fails_on_a_mutable_twin(pytester):
    pytest.importorskip("rpds")
    pytester.makepyfile(my_scenarios=README_EXAMPLE, mutable_rpds=MUTABLE_TWIN, test_project='''
from my_scenarios import ListPushFront

def test_rpds_list(ftlab_harness):
    ftlab_harness.run(ListPushFront, threads=2, duration=0.5)

def test_mutable_twin(ftlab_harness):
    ftlab_harness.run(ListPushFront, target="mutable_rpds", threads=2, duration=0.5)
''')
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--junitxml=junit.xml")
    res.assert_outcomes(passed=1, failed=1)
    assert "old_version_unchanged" in res.stdout.str()
    report = read_junit(pytester.path / "junit.xml")
    assert report.outcomes() == {"test_rpds_list": "passed", "test_mutable_twin": "failed"}
    assert "old_version_unchanged" in report.failed[0].message + report.failed[0].text

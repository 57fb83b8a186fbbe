"""The zero-code check through the pytest plugin (`ftlab_harness.check("zerocode", ...)`), driven by
pytester: passes on a correct class, fails with the minimised history on a racy one (and in the
JUnit file), and a target that does not import is one line of bad input."""

from __future__ import annotations

import pytest

from ftlab_harness.junit import read_junit

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.thread_unsafe(reason="pytester runs child pytest processes")

TARGETS = '''
import threading, time


class Racy:
    def __init__(self):
        self.n = 0

    def add(self, d=1):
        n = self.n
        time.sleep(0)
        self.n = n + d
        return self.n


class Locked:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def add(self, d=1):
        with self.lock:
            n = self.n
            time.sleep(0)
            self.n = n + d
            return self.n
'''


def run(pytester, body: str, *args: str):
    pytester.makepyfile(user_targets=TARGETS)
    pytester.makepyfile(test_user=f"import os\nHERE = os.path.dirname(os.path.abspath(__file__))\n\n{body}")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)


def test_correct_class_passes(pytester):
    res = run(pytester, '''
def test_it(ftlab_harness):
    rec = ftlab_harness.check("zerocode", "user_targets:Locked", paths=(HERE,), seconds=0.5)
    assert rec.outcome == "clean" and rec.progress["rounds"] > 0
''')
    res.assert_outcomes(passed=1)


def test_racy_class_fails_with_the_history(pytester):
    res = run(pytester, '''
def test_it(ftlab_harness):
    ftlab_harness.check("zerocode", "user_targets:Racy", paths=(HERE,), seconds=20, mode="lincheck")  # stops at its first finding
''', "--junitxml=junit.xml")
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    assert "not_linearizable" in out and "add(" in out and "--replay-round" in out
    report = read_junit(pytester.path / "junit.xml")
    assert report.counts()["failed"] == 1


def test_bad_target_is_one_line_of_bad_input(pytester):
    res = run(pytester, '''
def test_it(ftlab_harness):
    ftlab_harness.check("zerocode", "no_such_module_xyz:f", seconds=0.5)
''')
    res.assert_outcomes(failed=1)
    assert "ftlab-harness: bad input: target 'no_such_module_xyz:f': cannot import" in res.stdout.str()

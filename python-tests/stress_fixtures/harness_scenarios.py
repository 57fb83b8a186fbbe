"""Scenarios that misbehave on purpose, for `test_stress_harness.py`: the harness must report each
one correctly and go on to the next. Run as `ftlab-harness run --scenarios THIS_FILE`."""

import ctypes
import os
import threading

from ftlab_harness import Scenario


class Segfault(Scenario):
    """Dereferences NULL in one worker."""

    name = "harness.segfault"
    target = "ctypes"

    def step(self, w):
        if w.index == 0 and w.ops == 10:
            ctypes.string_at(0)


class Abort(Scenario):
    """Calls abort() in one worker."""

    name = "harness.abort"
    target = "os"

    def step(self, w):
        if w.index == 1 and w.ops == 10:
            os.abort()


class Hang(Scenario):
    """Every worker blocks forever on a lock nobody releases."""

    name = "harness.hang"
    target = "threading"

    def setup(self, run):
        self.lock = threading.Lock()
        self.lock.acquire()

    def step(self, w):
        if w.ops == 5:
            self.lock.acquire()  # hangs_here


class HangHoldingTheGil(Scenario):
    """One worker sleeps in C through PyDLL, which keeps the GIL (so the watchdog cannot run on a GIL build)."""

    name = "harness.hang_native"
    target = "ctypes"

    def step(self, w):
        if w.index == 0 and w.ops == 5:
            ctypes.PyDLL(None).sleep(120)  # native_hang_here


class Raises(Scenario):
    """One worker raises."""

    name = "harness.raises"
    target = "threading"

    def step(self, w):
        if w.index == 2 and w.ops == 50:
            raise ValueError("boom from the scenario")


class Violates(Scenario):
    """Reports a violated invariant at the end."""

    name = "harness.violates"
    target = "threading"

    def step(self, w):
        pass

    def finish(self, run):
        run.check(False, "always_false", "this invariant never holds")


class Passes(Scenario):
    """Does nothing, correctly."""

    name = "harness.passes"
    target = "threading"

    def step(self, w):
        pass


SCENARIOS = [Segfault, Passes("harness.after_segfault", target="threading"), Abort, Hang, HangHoldingTheGil, Raises,
             Violates, Passes]

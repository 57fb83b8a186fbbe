"""Puts `python/` on sys.path so the tests import `ftlab_ci` (ftlab's CI logic, not installed:
it is not part of the harness distribution) and the harness from this checkout."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def passing_scenario(prefix: str) -> str:
    """The start of a scenarios file for command-line tests: the import and `Passes`, a scenario
    (`<prefix>.passes`, target `threading`) that always passes; a test appends its other classes."""
    return f'''
from ftlab_harness import Scenario

class Passes(Scenario):
    name = "{prefix}.passes"
    target = "threading"
    def step(self, w):
        pass
'''


def missing_target_scenario(cls: str, name: str) -> str:
    """A scenario class `cls` (named `name`) whose target attribute does not exist
    (`json:NoSuchThing`): its result is `skipped`, never a pass."""
    return f'''
class {cls}(Scenario):
    name = "{name}"
    target = "json:NoSuchThing"
    def step(self, w):
        pass
'''

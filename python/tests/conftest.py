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


GIL_EXTENSION = r'''
#include <Python.h>
/* Multi-phase init without a Py_mod_gil slot: importing it re-enables the GIL on 3.13t. */
static PyModuleDef_Slot slots[] = {{0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "needs_gil", NULL, 0, NULL, slots};
PyMODINIT_FUNC PyInit_needs_gil(void) { return PyModuleDef_Init(&def); }
'''


def build_needs_gil(folder: Path) -> None:
    """Compiles `needs_gil`, an extension module whose import re-enables the GIL, into `folder`;
    skips the test unless the GIL guard can act (free-threaded, GIL off) and a C compiler exists."""
    import shutil
    import subprocess
    import sysconfig

    import pytest

    if not sysconfig.get_config_var("Py_GIL_DISABLED") or getattr(sys, "_is_gil_enabled", lambda: True)():
        pytest.skip("the GIL guard acts on a free-threaded interpreter running with the GIL off")
    if shutil.which("cc") is None:
        pytest.skip("no C compiler to build an extension that needs the GIL")
    src = folder / "needs_gil.c"
    src.write_text(GIL_EXTENSION)
    subprocess.run(["cc", "-shared", "-fPIC", f"-I{sysconfig.get_paths()['include']}", str(src), "-o",
                    str(folder / f"needs_gil{sysconfig.get_config_var('EXT_SUFFIX')}")], check=True)

"""pytest plugin: fail the session if anything re-enables the GIL on a free-threaded CPython.

Loaded by `conftest.py` for the ftlab suite; usable on any project with `-p gil_guard`.

On a free-threaded interpreter started with the GIL off (no `PYTHON_GIL=1`, no `-X gil=1`):
* CPython's "The global interpreter lock (GIL) has been enabled to load module …" RuntimeWarning
  is turned into an error, both at import time (before any test) and inside every test, so the
  import that does it fails loudly and names the module;
* `sys._is_gil_enabled()` is checked when the session starts (after conftest imported ftlab) and
  when it ends; if it turned true the session fails with exit status 1 and a message.
On GIL builds, and on 3.13t with the GIL forced on, the guard is inert and says so in the header.

`build_gil_reenabler(dir)` compiles a tiny C module that re-enables the GIL, so that tests can
prove the guard (and the stress harness's guard) catches it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

import pytest

GIL_WARNING = r"The global interpreter lock \(GIL\) has been enabled"
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """True if the GIL is on right now (always True on builds without `sys._is_gil_enabled`)."""
    return getattr(sys, "_is_gil_enabled", lambda: True)()


def guard_active() -> bool:
    """The guard applies on a free-threaded build started with the GIL off.

    Decided from how the interpreter was started (PYTHON_GIL, -X gil), not from the current
    GIL state, which is exactly what the guard watches.
    """
    if not FREE_THREADED:
        return False
    forced_on = os.environ.get("PYTHON_GIL") == "1" or str(sys._xoptions.get("gil")) == "1"
    return not forced_on


if guard_active():
    # Installed at import, so that an import done by a conftest right after `import gil_guard`
    # already fails loudly and names the module.
    warnings.filterwarnings("error", message=GIL_WARNING, category=RuntimeWarning)

_STATE: dict = {}


def pytest_configure(config: pytest.Config) -> None:
    _STATE["active"] = guard_active()
    if _STATE["active"]:
        config.addinivalue_line("filterwarnings", f"error:{GIL_WARNING}:RuntimeWarning")
        _STATE["at_start"] = gil_enabled()


def pytest_report_header(config: pytest.Config) -> str:
    kind = "free-threaded" if FREE_THREADED else "GIL build"
    state = "on" if gil_enabled() else "off"
    guard = "active" if _STATE.get("active") else "inert"
    return f"ftlab gil guard: {sys.version.split()[0]} {kind}, GIL {state}, guard {guard}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _STATE.get("active"):
        return
    if _STATE.get("at_start") or gil_enabled():
        when = "before the tests started (at import)" if _STATE.get("at_start") else "during the tests"
        msg = (
            f"gil_guard: the GIL was re-enabled {when} on a free-threaded interpreter; "
            "some extension module does not declare free-threading support "
            "(see the RuntimeWarning above, or run with -W error::RuntimeWarning to find it)"
        )
        session.config.get_terminal_writer().line(msg, red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def build_gil_reenabler(out_dir: Path) -> Path:
    """Compile `gil_reenabler.c` for this interpreter into `out_dir`; returns the directory."""
    src = Path(__file__).parent / "gil_reenabler" / "gil_reenabler.c"
    target = Path(out_dir) / ("gil_reenabler" + sysconfig.get_config_var("EXT_SUFFIX"))
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-shared", "-fPIC", "-O0", f"-I{sysconfig.get_paths()['include']}", str(src), "-o", str(target)]
    subprocess.run(cmd, check=True, capture_output=True)
    return Path(out_dir)

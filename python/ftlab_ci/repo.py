"""Where ftlab's checkout, its venvs and its interpreter cache are.

The checkout is found from this file (`python/ftlab_ci/` is two levels below it), so the `ci/`
shims work from any working directory. `FTLAB_VENVS` and `FTLAB_CACHE` override the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CI = ROOT / "ci"
PYTHON_TESTS = ROOT / "python-tests"
HARNESS = ROOT / "python"


def venvs(environ: os._Environ[str] | dict[str, str] = os.environ) -> Path:
    """The folder of the per-interpreter venvs: `$FTLAB_VENVS`, else `.venvs/` in the checkout."""
    return Path(environ.get("FTLAB_VENVS") or ROOT / ".venvs")


def venv_python(label: str, environ: os._Environ[str] | dict[str, str] = os.environ) -> Path:
    return venvs(environ) / label / "bin" / "python"


def cache_root(environ: os._Environ[str] | dict[str, str] = os.environ) -> Path:
    """`$FTLAB_CACHE`, else `$XDG_CACHE_HOME/ftlab`, else `~/.cache/ftlab`."""
    if environ.get("FTLAB_CACHE"):
        return Path(environ["FTLAB_CACHE"]).expanduser()
    xdg = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "ftlab"

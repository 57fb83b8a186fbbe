"""Puts `python/` on sys.path so the tests import `ftlab_ci` (ftlab's CI logic, not installed:
it is not part of the harness distribution) and the harness from this checkout."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

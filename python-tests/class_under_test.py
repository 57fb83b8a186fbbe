"""Which class a pattern test exercises: the correct one, or a seeded twin on request.

`class_under_test("Bank")` is `ftlab.Bank`, unless the environment variable FTLAB_TWINS maps
that name to a twin in `ftlab._seeded` (only present in the `seeded-bugs` build):

    ci/envs --seeded 3.13t
    PYTHONPATH=.venvs/3.13t/seeded FTLAB_TWINS=Bank=CheckThenActBank,Registry=TornRegistry \\
        .venvs/3.13t/bin/python -m pytest python-tests/test_bank.py python-tests/test_registry.py

This is how the concurrency checks are shown to fail on the broken twins (a test that cannot
fail is a defect). The normal suite never sets FTLAB_TWINS and never needs the seeded build.
"""

from __future__ import annotations

import importlib
import os

import ftlab


def twins() -> dict[str, str]:
    """The FTLAB_TWINS mapping: correct class name -> twin class name."""
    spec = os.environ.get("FTLAB_TWINS", "").strip()
    pairs = (item.split("=", 1) for item in spec.split(",") if item.strip())
    return {name.strip(): twin.strip() for name, twin in pairs}


def class_under_test(name: str) -> type:
    """`ftlab.<name>`, or the `ftlab._seeded` twin FTLAB_TWINS names for it."""
    twin = twins().get(name)
    if twin is None:
        return getattr(ftlab, name)
    seeded = importlib.import_module("ftlab._seeded")
    return getattr(seeded, twin)

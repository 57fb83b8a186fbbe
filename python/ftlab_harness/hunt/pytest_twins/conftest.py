"""Fixtures for the pytest-run-parallel side-by-side check (`ftlab-harness hunt --compare-pytest`).

`STRESS_TWINS=seeded` makes `implementation(bug, correct)` return the seeded twin
`ftlab._seeded.<BUGS[bug]>` (the hunt puts the seeded build first on PYTHONPATH); anything else
returns the correct class `ftlab.<correct>`. Under pytest-run-parallel a fixture is set up once and
the SAME object is handed to every thread running the test, which is how the `__shared` tests
share one object; `barrier` lets them all finish their loops before the final assertion.
"""

from __future__ import annotations

import os
import threading

import pytest

TWINS = os.environ.get("STRESS_TWINS", "clean")


def implementation(bug: str, correct: str):
    """The class under test: the seeded twin for `bug`, or `ftlab.<correct>`."""
    if TWINS == "seeded":
        import ftlab._seeded as seeded

        return getattr(seeded, seeded.BUGS[bug])
    import ftlab

    return getattr(ftlab, correct)


@pytest.fixture
def barrier(num_parallel_threads):
    """One barrier for every thread of this test (fixtures are shared across the threads)."""
    return threading.Barrier(num_parallel_threads)

"""The class under test: the correct ftlab class, or its seeded broken twin.

Every concurrency check in this suite must be shown to fail on a deliberately broken twin. To
run them against the twins, build the seeded variant and put it first on the path:

    ci/envs --seeded 3.13t
    FTLAB_TWINS=seeded PYTHONPATH=.venvs/3.13t/seeded .venvs/3.13t/bin/python -m pytest python-tests -k concurrent

With `FTLAB_TWINS=seeded`, `implementation(bug, correct)` returns `ftlab._seeded.<BUGS[bug]>`;
otherwise (the normal run) it returns `ftlab.<correct>`.
"""

from __future__ import annotations

import os

import ftlab

TWINS = os.environ.get("FTLAB_TWINS", "clean")


def implementation(bug: str, correct: str) -> type:
    """`ftlab.<correct>`, or under `FTLAB_TWINS=seeded` the twin for seeded bug `bug`."""
    if TWINS == "seeded":
        import ftlab._seeded as seeded

        return getattr(seeded, seeded.BUGS[bug])
    return getattr(ftlab, correct)

"""ftlab's stress suite: hammer shared objects from many threads, check invariants, report.

Run it from the repository root:

    ftlab-harness list
    ftlab-harness run [--scenario PATTERN] [--quick] [--scenarios path/to/file.py]
    ftlab-harness hunt [--quick] [--compare-pytest]

The harness core (this package minus `scenarios/` and `pytest_twins/`) is stdlib-only and runs
on every interpreter ftlab supports, 3.13t included. Each scenario runs in its own child process
(`ftlab_harness.child`), so a crash or a hang is one result, never the end of the run. The scenario API a
user writes against is `Scenario`, `Run`, `Worker` and `DONE` (see `ftlab_harness.api` and
`python/README.md`).
"""

from ftlab_harness.api import DONE, Run, Scenario, Worker

__all__ = ["DONE", "Run", "Scenario", "Worker"]

"""ftlab's own CI logic: importable, unit-tested modules behind the thin `ci/` entry points.

Not part of the installable harness (`ftlab_harness`): this package knows ftlab's checkout
(its `ci/`, `.venvs/`, `python-tests/`) and drives it. Stdlib only, so the `ci/` shims run
on a fresh clone with nothing but the machine's python3 (3.9 or newer).

    labels     interpreter and configuration labels (3.9 … 3.13t, `+gil`), defined once
    repo       where the checkout, its venvs and its cache are
    proc       running a logged subprocess with a hard wall-clock timeout
    junit      reading JUnit XML (pytest's) into typed test cases
    provision  find or build the interpreters          (ci/provision-python)
    envs       one venv per interpreter + ftlab builds  (ci/envs)
    matrix     the stress matrix and its report         (ci/stress-matrix)
    twins      pytest detectors vs the seeded twins     (ci/pytest-twins)

Invariant: no module here imports `ftlab` or anything outside the standard library (the
harness is run in the venvs, as a subprocess, never imported).
"""

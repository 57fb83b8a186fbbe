"""Zero-code checks: hammer any object from many threads and check its histories for linearizability.

No invariant to write: the object, run sequentially, is its own specification. Give a target
`module:factory`; the engine discovers its operations (methods, properties, protocols), learns how
it behaves alone, then runs small concurrent rounds and checks that every outcome is explained by
some sequential order (Wing–Gong/Lowe search), plus long hammer rounds for crashes, hangs and
exceptions the operation never raises alone. Each run is isolated in a child process.

Public API (the engine lives in the submodules): `Config`, `run_isolated` (a child process, the
way the CLI runs it), `run_in_process`, `check`/`Replayer` (the checker on your own
histories), `assert_no_finding` (for a test suite), `Call`, `Op`, `History`, `Finding`, `ZeroCodeResult`.
"""

from ftlab_harness.zerocode.hammer import BadTarget, Config, load_target, run_in_process
from ftlab_harness.zerocode.history import Call, Finding, History, Op, normalise
from ftlab_harness.zerocode.lincheck import Replayer, Verdict, check, minimise
from ftlab_harness.zerocode.parent import (
    ZeroCodeResult,
    assert_no_finding,
    run_isolated,
)

__all__ = [
    "BadTarget", "Call", "Config", "Finding", "History", "Op", "Replayer", "Verdict", "ZeroCodeResult",
    "assert_no_finding", "check", "load_target", "minimise", "normalise", "run_in_process", "run_isolated",
]

"""The seeded twins as zero-code targets, and how a zero-code record reads as detection.

One table, used by `measure.py` (`python -m ftlab_harness.zerocode.measure twins`) and by
`ftlab-harness hunt` (one isolated zero-code run per seeded bug, beside the hand-written scenario):

    TWINS      (bug, target `ftlab._seeded:Twin(...)`, extra `Config` fields) per bug in
               `ftlab._seeded.BUGS`. The factories are what a user would write on the command line
               (small balances so overdrafts are reachable, an `init` whose second call returns a
               different value); the extra fields leave out operations whose concurrent results
               differ from every sequential one *by design* on the correct class too (checked:
               the correct class shows no finding with the same options).

A zero-code run stops at its first finding; the hunt and the report split findings into two
detector columns:

    hammer            crash, hang, unexpected_exception (the long hammer rounds, the watchdog)
    linearizability   not_linearizable (the Wing–Gong/Lowe check of the small rounds), impossible_value
                      (a composite operation returned a value no state held), lost_wakeup (a waiter
                      slept on after it could have been released)

`cell(record, column)` says what one record means for one column, from its finding alone (never
from a flag a writer could set without a finding): caught (with seconds), missed, stopped (the run
ended at the other column's finding first), error, not checked. Records are the flat dicts
`ZeroCodeResult.to_json()` writes, plus `bug`. Stdlib only; imports nothing from the harness.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

#: OnceResource-like classes: `init` runs outside the lock by design, so `init_count`,
#: `is_initialized` and `repr` read mid-`init` show states no sequential `get` produces.
ONCE_OPTS: dict[str, Any] = {"exclude": ["init_count", "is_initialized", "repr"]}
#: PerThreadCounter: `slots` counts the threads that added (a sequential run has one thread).
PER_THREAD_OPTS: dict[str, Any] = {"exclude": ["slots"]}

#: ftlab's bindings wait in slices (50 ms by default, `py::wait`), so a dropped notification makes
#: a waiter only up to one slice late — a delay a loaded machine also produces, below the
#: zero-code lost-wake-up bound (0.1 s). The hand-written detectors set a 1 s slice with the test
#: hook `ftlab._set_wait_slice`; the zero-code rows for blocking classes do the same in the factory
#: expression, and give `OnceResource` an init that takes 20 ms, so that a second caller has an
#: init to wait for (an instant init leaves a window of nanoseconds).
SLICE = "__import__('ftlab')._set_wait_slice(1.0)"
SLOW_INIT = "lambda: __import__('time').sleep(0.02)"

#: (bug, target, extra Config fields), in `ftlab._seeded.BUGS` order.
TWINS: list[tuple[str, str, dict[str, Any]]] = [
    ("lost_update", "ftlab._seeded:LostUpdateCounter", {}),
    ("unsafe_shared_mut", "ftlab._seeded:UnsafeCellCounter", {}),
    ("check_then_act", 'ftlab._seeded:CheckThenActBank({"a": 3, "b": 3})', {}),
    ("lock_order_inversion", 'ftlab._seeded:LockOrderInversionBank({"a": 5, "b": 5})', {}),
    ("torn_multi_key_update", "ftlab._seeded:TornRegistry()", {}),
    ("relaxed_publication", "ftlab._seeded:RelaxedPublishSlot()", {}),
    ("double_once_init", "ftlab._seeded:RacyOnceResource(iter(range(10**9)).__next__)", ONCE_OPTS),
    ("queue_drop_or_duplicate", "ftlab._seeded:LossyWorkQueue(4)", {}),
    ("lost_wakeup_latch", f"ftlab._seeded:({SLICE}, LostWakeupLatch())[1]", {}),
    ("lost_wakeup_queue", f"ftlab._seeded:({SLICE}, LostWakeupWorkQueue(4))[1]", {}),
    ("lost_wakeup_once", f"ftlab._seeded:({SLICE}, LostWakeupOnceResource({SLOW_INIT}))[1]", ONCE_OPTS),
    ("mutex_across_callback", "ftlab._seeded:MutexHeldEventBus()", {}),
    ("lost_snapshot_update", "ftlab._seeded:UnserializedSnapshotMap()", {}),
    ("lost_race_publishes", "ftlab._seeded:RepublishingSnapshotMap()", {}),
    ("non_unique_thread_slot", "ftlab._seeded:NonUniqueSlotCounter()", PER_THREAD_OPTS),
    ("racy_statistics", "ftlab._seeded:RacyStatsCounter()", {}),
]

HAMMER_KINDS = ("crash", "hang", "unexpected_exception")
LINEARIZABILITY_KINDS = ("not_linearizable", "impossible_value", "lost_wakeup")
COLUMNS = {"hammer": HAMMER_KINDS, "linearizability": LINEARIZABILITY_KINDS}


def twin_target(bug: str, twin: str) -> tuple[str, dict[str, Any], str]:
    """(target, extra Config fields, problem) for `bug` whose twin class is `twin` (from
    `ftlab._seeded.BUGS`). A bug missing from TWINS gets `ftlab._seeded:<twin>` with no options;
    a table entry naming another class is a problem (returned, for the hunt to record as an error)."""
    for name, target, extra in TWINS:
        if name == bug:
            cls = target.split(":", 1)[1].split("(", 1)[0]
            if cls != twin:
                return target, dict(extra), f"zerocode/twins.py names {cls} for {bug}, ftlab._seeded.BUGS says {twin}"
            return target, dict(extra), ""
    return f"ftlab._seeded:{twin}", {}, ""


class Cell(NamedTuple):
    """What one zero-code record means for one detector column."""

    state: str  # caught | missed | stopped | error | not_checked
    seconds: float | None = None
    kind: str = ""
    detail: str = ""

    @property
    def caught(self) -> bool:
        return self.state == "caught"


def found(record: Mapping[str, Any]) -> str:
    """The finding kind of a zero-code record, or "" if it found nothing (a known kind only)."""
    outcome = record.get("zerocode_outcome", record.get("outcome"))
    kind = str(record.get("finding_kind") or "")
    if outcome == "finding" and any(kind in kinds for kinds in COLUMNS.values()):
        return kind
    return ""


def caught(record: Mapping[str, Any]) -> bool:
    """Whether the run found anything (either column)."""
    return bool(found(record))


def cell(record: Mapping[str, Any], column: str) -> Cell:
    """The record's verdict for `column` ("hammer" or "linearizability")."""
    kinds = COLUMNS[column]
    kind = found(record)
    secs = record.get("seconds_to_detect")
    secs = float(secs) if isinstance(secs, (int, float)) else None
    if kind in kinds:
        return Cell("caught", secs, kind)
    if kind:
        return Cell("stopped", None, kind)
    outcome = record.get("zerocode_outcome", record.get("outcome"))
    lines = str(record.get("detail") or "").strip().splitlines()
    first = lines[0] if lines else ""
    head = f" seed {record.get('seed')}: "
    if first.startswith("zerocode ") and head in first:  # `describe`'s "zerocode TARGET seed N: " prefix
        first = first.split(head, 1)[1]
    if outcome in ("clean", "pass"):
        return Cell("missed")
    if outcome in ("not_checked", "skipped"):
        return Cell("not_checked", detail=first)
    if first.startswith(("error: ", "bad_input: ")):
        first = first.split(": ", 1)[1]
    return Cell("error", detail=first or str(outcome))


def text(c: Cell, width: int = 80) -> str:
    """A cell for a table: `caught in 0.31 s (hang)`, `missed`, `ERROR: ...`."""
    if c.state == "caught":
        return (f"caught in {c.seconds:.2f} s" if c.seconds is not None else "caught") + f" ({c.kind})"
    if c.state == "stopped":
        return f"– (stopped: {c.kind})"
    if c.state == "error":
        return "ERROR: " + (c.detail[:width] if c.detail else "?")
    if c.state == "not_checked":
        return "not checked (no round ran)"
    return "missed"

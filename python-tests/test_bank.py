"""Bank (`src/py/bank.rs`): transfers conserve money, refuse overdrafts, never deadlock.

Semantics, error types and messages, then the concurrency checks: THREADS workers released
together on a Barrier transfer random amounts between random accounts in both directions
while auditors take snapshots and totals. Every snapshot must sum to the opening total with
no negative balance, `total()` must never move, and the final balances must equal the
opening balances plus every successful transfer the workers recorded.

The concurrent checks are the detectors (`@pytest.mark.detects`, run against the seeded twins
by `ci/pytest-twins`, see `twins.py`): the audited random transfers catch `check_then_act`
(negative balances, 3.13t with the GIL off); the opposite transfers catch
`lock_order_inversion` (deadlock, reported when the threads miss their deadline).
"""

from __future__ import annotations

import random

import pytest

from threads import run_in_threads
from twins import implementation

import ftlab

Bank = ftlab.Bank
THREADS = 4
TRANSFERS = 20_000  # each transfer of a twin spends RACE_WINDOW (20 µs) in its race window
OPENING = 100
NAMES = [f"acct{i}" for i in range(4)]


def test_open_and_read():
    bank = Bank({"alice": 10, "bob": 0, "carol": 5})
    assert bank.accounts() == ["alice", "bob", "carol"]  # opening order
    assert bank.balance("alice") == 10
    assert bank.snapshot() == {"alice": 10, "bob": 0, "carol": 5}
    assert bank.total() == 15
    assert repr(bank) == f"{type(bank).__name__}(accounts=3, total=15)"
    assert Bank({}).total() == 0
    assert Bank({}).snapshot() == {}


def test_accepts_any_mapping():
    from types import MappingProxyType

    assert Bank(MappingProxyType({"a": 1})).snapshot() == {"a": 1}


def test_transfer_moves_money():
    bank = Bank({"a": 10, "b": 0})
    assert bank.transfer("a", "b", 4) is None
    assert bank.snapshot() == {"a": 6, "b": 4}
    bank.transfer("b", "a", 4)
    bank.transfer("a", "b", 0)
    bank.transfer("a", "b", 10)  # the whole balance
    assert bank.snapshot() == {"a": 0, "b": 10}


def test_overdraft_is_refused_and_changes_nothing():
    bank = Bank({"a": 3, "b": 0})
    with pytest.raises(ftlab.OverdraftError, match=r'^account "a" has 3, cannot transfer 4$'):
        bank.transfer("a", "b", 4)
    assert bank.snapshot() == {"a": 3, "b": 0}
    assert issubclass(ftlab.OverdraftError, ValueError)
    assert ftlab.OverdraftError.__module__ == "ftlab"


def test_unknown_account_is_a_key_error():
    bank = Bank({"a": 3})
    with pytest.raises(KeyError, match='unknown account "nobody"'):
        bank.transfer("a", "nobody", 1)
    with pytest.raises(KeyError, match='unknown account "nobody"'):
        bank.transfer("nobody", "a", 1)
    with pytest.raises(KeyError, match='unknown account "x"'):
        bank.balance("x")
    assert bank.snapshot() == {"a": 3}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("a", "b", -1), r"^transfer amount must be >= 0, got -1$"),
        (("a", "a", 1), r'^cannot transfer from account "a" to itself$'),
    ],
)
def test_bad_transfers_are_value_errors(args, message):
    bank = Bank({"a": 3, "b": 0})
    with pytest.raises(ValueError, match=message) as info:
        bank.transfer(*args)
    assert not isinstance(info.value, ftlab.OverdraftError)
    assert bank.snapshot() == {"a": 3, "b": 0}


@pytest.mark.parametrize(
    ("accounts", "error", "message"),
    [
        ({"a": -1}, ValueError, r'^account "a" cannot open with a negative balance \(-1\)$'),
        ({"a": 2**62, "b": 2**62}, ValueError, r"^the opening balances sum to more than 2\*\*63-1$"),
        ({"a": "1"}, TypeError, r'^balance of account "a" must be int, got str$'),
        ({1: 1}, TypeError, r"^account names must be str, got int$"),
        ([("a", 1)], TypeError, r"^accounts must be a mapping, got list$"),
        ("ab", TypeError, r"^accounts must be a mapping, got str$"),
        ({"a": 2**64}, OverflowError, None),
    ],
)
def test_bad_opening(accounts, error, message):
    with pytest.raises(error, match=message):
        Bank(accounts)


def test_bad_argument_types():
    bank = Bank({"a": 3, "b": 0})
    with pytest.raises(TypeError):
        bank.transfer("a", "b", 1.5)
    with pytest.raises(TypeError):
        bank.transfer(b"a", "b", 1)
    with pytest.raises(TypeError):
        bank.balance(0)


def _worker(bank, seed):
    """Random transfers in both directions; returns the net amount moved per account."""
    rng = random.Random(seed)
    moved = dict.fromkeys(NAMES, 0)
    for _ in range(TRANSFERS):
        src, dst = rng.sample(NAMES, 2)
        amount = rng.randint(1, 60)
        try:
            bank.transfer(src, dst, amount)
        except ftlab.OverdraftError:
            continue
        moved[src] -= amount
        moved[dst] += amount
        # Each worker also audits the account it just debited: on a core shared with a busy
        # process the auditor thread may not run while a balance is briefly negative (seen:
        # the twin passed), but the thread that overdrew it runs right after its own debit.
        left = bank.balance(src)
        assert left >= 0, f"transfer of {amount} overdrew {src!r} to {left}"
    return moved


@pytest.mark.detects("check_then_act")
def test_concurrent_transfers_conserve_money_and_never_overdraw():
    bank = implementation("check_then_act", "Bank")(dict.fromkeys(NAMES, OPENING))
    total = OPENING * len(NAMES)
    auditors = 1
    finished: list[int] = []  # list.append is atomic, also on 3.13t

    def work(i):
        if i < auditors:
            audits = 0
            while len(finished) < THREADS or audits < 100:
                snapshot = bank.snapshot()
                assert sum(snapshot.values()) == total, f"snapshot {snapshot} does not sum to {total}"
                assert min(snapshot.values()) >= 0, f"negative balance in {snapshot}"
                assert bank.total() == total, f"total() moved to {bank.total()}"
                audits += 1
            return None
        try:
            return _worker(bank, seed=i)
        finally:
            finished.append(i)

    results = run_in_threads(THREADS + auditors, work)
    final = bank.snapshot()
    expected = {n: OPENING + sum(m[n] for m in results[auditors:]) for n in NAMES}
    assert final == expected, "final balances are not opening + the successful transfers"
    assert min(final.values()) >= 0, f"negative final balance in {final}"
    assert sum(bank.balance(n) for n in NAMES) == total, "balance() disagrees with the total"


@pytest.mark.detects("lock_order_inversion")
def test_concurrent_opposite_transfers_do_not_deadlock():
    """Pairs of threads transfer a -> b and b -> a as fast as they can (the classic
    lock-order deadlock); all must finish. The 10 s deadline is 100x the ~0.1 s this takes and
    bounds how long the detector waits for the deadlocked twin."""
    bank = implementation("lock_order_inversion", "Bank")({"a": 1_000, "b": 1_000})

    def work(i):
        src, dst = ("a", "b") if i % 2 == 0 else ("b", "a")
        for _ in range(TRANSFERS):
            try:
                bank.transfer(src, dst, 1)
            except ftlab.OverdraftError:
                pass

    run_in_threads(THREADS, work, deadline=10)
    assert bank.total() == 2_000, f"total() moved to {bank.total()}"

//! Loom models of `core::bank`: the real per-account-lock bank under loom's scheduler, and its
//! broken twins, which loom must reject.
//!
//! Correct models:
//! * opposite transfers (`a → b` racing `b → a`) with a concurrent auditor (`total` and
//!   `snapshot` on the main thread): no deadlock (locks are taken in index order), the
//!   auditor always sees the opening total and no negative balance, and the final balances
//!   are the same in every interleaving;
//! * an overdraft race (two transfers both trying to spend the only unit of `a`): exactly one
//!   succeeds, the other gets `Overdraft`, no balance goes negative.
//!
//! Broken twins: `check_then_act` must let both racing transfers spend the same unit (a
//! negative balance); `lock_order_inversion` must deadlock on the opposite transfers.
//!
//! Run: `RUSTFLAGS="--cfg ftlab_loom" cargo test --release --no-default-features
//! --target-dir target/loom --test loom_bank` (or `ci/loom`).

#![cfg(ftlab_loom)]

#[path = "support/loom_harness.rs"]
mod loom_harness;

use ftlab::core::bank::broken::{CheckThenActBank, LockOrderInversionBank};
use ftlab::core::bank::{Bank, BankError};
use ftlab::sync::{thread, Arc};
use loom_harness::{check, expect_rejected};

/// What the models need from a bank.
trait Accounts: Send + Sync + 'static {
    fn open(accounts: &[(&str, i64)]) -> Self;
    fn transfer(&self, src: &str, dst: &str, amount: i64) -> Result<(), BankError>;
    fn snapshot(&self) -> Vec<(String, i64)>;
    fn total(&self) -> i64;
}

macro_rules! impl_accounts {
    ($($ty:ty),*) => {$(
        impl Accounts for $ty {
            fn open(accounts: &[(&str, i64)]) -> Self {
                <$ty>::new(accounts.iter().copied()).unwrap()
            }
            fn transfer(&self, src: &str, dst: &str, amount: i64) -> Result<(), BankError> {
                <$ty>::transfer(self, src, dst, amount)
            }
            fn snapshot(&self) -> Vec<(String, i64)> {
                <$ty>::snapshot(self)
            }
            fn total(&self) -> i64 {
                <$ty>::total(self)
            }
        }
    )*};
}
impl_accounts!(Bank, CheckThenActBank, LockOrderInversionBank);

fn balances(snapshot: &[(String, i64)]) -> Vec<i64> {
    snapshot.iter().map(|(_, balance)| *balance).collect()
}

/// `a → b` racing `b → a`, audited from the main thread.
fn opposite_transfers<B: Accounts>() {
    let bank = Arc::new(B::open(&[("a", 2), ("b", 2), ("c", 0)]));
    let forward = {
        let bank = Arc::clone(&bank);
        thread::spawn(move || bank.transfer("a", "b", 1))
    };
    let backward = {
        let bank = Arc::clone(&bank);
        thread::spawn(move || bank.transfer("b", "a", 2))
    };
    assert_eq!(bank.total(), 4, "an auditor saw money created or destroyed");
    let during = balances(&bank.snapshot());
    assert_eq!(
        during.iter().sum::<i64>(),
        4,
        "inconsistent snapshot {during:?}"
    );
    assert!(
        during.iter().all(|b| *b >= 0),
        "negative balance in {during:?}"
    );
    assert_eq!(forward.join().unwrap(), Ok(()));
    assert_eq!(backward.join().unwrap(), Ok(()));
    assert_eq!(balances(&bank.snapshot()), [3, 1, 0]);
}

/// Two transfers racing for the only unit in `a`.
fn overdraft_race<B: Accounts>() {
    let bank = Arc::new(B::open(&[("a", 1), ("b", 0), ("c", 0)]));
    let handles: Vec<_> = ["b", "c"]
        .into_iter()
        .map(|dst| {
            let bank = Arc::clone(&bank);
            thread::spawn(move || bank.transfer("a", dst, 1))
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let after = balances(&bank.snapshot());
    assert!(
        after.iter().all(|b| *b >= 0),
        "negative balance {after:?} after {results:?}"
    );
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .any(|r| matches!(r, Err(BankError::Overdraft { .. }))));
    assert_eq!(after.iter().sum::<i64>(), 1);
}

#[test]
fn bank_opposite_transfers_neither_deadlock_nor_tear() {
    check("bank_opposite_transfers", opposite_transfers::<Bank>);
}

#[test]
fn bank_overdraft_race_spends_funds_once() {
    check("bank_overdraft_race", overdraft_race::<Bank>);
}

#[test]
fn rejects_check_then_act() {
    expect_rejected(
        "check_then_act",
        "negative balance",
        overdraft_race::<CheckThenActBank>,
    );
}

#[test]
fn rejects_lock_order_inversion() {
    expect_rejected(
        "lock_order_inversion",
        "deadlock",
        opposite_transfers::<LockOrderInversionBank>,
    );
}

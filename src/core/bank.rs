//! A bank: a fixed set of accounts and transfers between them, one mutex per account.
//!
//! Design: per-account locks (not one bank-wide lock) so that transfers between disjoint pairs
//! of accounts run in parallel. Two rules make that safe:
//!
//! * **Lock ordering.** Every operation that holds more than one account lock acquires them in
//!   ascending account index. With a single global order no cycle of waiters can form, so no
//!   deadlock (the broken twin `LockOrderInversionBank` locks `src` then `dst` and deadlocks).
//! * **Check and act under the same acquisition.** `transfer` checks the source balance and
//!   debits it while holding both locks, so no balance ever goes negative (the broken twin
//!   `CheckThenActBank` checks under one acquisition and debits under another).
//!
//! Invariants, under any interleaving:
//! * every balance is `>= 0`;
//! * the sum of all balances (the *total*) never changes after construction — transfers move
//!   money, they never create or destroy it;
//! * [`Bank::snapshot`] and [`Bank::total`] hold *all* account locks (taken in index order)
//!   while reading, so they observe a state between two transfers: a snapshot always sums to
//!   the total.
//!
//! The total is checked to fit in `i64` at construction; since every balance is non-negative
//! and at most the total, no transfer can overflow.
//!
//! Accounts are fixed at construction (no opening or closing), so the name → index map needs
//! no lock at all.

use std::collections::HashMap;
use std::fmt;

use crate::sync::{Mutex, MutexGuard};

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;

/// Why a bank operation was refused. Refused operations change nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankError {
    /// No account has this name.
    UnknownAccount(String),
    /// The source account holds less than the amount to transfer.
    Overdraft {
        /// The source account.
        account: String,
        /// Its balance when the transfer was refused.
        balance: i64,
        /// The amount that was asked for.
        amount: i64,
    },
    /// Transfers move non-negative amounts.
    NegativeAmount(i64),
    /// A transfer from an account to itself.
    SameAccount(String),
    /// An account opened with a negative balance.
    NegativeInitialBalance {
        /// The account.
        account: String,
        /// Its opening balance.
        balance: i64,
    },
    /// Two accounts with one name.
    DuplicateAccount(String),
    /// The opening balances sum to more than `i64::MAX`.
    TotalOverflow,
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BankError::UnknownAccount(name) => write!(f, "unknown account {name:?}"),
            BankError::Overdraft {
                account,
                balance,
                amount,
            } => write!(
                f,
                "account {account:?} has {balance}, cannot transfer {amount}"
            ),
            BankError::NegativeAmount(amount) => {
                write!(f, "transfer amount must be >= 0, got {amount}")
            }
            BankError::SameAccount(name) => {
                write!(f, "cannot transfer from account {name:?} to itself")
            }
            BankError::NegativeInitialBalance { account, balance } => write!(
                f,
                "account {account:?} cannot open with a negative balance ({balance})"
            ),
            BankError::DuplicateAccount(name) => write!(f, "duplicate account {name:?}"),
            BankError::TotalOverflow => write!(f, "the opening balances sum to more than 2**63-1"),
        }
    }
}

impl std::error::Error for BankError {}

/// Accounts with one mutex each; see the module docs for the locking rules.
#[derive(Debug)]
pub struct Bank {
    /// Account names in index order (the order they were opened in).
    names: Vec<String>,
    /// Name → index into `names` and `balances`. Immutable after construction.
    index: HashMap<String, usize>,
    /// One lock per account. Multi-account operations lock in ascending index.
    balances: Box<[Mutex<i64>]>,
}

impl Bank {
    /// Opens the accounts, in the given order. Refuses duplicate names, negative balances and
    /// totals that do not fit in `i64`.
    pub fn new<S: Into<String>>(
        accounts: impl IntoIterator<Item = (S, i64)>,
    ) -> Result<Bank, BankError> {
        let mut names = Vec::new();
        let mut index = HashMap::new();
        let mut balances = Vec::new();
        let mut total = 0i64;
        for (name, balance) in accounts {
            let name = name.into();
            if balance < 0 {
                return Err(BankError::NegativeInitialBalance {
                    account: name,
                    balance,
                });
            }
            total = total.checked_add(balance).ok_or(BankError::TotalOverflow)?;
            if index.insert(name.clone(), names.len()).is_some() {
                return Err(BankError::DuplicateAccount(name));
            }
            names.push(name);
            balances.push(Mutex::new(balance));
        }
        Ok(Bank {
            names,
            index,
            balances: balances.into_boxed_slice(),
        })
    }

    /// The index of account `name`.
    fn account(&self, name: &str) -> Result<usize, BankError> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| BankError::UnknownAccount(name.to_owned()))
    }

    /// Validates a transfer's arguments; returns the (src, dst) indices.
    fn transfer_accounts(
        &self,
        src: &str,
        dst: &str,
        amount: i64,
    ) -> Result<(usize, usize), BankError> {
        let (s, d) = (self.account(src)?, self.account(dst)?);
        if amount < 0 {
            return Err(BankError::NegativeAmount(amount));
        }
        if s == d {
            return Err(BankError::SameAccount(src.to_owned()));
        }
        Ok((s, d))
    }

    /// Locks accounts `a` and `b` (distinct) in ascending index order; returns the guards
    /// as (a's, b's).
    fn lock_pair(&self, a: usize, b: usize) -> (MutexGuard<'_, i64>, MutexGuard<'_, i64>) {
        debug_assert_ne!(a, b);
        if a < b {
            let ga = self.balances[a].lock();
            let gb = self.balances[b].lock();
            (ga, gb)
        } else {
            let gb = self.balances[b].lock();
            let ga = self.balances[a].lock();
            (ga, gb)
        }
    }

    /// Locks every account, in index order.
    fn lock_all(&self) -> Vec<MutexGuard<'_, i64>> {
        self.balances.iter().map(|balance| balance.lock()).collect()
    }

    /// Moves `amount` from `src` to `dst`: both balances change, or (on error) neither.
    pub fn transfer(&self, src: &str, dst: &str, amount: i64) -> Result<(), BankError> {
        let (s, d) = self.transfer_accounts(src, dst, amount)?;
        let (mut src_balance, mut dst_balance) = self.lock_pair(s, d);
        // Check and act under the same acquisition of both locks.
        check_funds(src, *src_balance, amount)?;
        *src_balance -= amount;
        // Cannot overflow: dst + amount <= total <= i64::MAX (see the module docs).
        *dst_balance += amount;
        Ok(())
    }

    /// The balance of one account.
    pub fn balance(&self, name: &str) -> Result<i64, BankError> {
        Ok(*self.balances[self.account(name)?].lock())
    }

    /// Every (account, balance), in account order, read under all locks at once.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        let guards = self.lock_all();
        let balances: Vec<i64> = guards.iter().map(|guard| **guard).collect();
        drop(guards);
        self.names.iter().cloned().zip(balances).collect()
    }

    /// The sum of all balances, read under all locks at once.
    pub fn total(&self) -> i64 {
        self.lock_all().iter().map(|guard| **guard).sum()
    }

    /// The account names, in the order they were opened.
    pub fn accounts(&self) -> &[String] {
        &self.names
    }
}

/// The funds check of a transfer: `Overdraft` if account `src`, holding `balance`, has less
/// than `amount`. Only meaningful while the caller still holds the lock the balance was read
/// under, and debits under that same acquisition (see `Bank::transfer`).
fn check_funds(src: &str, balance: i64, amount: i64) -> Result<(), BankError> {
    if balance < amount {
        return Err(BankError::Overdraft {
            account: src.to_owned(),
            balance,
            amount,
        });
    }
    Ok(())
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A sequential model: the same rules over a plain HashMap.
    fn model_transfer(
        model: &mut HashMap<String, i64>,
        src: &str,
        dst: &str,
        amount: i64,
    ) -> Result<(), BankError> {
        let unknown = |name: &str| BankError::UnknownAccount(name.to_owned());
        let src_balance = *model.get(src).ok_or_else(|| unknown(src))?;
        model.get(dst).ok_or_else(|| unknown(dst))?;
        if amount < 0 {
            return Err(BankError::NegativeAmount(amount));
        }
        if src == dst {
            return Err(BankError::SameAccount(src.to_owned()));
        }
        if src_balance < amount {
            return Err(BankError::Overdraft {
                account: src.to_owned(),
                balance: src_balance,
                amount,
            });
        }
        *model.get_mut(src).unwrap() -= amount;
        *model.get_mut(dst).unwrap() += amount;
        Ok(())
    }

    const NAMES: [&str; 5] = ["a", "b", "c", "d", "nobody"];

    proptest! {
        /// Any sequence of transfers (valid or not) gives the same results and balances as
        /// the sequential model, and the total never moves.
        #[test]
        fn bank_matches_hashmap_model(
            opening in proptest::collection::vec(0i64..100, 1..5),
            ops in proptest::collection::vec((0usize..5, 0usize..5, -5i64..60), 0..100),
        ) {
            let accounts: Vec<(String, i64)> = opening
                .iter()
                .enumerate()
                .map(|(i, &b)| (NAMES[i].to_owned(), b))
                .collect();
            let bank = Bank::new(accounts.clone()).unwrap();
            let mut model: HashMap<String, i64> = accounts.iter().cloned().collect();
            let total: i64 = opening.iter().sum();
            for (s, d, amount) in ops {
                let (src, dst) = (NAMES[s], NAMES[d]);
                prop_assert_eq!(
                    bank.transfer(src, dst, amount),
                    model_transfer(&mut model, src, dst, amount)
                );
                prop_assert_eq!(bank.total(), total);
            }
            let snapshot = bank.snapshot();
            prop_assert_eq!(snapshot.len(), accounts.len());
            for (name, balance) in snapshot {
                prop_assert!(balance >= 0);
                prop_assert_eq!(Some(&balance), model.get(&name));
                prop_assert_eq!(bank.balance(&name), Ok(balance));
            }
            prop_assert_eq!(bank.balance("nobody").is_err(), !model.contains_key("nobody"));
        }
    }

    #[test]
    fn construction_errors() {
        assert_eq!(
            Bank::new([("a", 1), ("a", 2)]).unwrap_err(),
            BankError::DuplicateAccount("a".into())
        );
        assert_eq!(
            Bank::new([("a", -1)]).unwrap_err(),
            BankError::NegativeInitialBalance {
                account: "a".into(),
                balance: -1
            }
        );
        assert_eq!(
            Bank::new([("a", i64::MAX), ("b", 1)]).unwrap_err(),
            BankError::TotalOverflow
        );
        let bank = Bank::new([("x", 1), ("y", 2)]).unwrap();
        assert_eq!(bank.accounts(), ["x", "y"]);
        assert_eq!(
            bank.transfer("x", "y", 2).unwrap_err().to_string(),
            "account \"x\" has 1, cannot transfer 2"
        );
    }

    /// Transfers in both directions between the same accounts from many threads neither
    /// deadlock nor create money; snapshots taken meanwhile always sum to the total.
    #[test]
    fn concurrent_transfers_conserve_total() {
        let bank = Bank::new([("a", 1000), ("b", 1000), ("c", 1000)]).unwrap();
        let names = ["a", "b", "c"];
        std::thread::scope(|scope| {
            for t in 0..4 {
                let bank = &bank;
                scope.spawn(move || {
                    for i in 0..5000 {
                        let src = names[(t + i) % 3];
                        let dst = names[(t + 2 * i + 1) % 3];
                        let _ = bank.transfer(src, dst, (i % 7) as i64);
                    }
                });
            }
            scope.spawn(|| {
                for _ in 0..2000 {
                    let snapshot = bank.snapshot();
                    assert!(snapshot.iter().all(|(_, b)| *b >= 0));
                    assert_eq!(snapshot.iter().map(|(_, b)| b).sum::<i64>(), 3000);
                }
            });
        });
        assert_eq!(bank.total(), 3000);
    }
}

//! Deliberately broken banks: the twins that prove the bank detectors can fail.
//!
//! Compiled only under `cfg(ftlab_loom)` or with the `seeded-bugs` feature. Each wraps a
//! correct [`Bank`] and breaks exactly one of its two locking rules in `transfer`; every other
//! method delegates to the correct code.
//!
//! * [`CheckThenActBank`] (`check_then_act`) — checks the source balance under one lock
//!   acquisition, releases, then debits under another. Two transfers can both pass the check
//!   on the same funds: a balance goes negative (the total is still conserved, which is why
//!   detectors must check balances, not only the total).
//! * [`LockOrderInversionBank`] (`lock_order_inversion`) — locks `src` then `dst` instead of
//!   ascending index. `transfer(a, b)` racing `transfer(b, a)` can each hold one lock and wait
//!   forever for the other: a deadlock.
//!
//! Each calls [`widen_race_window`] inside its race window (a no-op under loom), so that
//! a short Python stress run on a busy machine lands in the window too.
//!
//! Never use these outside tests and the stress hunt.

use super::{check_funds, Bank, BankError};
use crate::sync::widen_race_window;

/// The methods a broken bank takes unchanged from the correct [`Bank`] it wraps: all but
/// `transfer`. Why a macro: each twin below then spells out only its broken `transfer`, and
/// the delegation cannot drift between the twins.
macro_rules! delegate_to_bank {
    ($twin:ident) => {
        impl $twin {
            /// Opens the accounts (same rules as [`Bank::new`]).
            pub fn new<S: Into<String>>(
                accounts: impl IntoIterator<Item = (S, i64)>,
            ) -> Result<Self, BankError> {
                Bank::new(accounts).map($twin)
            }

            /// See [`Bank::balance`].
            pub fn balance(&self, name: &str) -> Result<i64, BankError> {
                self.0.balance(name)
            }

            /// See [`Bank::snapshot`].
            pub fn snapshot(&self) -> Vec<(String, i64)> {
                self.0.snapshot()
            }

            /// See [`Bank::total`].
            pub fn total(&self) -> i64 {
                self.0.total()
            }

            /// See [`Bank::accounts`].
            pub fn accounts(&self) -> &[String] {
                self.0.accounts()
            }
        }
    };
}

/// Broken twin of [`Bank`]: check-then-act across two lock acquisitions.
#[derive(Debug)]
pub struct CheckThenActBank(Bank);

delegate_to_bank!(CheckThenActBank);

impl CheckThenActBank {
    /// Moves `amount` from `src` to `dst`. THE BUG: the funds check and the debit happen
    /// under different acquisitions, so the check can be stale by the time of the debit.
    pub fn transfer(&self, src: &str, dst: &str, amount: i64) -> Result<(), BankError> {
        let (s, d) = self.0.transfer_accounts(src, dst, amount)?;
        let balance = *self.0.balances[s].lock(); // lock released right after the read
        check_funds(src, balance, amount)?; // stale by the debit: another transfer may spend it
        widen_race_window();
        let (mut src_balance, mut dst_balance) = self.0.lock_pair(s, d);
        *src_balance -= amount;
        *dst_balance += amount;
        Ok(())
    }
}

/// Broken twin of [`Bank`]: takes the two account locks in argument order.
#[derive(Debug)]
pub struct LockOrderInversionBank(Bank);

delegate_to_bank!(LockOrderInversionBank);

impl LockOrderInversionBank {
    /// Moves `amount` from `src` to `dst`. THE BUG: locks `src` first, then `dst`, so two
    /// opposite transfers can deadlock.
    pub fn transfer(&self, src: &str, dst: &str, amount: i64) -> Result<(), BankError> {
        let (s, d) = self.0.transfer_accounts(src, dst, amount)?;
        let mut src_balance = self.0.balances[s].lock();
        widen_race_window(); // holding `src`, about to wait for `dst`
        let mut dst_balance = self.0.balances[d].lock();
        check_funds(src, *src_balance, amount)?;
        *src_balance -= amount;
        *dst_balance += amount;
        Ok(())
    }
}

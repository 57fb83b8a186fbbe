//! Deliberately broken counters: the twins that prove the counter detectors can fail.
//!
//! Compiled only under `cfg(ftlab_loom)` (so `tests/loom_counter.rs` can show loom rejects
//! them) or with the `seeded-bugs` feature (so `ftlab._seeded` can expose them to the stress
//! hunt). Both bugs lose increments when two threads `add` at once:
//!
//! * [`LostUpdateCounter`] (`lost_update`) — every access is atomic, but the increment is a
//!   `load` followed by a `store`, not one read-modify-write: two threads can load the same
//!   value and both store `value + 1`.
//! * [`UnsafeCellCounter`] (`unsafe_shared_mut`) — a plain integer mutated through `&self`
//!   with no synchronization at all, made shareable by an `unsafe impl Sync` that lies. This
//!   is a data race (undefined behaviour); loom flags it as a causality violation.
//!
//! Each calls [`widen_race_window`] inside its race window (a no-op under loom), so that
//! a short Python stress run on a busy machine lands in the window too.
//!
//! Never use these outside tests and the stress hunt.

use crate::sync::{widen_race_window, AtomicI64, Ordering, UnsafeCell};

/// Broken twin of [`super::AtomicCounter`]: load, then store — not an atomic RMW.
#[derive(Debug, Default)]
pub struct LostUpdateCounter {
    value: AtomicI64,
}

impl LostUpdateCounter {
    /// Creates a counter holding `start`.
    pub fn new(start: i64) -> Self {
        LostUpdateCounter {
            value: AtomicI64::new(start),
        }
    }

    /// Adds `delta` and returns the new value. THE BUG: another thread's increment landing
    /// between the `load` and the `store` is overwritten.
    pub fn add(&self, delta: i64) -> i64 {
        let new = self.value.load(Ordering::SeqCst).wrapping_add(delta);
        widen_race_window();
        self.value.store(new, Ordering::SeqCst);
        new
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }
}

/// An `i64` in an `UnsafeCell` that claims to be `Sync`.
#[derive(Debug, Default)]
struct UnsyncedCell(UnsafeCell<i64>);

// SAFETY: NONE — THIS IS THE BUG. Nothing synchronizes access to the cell, so sharing it
// between threads lets two `add`s race (a data race, undefined behaviour). It exists only as
// the `unsafe_shared_mut` seeded bug, for loom and the stress hunt to catch.
unsafe impl Sync for UnsyncedCell {}

/// Broken twin of [`super::MutexCounter`]: the same read-modify-write with the lock removed.
#[derive(Debug, Default)]
pub struct UnsafeCellCounter {
    value: UnsyncedCell,
}

impl UnsafeCellCounter {
    /// Creates a counter holding `start`.
    pub fn new(start: i64) -> Self {
        UnsafeCellCounter {
            value: UnsyncedCell(UnsafeCell::new(start)),
        }
    }

    /// Adds `delta` and returns the new value, with no synchronization (THE BUG).
    pub fn add(&self, delta: i64) -> i64 {
        // SAFETY: not safe — see `UnsyncedCell`. The pointer is valid; exclusive access is
        // what is missing.
        let old = self.value.0.with(|p| unsafe { *p });
        let new = old.wrapping_add(delta);
        widen_race_window();
        self.value.0.with_mut(|p| unsafe { *p = new });
        new
    }

    /// The current value (an unsynchronized read; racy while writers run).
    pub fn get(&self) -> i64 {
        // SAFETY: as for `add`.
        self.value.0.with(|p| unsafe { *p })
    }
}

/// Broken twin of [`super::MutexCounter`] (`racy_statistics`): the value is correct — every
/// read-modify-write happens under the lock — but a `calls` statistic is bumped on every `add`
/// OUTSIDE the lock, through an `UnsafeCell`. That is a data race (undefined behaviour) that no
/// invariant sees: the counter's totals stay exact, and nothing checks `calls`. Only a race
/// detector that watches the accesses themselves (ThreadSanitizer, loom) can report it.
#[derive(Debug, Default)]
pub struct RacyStatsCounter {
    value: crate::sync::Mutex<i64>,
    calls: UnsyncedCell,
}

impl RacyStatsCounter {
    /// Creates a counter holding `start`, with `calls` at 0.
    pub fn new(start: i64) -> Self {
        RacyStatsCounter {
            value: crate::sync::Mutex::new(start),
            calls: UnsyncedCell::default(),
        }
    }

    /// Adds `delta` under the lock and returns the new value; then bumps `calls` with no
    /// synchronization (THE BUG).
    pub fn add(&self, delta: i64) -> i64 {
        let new = {
            let mut guard = self.value.lock();
            *guard = guard.wrapping_add(delta);
            *guard
        };
        // SAFETY: not safe — see `UnsyncedCell`: concurrent `add`s read and write `calls` at once.
        let calls = self.calls.0.with(|p| unsafe { *p });
        self.calls
            .0
            .with_mut(|p| unsafe { *p = calls.wrapping_add(1) });
        new
    }

    /// The current value (under the lock: always exact).
    pub fn get(&self) -> i64 {
        *self.value.lock()
    }

    /// How many `add`s ran, as far as the racy statistic knows (may have lost some).
    pub fn calls(&self) -> i64 {
        // SAFETY: as for `add`.
        self.calls.0.with(|p| unsafe { *p })
    }
}

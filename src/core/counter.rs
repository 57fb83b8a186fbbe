//! Counters: the smallest shared-mutable state, done two right ways.
//!
//! * [`MutexCounter`] — the read-modify-write happens inside one critical section, so no
//!   increment can be lost. Cost: every caller serialises on one lock.
//! * [`AtomicCounter`] — one `fetch_add` per increment. `Relaxed` is enough: the counter
//!   publishes no other memory, only its own value, and every RMW on one atomic is totally
//!   ordered (modification order), so no increment can be lost. Readers that need the final
//!   value join the writer threads first; the join is their happens-before edge.
//!
//! Invariant for both: after `n` completed `add(k)` calls the value is the sum of the `k`s.

use crate::sync::{AtomicI64, Mutex, Ordering};

/// A counter whose updates are serialised by a mutex.
#[derive(Debug, Default)]
pub struct MutexCounter {
    value: Mutex<i64>,
}

impl MutexCounter {
    /// Creates a counter holding `start`.
    pub fn new(start: i64) -> Self {
        MutexCounter {
            value: Mutex::new(start),
        }
    }

    /// Adds `delta` and returns the new value (read, add and write under one lock).
    pub fn add(&self, delta: i64) -> i64 {
        let mut guard = self.value.lock();
        *guard = guard.wrapping_add(delta);
        *guard
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        *self.value.lock()
    }
}

/// A lock-free counter built on one atomic read-modify-write.
#[derive(Debug, Default)]
pub struct AtomicCounter {
    value: AtomicI64,
}

impl AtomicCounter {
    /// Creates a counter holding `start`.
    pub fn new(start: i64) -> Self {
        AtomicCounter {
            value: AtomicI64::new(start),
        }
    }

    /// Adds `delta` and returns the new value.
    pub fn add(&self, delta: i64) -> i64 {
        // Relaxed: see the module docs — RMWs on one location never lose updates.
        self.value.fetch_add(delta, Ordering::Relaxed).wrapping_add(delta)
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Both counters agree with a plain sequential sum for any sequence of deltas.
        #[test]
        fn counters_match_sequential_sum(deltas in proptest::collection::vec(-1000i64..1000, 0..200)) {
            let m = MutexCounter::new(0);
            let a = AtomicCounter::new(0);
            let mut model = 0i64;
            for d in deltas {
                model += d;
                prop_assert_eq!(m.add(d), model);
                prop_assert_eq!(a.add(d), model);
            }
            prop_assert_eq!(m.get(), model);
            prop_assert_eq!(a.get(), model);
        }
    }
}

//! Counters: the smallest shared-mutable state, done two right ways.
//!
//! * [`MutexCounter`] — the read-modify-write happens inside one critical section, so no
//!   increment can be lost. Cost: every caller serialises on one lock.
//! * [`AtomicCounter`] — one `fetch_add` per increment. `Relaxed` is enough: the counter
//!   publishes no other memory, only its own value, and every RMW on one atomic is totally
//!   ordered (modification order), so no increment can be lost. Readers that need the final
//!   value join the writer threads first; the join is their happens-before edge.
//!
//! * [`ShardedCounter`] — one atomic per shard, each on its own cache line, and each thread
//!   adds to "its" shard ([`crate::sync::thread_shard_hint`]). Writers on different shards
//!   never touch the same cache line, so `add` scales with cores; the price is paid by
//!   readers, who sum every shard.
//!
//! Invariant for all three: after `n` completed `add(k)` calls the value is the sum of the
//! `k`s (wrapping on `i64` overflow). For the sharded counter "completed" matters: a read that
//! runs concurrently with writers sums shards one at a time, so it is not a linearizable
//! snapshot — with only non-negative deltas it lies between the totals at the start and at the
//! end of the read; once the writers are joined it is exact.
//!
//! The deliberately broken twins (`lost_update`, `unsafe_shared_mut`) live in [`broken`].

use std::num::NonZeroUsize;

use crate::sync::{thread_shard_hint, AtomicI64, Mutex, Ordering};

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;

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
        self.value
            .fetch_add(delta, Ordering::Relaxed)
            .wrapping_add(delta)
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

/// One shard: an atomic alone on its cache line(s). 128 bytes, not 64: on x86-64 the
/// adjacent-line prefetcher pulls cache lines in pairs, and some ARM cores have 128-byte lines
/// (crossbeam's `CachePadded` makes the same choice).
#[derive(Debug, Default)]
#[repr(align(128))]
struct PaddedShard(AtomicI64);

/// A counter split into per-thread shards, each a cache-line-padded atomic.
///
/// `add` touches only the calling thread's shard (one `fetch_add`, `Relaxed`: as for
/// [`AtomicCounter`], RMWs on one location are totally ordered, and the counter publishes no
/// other memory). `get` sums all shards.
#[derive(Debug)]
pub struct ShardedCounter {
    shards: Box<[PaddedShard]>,
}

impl ShardedCounter {
    /// Creates a counter at 0 with `shards` shards.
    pub fn new(shards: NonZeroUsize) -> Self {
        ShardedCounter {
            shards: (0..shards.get()).map(|_| PaddedShard::default()).collect(),
        }
    }

    /// A sensible shard count for this machine: the available parallelism rounded up to a
    /// power of two (at least 1), so that the first threads to use the counter each get their
    /// own shard.
    pub fn default_shard_count() -> NonZeroUsize {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        NonZeroUsize::new(cores.next_power_of_two()).unwrap_or(NonZeroUsize::MIN)
    }

    /// The number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Adds `delta` to the calling thread's shard.
    pub fn add(&self, delta: i64) {
        self.add_to_shard(thread_shard_hint(), delta);
    }

    /// Adds `delta` to shard `shard % shard_count()`. For callers that already know a good
    /// shard (a worker index), and for models that want two threads on one shard.
    pub fn add_to_shard(&self, shard: usize, delta: i64) {
        // Relaxed: see the type docs.
        self.shards[shard % self.shards.len()]
            .0
            .fetch_add(delta, Ordering::Relaxed);
    }

    /// The sum of all shards (exact once concurrent writers are joined; see the module docs).
    pub fn get(&self) -> i64 {
        self.shards.iter().fold(0i64, |sum, shard| {
            sum.wrapping_add(shard.0.load(Ordering::Relaxed))
        })
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

        /// The sharded counter agrees with a sequential sum whichever shards the adds land on,
        /// including wrapping at the `i64` edges.
        #[test]
        fn sharded_counter_matches_sequential_sum(
            shards in 1usize..9,
            adds in proptest::collection::vec((0usize..32, any::<i64>()), 0..200),
        ) {
            let counter = ShardedCounter::new(NonZeroUsize::new(shards).unwrap());
            prop_assert_eq!(counter.shard_count(), shards);
            let mut model = 0i64;
            for (shard, delta) in adds {
                counter.add_to_shard(shard, delta);
                model = model.wrapping_add(delta);
                prop_assert_eq!(counter.get(), model);
            }
            counter.add(1);
            prop_assert_eq!(counter.get(), model.wrapping_add(1));
        }
    }

    /// Threads that add concurrently through their own shard hint lose nothing.
    #[test]
    fn sharded_counter_is_exact_after_join() {
        let counter = ShardedCounter::new(NonZeroUsize::new(4).unwrap());
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        counter.add(1);
                    }
                });
            }
        });
        assert_eq!(counter.get(), 80_000);
    }

    /// Each shard really sits on its own 128-byte block.
    #[test]
    fn shards_are_cache_line_padded() {
        assert_eq!(std::mem::align_of::<PaddedShard>(), 128);
        assert_eq!(std::mem::size_of::<PaddedShard>(), 128);
    }
}

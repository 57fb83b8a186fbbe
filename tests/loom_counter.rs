//! Loom models of `core::counter`: the real counters, run under loom's scheduler through the
//! sync shim, and their broken twins, which loom must reject.
//!
//! Correct models: three concurrent `add(1)` (two spawned threads and the main thread) never
//! lose an increment, and the values `add` returns are exactly {1, 2, 3}. The sharded counter
//! is checked with two threads on one shard (contended), one on another, and a concurrent
//! reader whose sum must stay within [0, 3] (all deltas are non-negative).
//! Broken twins: `lost_update` (load + store) must fail the final-value assertion;
//! `unsafe_shared_mut` (unsynchronized `UnsafeCell`) must be flagged as a causality violation;
//! so must `racy_statistics`, whose totals are exact (its `calls` statistic races: only loom and
//! ThreadSanitizer see it).
//!
//! Run: `RUSTFLAGS="--cfg ftlab_loom" cargo test --release --no-default-features
//! --target-dir target/loom --test loom_counter` (or `ci/loom`).

#![cfg(ftlab_loom)]

#[path = "support/loom_harness.rs"]
mod loom_harness;

use std::num::NonZeroUsize;

use ftlab::core::counter::broken::{LostUpdateCounter, RacyStatsCounter, UnsafeCellCounter};
use ftlab::core::counter::{AtomicCounter, MutexCounter, ShardedCounter};
use ftlab::sync::{thread, Arc};
use loom_harness::{check, expect_rejected};

/// What the models need from a counter whose `add` returns the new value.
trait Counter: Send + Sync + 'static {
    fn new(start: i64) -> Self;
    fn add(&self, delta: i64) -> i64;
    fn get(&self) -> i64;
}

macro_rules! impl_counter {
    ($($ty:ty),*) => {$(
        impl Counter for $ty {
            fn new(start: i64) -> Self {
                <$ty>::new(start)
            }
            fn add(&self, delta: i64) -> i64 {
                <$ty>::add(self, delta)
            }
            fn get(&self) -> i64 {
                <$ty>::get(self)
            }
        }
    )*};
}
impl_counter!(
    MutexCounter,
    AtomicCounter,
    LostUpdateCounter,
    UnsafeCellCounter,
    RacyStatsCounter
);

/// Three concurrent increments: none lost, and each caller saw a distinct new value.
fn three_adders<C: Counter>() {
    let counter = Arc::new(C::new(0));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || counter.add(1))
        })
        .collect();
    let mut seen = vec![counter.add(1)];
    seen.extend(handles.into_iter().map(|h| h.join().unwrap()));
    seen.sort_unstable();
    assert_eq!(
        counter.get(),
        3,
        "lost update: final value after three add(1)"
    );
    assert_eq!(seen, [1, 2, 3], "lost update: add returned {seen:?}");
}

#[test]
fn mutex_counter_loses_no_update() {
    check("mutex_counter", three_adders::<MutexCounter>);
}

#[test]
fn atomic_counter_loses_no_update() {
    check("atomic_counter", three_adders::<AtomicCounter>);
}

#[test]
fn sharded_counter_loses_no_update() {
    check("sharded_counter", || {
        let counter = Arc::new(ShardedCounter::new(NonZeroUsize::new(2).unwrap()));
        let handles: Vec<_> = [0, 0, 1]
            .into_iter()
            .map(|shard| {
                let counter = Arc::clone(&counter);
                thread::spawn(move || counter.add_to_shard(shard, 1))
            })
            .collect();
        let during = counter.get();
        assert!(
            (0..=3).contains(&during),
            "concurrent read out of range: {during}"
        );
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(counter.get(), 3, "lost update in the sharded counter");
    });
}

#[test]
fn sharded_counter_thread_hint_loses_no_update() {
    // Through `add`, i.e. the thread's own shard hint: under loom the main thread is hint 0
    // and spawned threads 1 and 2, so with two shards main and the second thread contend.
    check("sharded_counter_thread_hint", || {
        let counter = Arc::new(ShardedCounter::new(NonZeroUsize::new(2).unwrap()));
        let handles: Vec<_> = [1, 2]
            .into_iter()
            .map(|delta| {
                let counter = Arc::clone(&counter);
                thread::spawn(move || counter.add(delta))
            })
            .collect();
        counter.add(3);
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(counter.get(), 6, "lost update in the sharded counter");
    });
}

#[test]
fn rejects_lost_update() {
    expect_rejected(
        "lost_update",
        "lost update",
        three_adders::<LostUpdateCounter>,
    );
}

#[test]
fn rejects_unsafe_shared_mut() {
    expect_rejected(
        "unsafe_shared_mut",
        "Causality violation",
        three_adders::<UnsafeCellCounter>,
    );
}

#[test]
fn rejects_racy_statistics() {
    expect_rejected(
        "racy_statistics",
        "Causality violation",
        three_adders::<RacyStatsCounter>,
    );
}

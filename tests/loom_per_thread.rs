//! Loom models of `core::per_thread`: the real per-thread counter (thread-local slot cache,
//! single-writer adds, merge and folding of exited threads' slots) under loom's scheduler, and
//! its broken twin, which loom must reject.
//!
//! Correct model (`per_thread_merge`): two spawned threads each `add(1)` twice while the main
//! thread adds once and merges twice; every merge lies in [0, 5] and never goes backwards;
//! after the joins the value is exactly 5, whether or not the merges folded the exited threads'
//! slots. (loom lets `join` return before a thread's thread-locals are dropped, so a merge may
//! run before, during or after the fold of a finished thread's slot — all must agree; std's
//! join waits for thread-local destructors, which the proptest in `core::per_thread` uses to
//! check that the slots *are* folded.)
//! Broken twin (`non_unique_thread_slot`): a single-writer add on a slot picked by thread
//! number modulo one slot — the two threads share it and an add is lost.
//!
//! Run: `RUSTFLAGS="--cfg ftlab_loom" cargo test --release --no-default-features
//! --target-dir target/loom --test loom_per_thread` (or `ci/loom per_thread`).

#![cfg(ftlab_loom)]

#[path = "support/loom_harness.rs"]
mod loom_harness;

use std::num::NonZeroUsize;

use ftlab::core::per_thread::broken::NonUniqueSlotCounter;
use ftlab::core::per_thread::PerThreadCounter;
use ftlab::sync::{thread, Arc};
use loom_harness::{check, expect_rejected};

/// What the model needs from a counter.
trait Counter: Send + Sync + 'static {
    fn make() -> Self;
    fn add(&self, delta: i64);
    fn value(&self) -> i64;
}

impl Counter for PerThreadCounter {
    fn make() -> Self {
        PerThreadCounter::new()
    }
    fn add(&self, delta: i64) {
        PerThreadCounter::add(self, delta);
    }
    fn value(&self) -> i64 {
        PerThreadCounter::value(self)
    }
}

impl Counter for NonUniqueSlotCounter {
    fn make() -> Self {
        NonUniqueSlotCounter::new(NonZeroUsize::MIN)
    }
    fn add(&self, delta: i64) {
        NonUniqueSlotCounter::add(self, delta);
    }
    fn value(&self) -> i64 {
        NonUniqueSlotCounter::value(self)
    }
}

fn adders_and_merger<C: Counter>() -> Arc<C> {
    let counter = Arc::new(C::make());
    let adders: Vec<_> = (0..2)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                counter.add(1);
                counter.add(1);
            })
        })
        .collect();
    counter.add(1);
    let first = counter.value();
    let second = counter.value();
    assert!(
        (0..=5).contains(&first) && (first..=5).contains(&second),
        "merges saw {first} then {second}"
    );
    for adder in adders {
        adder.join().unwrap();
    }
    assert_eq!(counter.value(), 5, "lost update");
    counter
}

#[test]
fn per_thread_merge() {
    check("per_thread_merge", || {
        let counter = adders_and_merger::<PerThreadCounter>();
        assert!((1..=3).contains(&counter.live_slots()));
    });
}

#[test]
fn rejects_non_unique_thread_slot() {
    expect_rejected("non_unique_thread_slot", "lost update", || {
        adders_and_merger::<NonUniqueSlotCounter>();
    });
}

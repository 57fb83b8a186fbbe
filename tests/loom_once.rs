//! Loom models of `core::once::Once`: the initialiser runs exactly once under any race, a
//! failed initialisation is retried, and everyone sees the one value.
//!
//! They run the real `src/core/once.rs` through the loom shim, 2–3 threads, preemption bound
//! 3 unless `LOOM_MAX_PREEMPTIONS` says otherwise. A lost wake-up of a waiting caller would
//! show up as a loom deadlock; a second run of the initialiser fails the `init_count` and
//! side-effect assertions; an unordered read of the value is a causality violation. The broken
//! twin `RacyOnce` (check-then-init) must be rejected, and so must `LostWakeupOnce` (a completed init
//! that forgets to wake its waiters: a deadlock). Run: `RUSTFLAGS="--cfg ftlab_loom"
//! CARGO_TARGET_DIR=target/loom cargo test --release --no-default-features --test loom_once`, or `ci/loom once`.
#![cfg(ftlab_loom)]

#[path = "support/loom_harness.rs"]
mod loom_harness;

use ftlab::core::once::broken::{LostWakeupOnce, RacyOnce};
use ftlab::core::once::{Claim, Once};
use loom_harness::{check, expect_rejected};

use ftlab::sync::{thread, Arc, AtomicUsize, Ordering};

#[test]
fn three_racing_callers_run_init_exactly_once() {
    check("once_three_callers_init_once", || {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (1..3usize)
            .map(|i| {
                let (once, runs) = (Arc::clone(&once), Arc::clone(&runs));
                thread::spawn(move || {
                    *once.get_or_init(|| {
                        runs.fetch_add(1, Ordering::Relaxed);
                        i
                    })
                })
            })
            .collect();
        let mine = *once.get_or_init(|| {
            runs.fetch_add(1, Ordering::Relaxed);
            0
        });
        for c in callers {
            assert_eq!(c.join().unwrap(), mine, "everyone must see the one value");
        }
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        assert_eq!(once.init_count(), 1);
    });
}

#[test]
fn failed_init_is_retried_by_a_racer() {
    check("once_failed_init_retried", || {
        let once = Arc::new(Once::new());
        let failer = {
            let once = Arc::clone(&once);
            thread::spawn(move || once.get_or_try_init(|| Err::<u32, &str>("boom")).is_err())
        };
        let got = *once
            .get_or_try_init(|| Ok::<u32, &str>(5))
            .expect("the succeeding initialiser cannot fail");
        let failed = failer.join().unwrap();
        assert_eq!(got, 5);
        assert_eq!(once.get(), Some(&5));
        // The failer either ran first (and failed: 2 attempts) or found the value (1 attempt).
        assert_eq!(once.init_count(), if failed { 2 } else { 1 });
    });
}

/// The Python binding's loop: `try_claim`, run init without holding anything but the claim,
/// `wait_while_running` with a bounded wait when someone else is initialising.
fn binding_get(once: &Once<usize>, runs: &AtomicUsize, mine: usize) -> usize {
    loop {
        match once.try_claim() {
            Claim::Ready(v) => return *v,
            Claim::Init(claim) => {
                runs.fetch_add(1, Ordering::Relaxed);
                return *claim.complete(mine);
            }
            Claim::Busy => {
                once.wait_while_running(Some(std::time::Duration::from_secs(3600)));
            }
            Claim::Reentrant => panic!("not recursive here"),
        }
    }
}

#[test]
fn claim_and_timed_wait_run_init_once() {
    check("once_claim_and_timed_wait", || {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let other = {
            let (once, runs) = (Arc::clone(&once), Arc::clone(&runs));
            thread::spawn(move || binding_get(&once, &runs, 1))
        };
        let mine = binding_get(&once, &runs, 0);
        assert_eq!(other.join().unwrap(), mine);
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    });
}

#[test]
fn rejects_double_once_init() {
    expect_rejected("double_once_init", "init ran twice", || {
        let once = Arc::new(RacyOnce::new());
        let other = {
            let once = Arc::clone(&once);
            thread::spawn(move || once.get_or_init(|| 1u32))
        };
        once.get_or_init(|| 2u32);
        other.join().unwrap();
        assert_eq!(once.init_count(), 1, "init ran twice");
    });
}

/// `lost_wakeup_once`: a caller that found the init running waits for it; the init completes
/// without waking it, so it sleeps forever: a deadlock.
#[test]
fn rejects_lost_wakeup_once() {
    expect_rejected("lost_wakeup_once", "deadlock", || {
        let once = Arc::new(LostWakeupOnce::<usize>::with_wake());
        let other = {
            let once = Arc::clone(&once);
            thread::spawn(move || *once.get_or_init(|| 1))
        };
        let mine = *once.get_or_init(|| 0);
        assert_eq!(other.join().unwrap(), mine);
    });
}

//! One-shot signalling and single-assignment publication: [`Latch`] and [`PublishSlot`].
//!
//! * [`Latch`] — a flag that goes from unset to set exactly once and never back. `set` is a
//!   compare-and-swap, so exactly one caller learns "I set it". Waiters first read the flag
//!   lock-free; if it is unset they sleep on a `Condvar` (no busy-waiting). Invariant that
//!   rules out a lost wake-up: a waiter re-checks the flag *while holding* `waiters`, and the
//!   setter takes `waiters` *after* storing the flag and before notifying, so a waiter either
//!   sees the flag or is already asleep when the notification comes.
//! * [`PublishSlot`] — a value written once by one thread and read by any number of others
//!   without a lock. The writer claims the slot with a CAS (`EMPTY -> WRITING`), writes the
//!   payload into an `UnsafeCell`, then stores `PUBLISHED` with `Release`. A reader loads the
//!   state with `Acquire`; if it reads `PUBLISHED`, the Release/Acquire pair makes every write
//!   of the payload happen-before the reader's access, and no write follows the publication,
//!   so the reader sees the whole payload and the payload never changes again.
//!
//! The broken twin (`broken::RelaxedPublishSlot`, only with `cfg(ftlab_loom)` or the
//! `seeded-bugs` feature) drops exactly the Release/Acquire pair; `tests/loom_latch.rs` shows
//! loom rejects it.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::wake::{Notify, Wake};
use crate::sync::{AtomicBool, AtomicU8, Condvar, Mutex, Ordering, UnsafeCell};

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;

/// A one-shot flag that threads can wait on.
#[derive(Debug, Default)]
pub struct Latch<W = Notify> {
    /// The flag. Only ever goes `false -> true`.
    set: AtomicBool,
    /// Held by waiters while they re-check `set` and go to sleep; taken by the setter between
    /// storing `set` and notifying. Protects no data: it only orders "check" against "notify".
    waiters: Mutex<()>,
    /// Where waiters sleep.
    changed: Condvar,
    /// How `set` wakes the sleepers: [`Notify`], or the seeded lost-wake-up twin's policy.
    wake: PhantomData<W>,
}

impl Latch {
    /// Creates an unset latch.
    pub fn new() -> Self {
        Latch::default()
    }
}

impl<W: Wake> Latch<W> {
    /// Sets the latch; returns `true` if this call set it, `false` if it was already set.
    /// Wakes every waiter.
    pub fn set(&self) -> bool {
        // AcqRel on success: Release so that a thread which observes the flag (Acquire) also
        // sees everything the setter did before `set()` — the latch is a publication point.
        // Acquire on success/failure so the losing caller synchronises with the winner too.
        let won = self
            .set
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if won {
            // Taking the lock after the store is what makes the wake-up impossible to lose:
            // any waiter that read `false` under the lock is now inside `Condvar::wait`
            // (which released the lock atomically), so it receives this notification.
            let _guard = self.waiters.lock();
            W::wake_all(&self.changed);
        }
        won
    }

    /// Whether the latch has been set.
    pub fn is_set(&self) -> bool {
        // Acquire: pairs with the Release in `set`, see there.
        self.set.load(Ordering::Acquire)
    }

    /// Blocks until the latch is set.
    pub fn wait(&self) {
        self.wait_timeout(None);
    }

    /// Blocks until the latch is set or `timeout` elapses (`None`: no limit). Returns whether
    /// the latch is set. Never busy-waits; spurious wake-ups are absorbed by the loop.
    pub fn wait_timeout(&self, timeout: Option<Duration>) -> bool {
        if self.is_set() {
            return true;
        }
        let deadline = timeout.map(|t| Instant::now().checked_add(t));
        let mut guard = self.waiters.lock();
        loop {
            // Re-checked under `waiters`: see `set` for why this cannot miss the notification.
            if self.is_set() {
                return true;
            }
            match deadline {
                None | Some(None) => guard = self.changed.wait(guard),
                Some(Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    let (g, _timed_out) = self.changed.wait_timeout(guard, deadline - now);
                    guard = g;
                }
            }
        }
    }
}

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const PUBLISHED: u8 = 2;

/// A single-assignment cell: one `publish`, then lock-free reads by any thread.
pub struct PublishSlot<T> {
    /// `EMPTY -> WRITING -> PUBLISHED`, each step taken once, by the one claiming writer.
    state: AtomicU8,
    /// Written only by the thread that won `EMPTY -> WRITING`, only before `PUBLISHED`;
    /// read only after observing `PUBLISHED` with Acquire.
    value: UnsafeCell<Option<T>>,
}

// SAFETY: the payload is written by exactly one thread (the CAS winner) before the Release
// store of `PUBLISHED` and never written again; readers only take `&T` after an Acquire load
// of `PUBLISHED`. So `&PublishSlot<T>` hands out `&T` across threads (needs `T: Sync`) and the
// value is moved in from another thread (needs `T: Send`).
unsafe impl<T: Send + Sync> Sync for PublishSlot<T> {}
// SAFETY: owning the slot is owning an `Option<T>`.
unsafe impl<T: Send> Send for PublishSlot<T> {}

impl<T> Default for PublishSlot<T> {
    fn default() -> Self {
        PublishSlot::new()
    }
}

impl<T> std::fmt::Debug for PublishSlot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishSlot")
            .field("published", &self.is_published())
            .finish_non_exhaustive()
    }
}

impl<T> PublishSlot<T> {
    /// Creates an empty slot.
    pub fn new() -> Self {
        PublishSlot {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(None),
        }
    }

    /// Publishes `value`. Fails, handing the value back, if the slot was already claimed by
    /// an earlier `publish` (finished or still writing): a slot is assigned at most once.
    pub fn publish(&self, value: T) -> Result<(), T> {
        // Relaxed is enough for the claim: it orders nothing, it only elects one writer (all
        // RMWs on `state` are totally ordered, so exactly one CAS from EMPTY succeeds).
        if self
            .state
            .compare_exchange(EMPTY, WRITING, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(value);
        }
        // SAFETY: we won the claim, so we are the only writer, and no reader touches the cell
        // until it observes PUBLISHED, which we have not stored yet.
        self.value.with_mut(|p| unsafe { *p = Some(value) });
        // Release: every write above happens-before any Acquire load that reads PUBLISHED.
        self.state.store(PUBLISHED, Ordering::Release);
        Ok(())
    }

    /// The published value, or `None` if nothing is published yet (or it is being written).
    pub fn get(&self) -> Option<&T> {
        // Acquire: pairs with the Release store in `publish`.
        if self.state.load(Ordering::Acquire) != PUBLISHED {
            return None;
        }
        // SAFETY: PUBLISHED was observed with Acquire, so the payload write happened-before
        // this read, and the payload is never written again while `self` is borrowed.
        self.value.with(|p| unsafe { (*p).as_ref() })
    }

    /// Whether a value has been published (a reader that sees `true` can `get` it).
    pub fn is_published(&self) -> bool {
        self.state.load(Ordering::Acquire) == PUBLISHED
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use crate::sync::{thread, Arc};
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum LatchOp {
        Set,
        IsSet,
        WaitZero,
    }

    #[derive(Debug, Clone)]
    enum SlotOp {
        Publish(Vec<i64>),
        Get,
    }

    proptest! {
        /// The latch behaves like a sequential bool that only goes false -> true, and `set`
        /// reports `true` exactly for the first call.
        #[test]
        fn latch_matches_one_way_flag(ops in proptest::collection::vec(
            prop_oneof![Just(LatchOp::Set), Just(LatchOp::IsSet), Just(LatchOp::WaitZero)], 0..40)) {
            let latch = Latch::new();
            let mut model = false;
            for op in ops {
                match op {
                    LatchOp::Set => { prop_assert_eq!(latch.set(), !model); model = true; }
                    LatchOp::IsSet => prop_assert_eq!(latch.is_set(), model),
                    LatchOp::WaitZero => prop_assert_eq!(latch.wait_timeout(Some(Duration::ZERO)), model),
                }
            }
        }

        /// The slot behaves like a sequential `Option` that is assigned at most once: the first
        /// publish wins, later ones hand their value back, `get` returns the first value.
        #[test]
        fn slot_matches_single_assignment(ops in proptest::collection::vec(prop_oneof![
            proptest::collection::vec(any::<i64>(), 0..8).prop_map(SlotOp::Publish),
            Just(SlotOp::Get)], 0..30)) {
            let slot = PublishSlot::new();
            let mut model: Option<Vec<i64>> = None;
            for op in ops {
                match op {
                    SlotOp::Publish(v) => match &model {
                        None => { prop_assert!(slot.publish(v.clone()).is_ok()); model = Some(v); }
                        Some(_) => prop_assert_eq!(slot.publish(v.clone()), Err(v)),
                    },
                    SlotOp::Get => prop_assert_eq!(slot.get(), model.as_ref()),
                }
                prop_assert_eq!(slot.is_published(), model.is_some());
            }
        }
    }

    #[test]
    fn wait_times_out_when_unset_and_wakes_when_set() {
        let latch = Arc::new(Latch::new());
        assert!(!latch.wait_timeout(Some(Duration::from_millis(10))));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let latch = Arc::clone(&latch);
                thread::spawn(move || latch.wait_timeout(Some(Duration::from_secs(30))))
            })
            .collect();
        thread::sleep(Duration::from_millis(20));
        assert!(latch.set());
        assert!(!latch.set());
        for w in waiters {
            assert!(w.join().unwrap());
        }
    }

    #[test]
    fn readers_see_whole_payload() {
        let slot = Arc::new(PublishSlot::new());
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let slot = Arc::clone(&slot);
                thread::spawn(move || loop {
                    if let Some(v) = slot.get() {
                        let v: &Vec<u64> = v;
                        assert_eq!(v.len(), 1000);
                        assert!(v.iter().enumerate().all(|(i, x)| *x == i as u64));
                        break;
                    }
                    thread::yield_now();
                })
            })
            .collect();
        slot.publish((0..1000).collect()).unwrap();
        for r in readers {
            r.join().unwrap();
        }
    }
}

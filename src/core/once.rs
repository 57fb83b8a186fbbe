//! Once-initialisation: [`Once`], a cell whose initialiser runs exactly once under any race.
//!
//! (`std::sync::OnceLock` has no loom model, so this is the project's own protocol, built on
//! `crate::sync` and checked by `tests/loom_once.rs`.)
//!
//! State machine, in `state: AtomicU8`, only ever *changed* while holding `lock`:
//!
//! ```text
//!   UNINIT --claim--> RUNNING --complete--> READY
//!      ^                 |
//!      +----abandon------+      (init failed or panicked: the next caller retries)
//! ```
//!
//! * Fast path: one `Acquire` load of `state`; `READY` means the value is there.
//! * Slow path: under `lock`, a caller that finds `UNINIT` claims (`RUNNING`, records its
//!   thread id, bumps `init_count`) and runs the initialiser **after releasing the lock**;
//!   callers that find `RUNNING` sleep on `changed` (a `Condvar`: no busy-waiting) and
//!   re-examine the state when woken.
//! * Publication: the initialiser writes the value into the `UnsafeCell` (it is the only
//!   writer: only the claimant may), then, under `lock`, stores `READY` with `Release` and
//!   wakes everyone. Fast-path readers synchronise through Release/Acquire on `state`,
//!   slow-path readers through `lock` as well.
//! * Failure: if the initialiser returns an error or panics, its [`InitGuard`] is dropped
//!   without completing; the drop puts the state back to `UNINIT` and wakes the waiters, one
//!   of which claims and retries. So `init_count` counts *attempts*: it is 1 after a clean
//!   race, and `1 + failures` in general.
//!
//! Why the initialiser runs *outside* the lock: in the Python binding it is arbitrary Python
//! code. Holding a lock across it would make any thread that blocks on that lock while
//! attached to the interpreter a deadlock hazard (GIL build: the initialiser may release the
//! GIL and wait for it back; 3.13t: a stop-the-world pause waits for the blocked thread), and
//! a recursive `get` from inside the initialiser would self-deadlock. Here the lock is held
//! only for a few instructions, waiting happens on the condvar (the binding detaches for it),
//! and recursion is detected ([`Claim::Reentrant`]) because the claimant's thread id is kept.
//!
//! The broken twin (`broken::RacyOnce`, only with `cfg(ftlab_loom)` or `seeded-bugs`) checks
//! and then initialises without any lock; `tests/loom_once.rs` shows loom rejects it.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::wake::{Notify, Wake};
use crate::sync::{thread, AtomicU8, AtomicUsize, Condvar, Mutex, Ordering, UnsafeCell};

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;

const UNINIT: u8 = 0;
const RUNNING: u8 = 1;
const READY: u8 = 2;

/// A cell initialised at most once, by the first caller that claims it.
pub struct Once<T, W = Notify> {
    /// UNINIT / RUNNING / READY; changed only while holding `lock`, read lock-free.
    state: AtomicU8,
    /// The thread running the initialiser while `state == RUNNING`.
    lock: Mutex<Option<thread::ThreadId>>,
    /// Signalled on every change of `state` away from RUNNING.
    changed: Condvar,
    /// Written once, by the claimant, before READY; read only after READY is observed.
    value: UnsafeCell<Option<T>>,
    /// Number of initialiser runs started (successful or not).
    init_count: AtomicUsize,
    /// How completing the init wakes the waiters: [`Notify`], or the seeded lost-wake-up
    /// twin's policy.
    wake: PhantomData<W>,
}

// SAFETY: the value is written only by the claimant (RUNNING excludes every other writer and
// every reader) and read as `&T` only after READY is observed with Acquire or under `lock`;
// it is never written again. Sharing hands out `&T` (T: Sync) and the value may be created
// on one thread and dropped on another (T: Send).
unsafe impl<T: Send + Sync, W: Wake> Sync for Once<T, W> {}
// SAFETY: owning the cell is owning an `Option<T>`.
unsafe impl<T: Send, W: Wake> Send for Once<T, W> {}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Once::new()
    }
}

impl<T, W: Wake> std::fmt::Debug for Once<T, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Once")
            .field("initialized", &self.is_initialized())
            .field("init_count", &self.init_count())
            .finish_non_exhaustive()
    }
}

/// What [`Once::try_claim`] found.
#[must_use]
pub enum Claim<'a, T, W = Notify> {
    /// Initialised: here is the value.
    Ready(&'a T),
    /// The caller won the claim and must run the initialiser, then
    /// [`InitGuard::complete`] (or drop the guard to give up).
    Init(InitGuard<'a, T, W>),
    /// Another thread is running the initialiser: [`Once::wait_while_running`], then retry.
    Busy,
    /// The calling thread itself is running the initialiser (recursive use).
    Reentrant,
}

/// Why [`Once::get_or_try_init`] returned no value.
#[derive(Debug, PartialEq, Eq)]
pub enum OnceError<E> {
    /// The initialiser failed; the cell stays uninitialised and the next caller retries.
    Init(E),
    /// Called from inside the cell's own initialiser.
    Reentrant,
}

/// The right (and duty) to initialise a [`Once`]. Dropping it without
/// [`complete`](InitGuard::complete) abandons the attempt: the cell returns to uninitialised
/// and one waiter is free to retry.
#[must_use]
pub struct InitGuard<'a, T, W = Notify> {
    once: &'a Once<T, W>,
    completed: bool,
}

impl<'a, T, W: Wake> InitGuard<'a, T, W> {
    /// Stores `value`, publishes it, wakes every waiter and returns the stored value.
    pub fn complete(mut self, value: T) -> &'a T {
        let once = self.once;
        // SAFETY: we hold the claim (state RUNNING, set by us): no other thread writes the
        // cell, and no reader reads it before READY, which is stored below.
        once.value.with_mut(|p| unsafe { *p = Some(value) });
        {
            let mut owner = once.lock.lock();
            *owner = None;
            // Release: the value write above happens-before every Acquire load seeing READY.
            once.state.store(READY, Ordering::Release);
            W::wake_all(&once.changed);
        }
        self.completed = true;
        // SAFETY: READY is stored and the value is never written again.
        once.value
            .with(|p| unsafe { (*p).as_ref() })
            .expect("value stored above")
    }
}

impl<T, W> Drop for InitGuard<'_, T, W> {
    fn drop(&mut self) {
        if self.completed {
            return;
        }
        // Abandoned (error or panic in the initialiser): back to UNINIT, wake the waiters so
        // one of them can claim and retry. Relaxed: UNINIT publishes nothing, and waiters read
        // it under `lock`.
        let mut owner = self.once.lock.lock();
        *owner = None;
        self.once.state.store(UNINIT, Ordering::Relaxed);
        self.once.changed.notify_all();
    }
}

impl<T> Once<T> {
    /// Creates an uninitialised cell.
    pub fn new() -> Self {
        Once::with_wake()
    }
}

impl<T, W: Wake> Once<T, W> {
    /// Creates an uninitialised cell whose completed init wakes waiters with policy `W`
    /// (see [`super::wake`]).
    pub fn with_wake() -> Self {
        Once {
            state: AtomicU8::new(UNINIT),
            lock: Mutex::new(None),
            changed: Condvar::new(),
            value: UnsafeCell::new(None),
            init_count: AtomicUsize::new(0),
            wake: PhantomData,
        }
    }

    /// The value if initialised (fast path: one Acquire load, no lock).
    pub fn get(&self) -> Option<&T> {
        // Acquire: pairs with the Release store of READY in `InitGuard::complete`.
        if self.state.load(Ordering::Acquire) == READY {
            // SAFETY: READY observed with Acquire; the value is never written again.
            self.value.with(|p| unsafe { (*p).as_ref() })
        } else {
            None
        }
    }

    /// Whether the value is initialised.
    pub fn is_initialized(&self) -> bool {
        self.state.load(Ordering::Acquire) == READY
    }

    /// How many times an initialiser was started (1 after any race without failures).
    pub fn init_count(&self) -> usize {
        // Relaxed: a statistic; it is bumped under `lock`, and callers that need an exact
        // figure read it after joining the threads (or after observing READY).
        self.init_count.load(Ordering::Relaxed)
    }

    /// Never blocks for longer than a few instructions under the internal lock: reports the
    /// value, hands the caller the claim, or says someone else (or the caller) is running the
    /// initialiser.
    pub fn try_claim(&self) -> Claim<'_, T, W> {
        if let Some(v) = self.get() {
            return Claim::Ready(v);
        }
        let me = thread::current().id();
        let mut owner = self.lock.lock();
        // Acquire is redundant here (READY is stored under `lock`, which we hold) but keeps
        // this load correct on its own.
        match self.state.load(Ordering::Acquire) {
            READY => {
                drop(owner);
                // SAFETY: READY observed; see `get`.
                Claim::Ready(
                    self.value
                        .with(|p| unsafe { (*p).as_ref() })
                        .expect("READY implies a value"),
                )
            }
            RUNNING if *owner == Some(me) => Claim::Reentrant,
            RUNNING => Claim::Busy,
            _ => {
                *owner = Some(me);
                self.state.store(RUNNING, Ordering::Relaxed);
                self.init_count.fetch_add(1, Ordering::Relaxed);
                Claim::Init(InitGuard {
                    once: self,
                    completed: false,
                })
            }
        }
    }

    /// Blocks (on a condvar, never spinning) while another thread runs the initialiser, at
    /// most `timeout` (`None`: no limit). Returns `true` if the state is no longer RUNNING.
    /// Call [`try_claim`](Once::try_claim) again afterwards.
    pub fn wait_while_running(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut owner = self.lock.lock();
        while self.state.load(Ordering::Relaxed) == RUNNING {
            match deadline {
                None => owner = self.changed.wait(owner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    owner = self.changed.wait_timeout(owner, deadline - now).0;
                }
            }
        }
        true
    }

    /// Returns the value, running `init` first if nobody has initialised the cell. Blocks while
    /// another thread initialises. If `init` fails, the cell stays uninitialised (the next
    /// caller retries) and the error is returned.
    pub fn get_or_try_init<E>(
        &self,
        init: impl FnOnce() -> Result<T, E>,
    ) -> Result<&T, OnceError<E>> {
        loop {
            match self.try_claim() {
                Claim::Ready(v) => return Ok(v),
                Claim::Init(guard) => {
                    // A panic in `init` unwinds through `guard`, whose drop abandons the claim.
                    return match init() {
                        Ok(value) => Ok(guard.complete(value)),
                        Err(e) => Err(OnceError::Init(e)),
                    };
                }
                Claim::Busy => {
                    self.wait_while_running(None);
                }
                Claim::Reentrant => return Err(OnceError::Reentrant),
            }
        }
    }

    /// Infallible [`get_or_try_init`](Once::get_or_try_init).
    ///
    /// # Panics
    /// If called recursively from its own initialiser (or if `init` panics).
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        match self.get_or_try_init(|| Ok::<T, std::convert::Infallible>(init())) {
            Ok(v) => v,
            Err(OnceError::Reentrant) => panic!("Once::get_or_init called from its own init"),
            Err(OnceError::Init(never)) => match never {},
        }
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use crate::sync::Arc;
    use proptest::prelude::*;

    proptest! {
        /// Against the sequential model "Option<T> plus attempt counter": a failing init leaves
        /// the cell empty and counts an attempt; the first succeeding init fixes the value;
        /// later inits never run.
        #[test]
        fn once_matches_sequential_model(attempts in proptest::collection::vec(
            proptest::option::of(any::<u32>()), 0..20)) {
            let once = Once::new();
            let mut model: Option<u32> = None;
            let mut count = 0usize;
            for attempt in attempts {
                let mut ran = false;
                let got = once.get_or_try_init(|| { ran = true; attempt.ok_or("init failed") });
                prop_assert_eq!(ran, model.is_none());
                if model.is_none() {
                    count += 1;
                    model = attempt;
                }
                match (got, model) {
                    (Ok(v), Some(m)) => prop_assert_eq!(*v, m),
                    (Err(OnceError::Init(e)), None) => prop_assert_eq!(e, "init failed"),
                    (got, model) => prop_assert!(false, "got {:?}, model {:?}", got.copied(), model),
                }
                prop_assert_eq!(once.init_count(), count);
                prop_assert_eq!(once.is_initialized(), model.is_some());
                prop_assert_eq!(once.get().copied(), model);
            }
        }
    }

    #[test]
    fn panicking_init_leaves_cell_uninitialised_and_next_caller_retries() {
        let once: Once<String> = Once::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            once.get_or_init(|| panic!("init exploded"));
        }));
        assert!(r.is_err());
        assert!(!once.is_initialized());
        assert_eq!(once.get_or_init(|| "second".to_string()), "second");
        assert_eq!(once.init_count(), 2);
    }

    #[test]
    fn recursive_init_is_reported_not_deadlocked() {
        let once: Once<u32> = Once::new();
        let inner = once.get_or_try_init(|| match once.get_or_try_init(|| Ok::<u32, ()>(1)) {
            Err(OnceError::Reentrant) => Ok(7),
            _ => Err(()),
        });
        assert_eq!(inner, Ok(&7));
        assert_eq!(once.init_count(), 1);
    }

    #[test]
    fn racing_callers_run_a_slow_init_exactly_once() {
        let once = Arc::new(Once::new());
        let start = Arc::new(crate::core::latch::Latch::new());
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (once, start) = (Arc::clone(&once), Arc::clone(&start));
                thread::spawn(move || {
                    start.wait();
                    *once.get_or_init(|| {
                        thread::sleep(Duration::from_millis(20));
                        i
                    })
                })
            })
            .collect();
        start.set();
        let got: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(got.iter().all(|v| *v == got[0]));
        assert_eq!(once.init_count(), 1);
    }

    #[test]
    fn waiters_retry_after_a_failed_init() {
        let once = Arc::new(Once::new());
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let once = Arc::clone(&once);
                thread::spawn(move || {
                    once.get_or_try_init(|| {
                        thread::sleep(Duration::from_millis(10));
                        if i == 0 {
                            Err("first fails")
                        } else {
                            Ok(i)
                        }
                    })
                    .ok()
                    .copied()
                })
            })
            .collect();
        let got: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let value = *once.get().expect("some init succeeded");
        assert!(got.iter().all(|g| g.is_none() || *g == Some(value)));
        assert!(once.init_count() <= 2);
    }
}

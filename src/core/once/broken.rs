//! Broken twin of [`super::Once`]: `double_once_init`. DELIBERATELY WRONG.
//!
//! Also the `lost_wakeup_once` twin (a type alias at the end of this file): the correct protocol
//! with its notification dropped, through the wake-up policy of `core::wake`.
//!
//! Compiled only under `cfg(ftlab_loom)` (for `tests/loom_once.rs`, which shows loom rejects
//! it) or the `seeded-bugs` feature (for `ftlab._seeded.RacyOnceResource`). Never part of a
//! default build.
//!
//! The bug is check-then-act: "is it initialised? no -> initialise" with nothing making the
//! check and the initialisation one atomic step. Every thread that passes the check before
//! the first initialiser finishes runs the initialiser too, and each gets *its own* value
//! back (the stored one is whichever finished last). The wider the window (a slow
//! initialiser, e.g. Python code that does I/O), the likelier the race.
//!
//! The value itself is kept behind a mutex and handed out by clone, so the twin is
//! memory-safe: it breaks the *once* guarantee, not Rust's aliasing rules.

use crate::sync::{AtomicBool, AtomicUsize, Mutex, Ordering};

/// A once-cell that can run its initialiser more than once. See the module docs.
#[derive(Debug, Default)]
pub struct RacyOnce<T> {
    ready: AtomicBool,
    value: Mutex<Option<T>>,
    init_count: AtomicUsize,
}

impl<T: Clone> RacyOnce<T> {
    /// Creates an uninitialised cell.
    pub fn new() -> Self {
        RacyOnce {
            ready: AtomicBool::new(false),
            value: Mutex::new(None),
            init_count: AtomicUsize::new(0),
        }
    }

    /// The value if initialised.
    pub fn get(&self) -> Option<T> {
        if self.ready.load(Ordering::Acquire) {
            self.value.lock().clone()
        } else {
            None
        }
    }

    /// Whether some initialiser has finished.
    pub fn is_initialized(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// How many times an initialiser was started.
    pub fn init_count(&self) -> usize {
        self.init_count.load(Ordering::Relaxed)
    }

    /// Returns the value, running `init` if the cell looked uninitialised. BUG: the look and
    /// the initialisation are not one atomic step.
    pub fn get_or_try_init<E>(&self, init: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        // BUG: another thread can be right here too; nothing claims the initialisation.
        self.init_count.fetch_add(1, Ordering::Relaxed);
        let value = init()?;
        *self.value.lock() = Some(value.clone()); // last writer wins
        self.ready.store(true, Ordering::Release);
        Ok(value)
    }

    /// Infallible [`get_or_try_init`](RacyOnce::get_or_try_init).
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> T {
        match self.get_or_try_init(|| Ok::<T, std::convert::Infallible>(init())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

/// Broken twin of [`super::Once`] (`lost_wakeup_once`): a completed init publishes the value
/// but never wakes the callers waiting for it; they see it only when their timed wait runs
/// out. (An abandoned init still wakes them: only the success path is broken.)
pub type LostWakeupOnce<T> = super::Once<T, crate::core::wake::LoseWakeup>;

//! Broken twin of [`super::PublishSlot`]: `relaxed_publication`. DELIBERATELY WRONG.
//!
//! Also the `lost_wakeup_latch` twin (a type alias at the end of this file): the correct protocol
//! with its notification dropped, through the wake-up policy of `core::wake`.
//!
//! Compiled only under `cfg(ftlab_loom)` (so `tests/loom_latch.rs` can show loom rejects it)
//! or the `seeded-bugs` feature (so `ftlab._seeded.RelaxedPublishSlot` can be hunted by the
//! stress suite). Never part of a default build.
//!
//! The bug is publication without ordering: the state flag is stored and loaded `Relaxed`,
//! so observing the flag says nothing about the payload. It comes in two strengths:
//!
//! * [`FlagTiming::AfterPayload`] — the textbook bug: payload fully written, then a Relaxed
//!   flag store; reader does a Relaxed flag load. Loom rejects it (the reader's access to the
//!   payload is not ordered after the writer's: a causality violation). On x86-64, however,
//!   the hardware (TSO) keeps stores in order and the compiler happens to as well, so **no
//!   stress test on x86 can observe this variant**; on weakly ordered CPUs (ARM, POWER) it is
//!   visible as stale or partial payloads.
//! * [`FlagTiming::BeforeFill`] (what `new()` builds, and what the Python twin uses) — makes
//!   the reordering that `Relaxed` *permits* actually happen on every CPU: the payload buffer
//!   is allocated (all zeros) and the flag stored *before* the elements are copied in. A
//!   reader that sees the flag can then read a buffer whose tail is still zero. This is the
//!   stress-visible variant; it is also rejected by loom. Note it is an honest stand-in, not
//!   the same machine behaviour: on ARM the Relaxed variant fails for the same reason (the
//!   flag store becomes visible before the payload stores), here we force that order.
//!
//! In the real build the racing element reads and writes are a data race (undefined
//! behaviour in Rust's model). The buffer's length and pointer are written before the flag,
//! and elements are plain aligned `i64`-sized copies, so on the machines we run on the race
//! shows up as zeros, not as a crash — but that is exactly the kind of "works on my machine"
//! this twin exists to demonstrate.

use crate::sync::{widen_rare_race_window, AtomicU8, Ordering, UnsafeCell};

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const PUBLISHED: u8 = 2;

/// When the broken slot stores its (Relaxed) flag relative to filling the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagTiming {
    /// Payload completely written, then the flag (only the ordering is missing).
    AfterPayload,
    /// Buffer allocated (zeroed), flag stored, then the elements copied in.
    BeforeFill,
}

/// A publication slot for a sequence of `T` whose flag carries no ordering. See module docs.
pub struct RelaxedPublishSlot<T> {
    state: AtomicU8,
    timing: FlagTiming,
    value: UnsafeCell<Option<Vec<T>>>,
}

// SAFETY: none — that is the bug. These impls let the twin be shared like the real slot so the
// race can be observed; see the module docs.
unsafe impl<T: Send + Sync> Sync for RelaxedPublishSlot<T> {}
// SAFETY: owning the slot is owning an `Option<Vec<T>>`.
unsafe impl<T: Send> Send for RelaxedPublishSlot<T> {}

impl<T: Copy + Default> Default for RelaxedPublishSlot<T> {
    fn default() -> Self {
        RelaxedPublishSlot::new()
    }
}

impl<T: Copy + Default> RelaxedPublishSlot<T> {
    /// The stress-visible twin: flag stored before the elements are filled in.
    pub fn new() -> Self {
        RelaxedPublishSlot::with_timing(FlagTiming::BeforeFill)
    }

    /// A twin with the given flag timing.
    pub fn with_timing(timing: FlagTiming) -> Self {
        RelaxedPublishSlot {
            state: AtomicU8::new(EMPTY),
            timing,
            value: UnsafeCell::new(None),
        }
    }

    /// Publishes `values`; fails (handing them back) if the slot was already claimed.
    pub fn publish(&self, values: &[T]) -> Result<(), Vec<T>> {
        if self
            .state
            .compare_exchange(EMPTY, WRITING, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(values.to_vec());
        }
        match self.timing {
            FlagTiming::AfterPayload => {
                // SAFETY (claimed): we won the claim; readers are meant to wait for the flag.
                self.value
                    .with_mut(|p| unsafe { *p = Some(values.to_vec()) });
                // BUG: Relaxed — the payload writes above are not ordered before this store.
                self.state.store(PUBLISHED, Ordering::Relaxed);
            }
            FlagTiming::BeforeFill => {
                // SAFETY (claimed): as above, before the flag.
                self.value
                    .with_mut(|p| unsafe { *p = Some(vec![T::default(); values.len()]) });
                // BUG: the flag goes out before the elements are in (the reordering Relaxed
                // permits, made to happen on every CPU).
                self.state.store(PUBLISHED, Ordering::Relaxed);
                widen_rare_race_window(); // a reader that sees the flag now copies a zero buffer
                for (i, v) in values.iter().enumerate() {
                    // NOT SAFE: readers may be copying the buffer right now (the bug).
                    self.value.with_mut(|p| unsafe {
                        if let Some(buf) = (*p).as_mut() {
                            buf[i] = *v;
                        }
                    });
                }
            }
        }
        Ok(())
    }

    /// A copy of the published values, or `None` — possibly a partial copy (the bug).
    pub fn get(&self) -> Option<Vec<T>> {
        // BUG: Relaxed — seeing PUBLISHED does not make the payload writes visible.
        if self.state.load(Ordering::Relaxed) != PUBLISHED {
            return None;
        }
        // NOT SAFE: the payload may still be written concurrently (the bug).
        self.value.with(|p| unsafe { (*p).clone() })
    }

    /// Whether the flag says "published" (Relaxed, like the rest of this twin).
    pub fn is_published(&self) -> bool {
        self.state.load(Ordering::Relaxed) == PUBLISHED
    }
}

/// Broken twin of [`super::Latch`] (`lost_wakeup_latch`): `set` stores the flag but never
/// notifies, so a waiter asleep on the condvar wakes only when its timed wait runs out. Loom
/// sees the untimed `wait` deadlock; Python sees a waiter that returns up to one wait slice
/// late (see `py::wait`), which only a wake-up-latency invariant catches.
pub type LostWakeupLatch = super::Latch<crate::core::wake::LoseWakeup>;

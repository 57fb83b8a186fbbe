//! A deliberately broken per-thread counter: the twin that proves the lost-update checks can
//! fail.
//!
//! Compiled only under `cfg(ftlab_loom)` or with the `seeded-bugs` feature.
//!
//! [`NonUniqueSlotCounter`] (`non_unique_thread_slot`) keeps the single-writer `add` (a load
//! and a store, no read-modify-write) but picks the slot by the thread's number modulo a fixed
//! slot count — the mistake of keying "per-thread" state by something that is not unique per
//! thread (a hash, `threading.get_ident()` modulo a table size, an id a dead thread's
//! successor reuses). Two threads that land on one slot interleave load, load, store, store
//! and one add is lost.
//!
//! It calls [`widen_race_window`] between the load and the store (a no-op under loom).
//!
//! Never use this outside tests and the stress hunt.

use std::num::NonZeroUsize;

use super::Slot;
use crate::sync::{thread_shard_hint, widen_race_window, Ordering};

/// Broken twin of [`super::PerThreadCounter`]: slots shared by threads, written as if not.
#[derive(Debug)]
pub struct NonUniqueSlotCounter {
    slots: Box<[Slot]>,
}

impl NonUniqueSlotCounter {
    /// A counter at 0 with `slots` slots (threads beyond that share them).
    pub fn new(slots: NonZeroUsize) -> Self {
        NonUniqueSlotCounter {
            slots: (0..slots.get()).map(|_| Slot::default()).collect(),
        }
    }

    /// THE BUG: a single-writer add on a slot other threads may also be writing.
    pub fn add(&self, delta: i64) {
        let slot = &self.slots[thread_shard_hint() % self.slots.len()];
        let value = slot.0.load(Ordering::Relaxed);
        widen_race_window(); // another thread on this slot stores here; one add is lost
        slot.0.store(value.wrapping_add(delta), Ordering::Relaxed);
    }

    /// The sum of all slots.
    pub fn value(&self) -> i64 {
        self.slots
            .iter()
            .fold(0i64, |sum, slot| sum.wrapping_add(slot.get()))
    }

    /// The number of slots.
    pub fn live_slots(&self) -> usize {
        self.slots.len()
    }
}

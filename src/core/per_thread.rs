//! Per-thread state with a merge: a counter whose every thread adds to a slot of its own, and
//! whose value is merged from all slots on demand.
//!
//! [`PerThreadCounter`] gives each thread that calls `add` its own cache-line-padded slot,
//! found through a thread-local cache keyed by the counter's [`unique_id`]. Invariants:
//!
//! * **One writer per slot.** A slot is created for, cached by and written by exactly one
//!   thread, so `add` needs no read-modify-write instruction: a `Relaxed` load and a `Relaxed`
//!   store of the owner's own slot (plain `mov`s on x86-64, no `lock` prefix, no cache line
//!   shared with another writer). Other threads only read the slot (atomically, so a merge
//!   never reads a torn value). Contrast [`crate::core::counter::ShardedCounter`], where two
//!   threads can share a shard and so every add must be an atomic `fetch_add`.
//! * **Merge on demand.** [`PerThreadCounter::value`] sums every slot under the counter's
//!   mutex (which only registration and merging take; `add` never does). Like the sharded
//!   counter it is not a linearizable snapshot while adders run, and exact once they are
//!   joined (the join is the happens-before edge that makes their last stores visible).
//! * **Threads that exit are folded.** The counter keeps one `Arc` of each slot and the
//!   thread's cache the other. When a thread exits its cache is dropped; the next merge finds
//!   slots it owns alone (`Arc::get_mut`, whose `Acquire` pairs with the dropped reference's
//!   `Release`, so the thread's last store is visible), adds them to a `retired` total and
//!   frees them, so many short-lived threads do not grow the counter without bound.
//! * **Dead counters are pruned from caches.** A cache entry whose slot the thread owns alone
//!   belongs to a dropped counter; registrations sweep such entries out of the thread's cache.
//!
//! If the calling thread's thread-local storage is already being torn down (an `add` from a
//! destructor running at thread exit), `add` falls back to adding under the mutex.
//!
//! The broken twin (`non_unique_thread_slot`: slots picked by thread number modulo a fixed
//! count, so two threads can share one single-writer slot and lose updates) is in [`broken`].

use std::cell::RefCell;

use crate::sync::{thread_local, unique_id, Arc, AtomicI64, Mutex, Ordering};

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;

/// One thread's slot, alone on its cache line(s).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Slot(AtomicI64);

impl Slot {
    /// The single-writer add: only the slot's owner thread may call it.
    pub(crate) fn add_as_owner(&self, delta: i64) {
        let value = self.0.load(Ordering::Relaxed);
        self.0.store(value.wrapping_add(delta), Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

thread_local! {
    /// This thread's slots, one per counter it has added to: `(counter id, slot)`. (Not a
    /// `const { }` initializer: loom's `thread_local!` does not accept one.)
    #[allow(clippy::missing_const_for_thread_local)]
    static SLOTS: RefCell<Vec<(u64, Arc<Slot>)>> = RefCell::new(Vec::new());
}

#[derive(Debug, Default)]
struct Slots {
    live: Vec<Arc<Slot>>,
    /// The sum of the slots of threads that have exited (folded by `value`).
    retired: i64,
}

/// A counter with one single-writer slot per thread, merged on demand; see the module docs.
#[derive(Debug)]
pub struct PerThreadCounter {
    id: u64,
    slots: Mutex<Slots>,
}

impl Default for PerThreadCounter {
    fn default() -> Self {
        PerThreadCounter::new()
    }
}

impl PerThreadCounter {
    /// A counter at 0 with no slots yet.
    pub fn new() -> Self {
        PerThreadCounter {
            id: unique_id(),
            slots: Mutex::new(Slots::default()),
        }
    }

    /// Adds `delta` (wrapping) to the calling thread's slot, creating the slot on the thread's
    /// first add.
    pub fn add(&self, delta: i64) {
        let cached = SLOTS.try_with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some((_, slot)) = cache.iter().find(|(id, _)| *id == self.id) {
                slot.add_as_owner(delta);
                return;
            }
            // First add from this thread: register a slot, and sweep out the slots of dropped
            // counters (the thread owns those alone).
            let slot = Arc::new(Slot::default());
            slot.add_as_owner(delta);
            self.slots.lock().live.push(Arc::clone(&slot));
            cache.retain(|(_, slot)| Arc::strong_count(slot) > 1);
            cache.push((self.id, slot));
        });
        if cached.is_err() {
            // Thread-local storage is gone (thread exit): add to the merged total directly.
            let mut slots = self.slots.lock();
            slots.retired = slots.retired.wrapping_add(delta);
        }
    }

    /// The merged value: the folded total of exited threads plus every live slot.
    pub fn value(&self) -> i64 {
        let mut slots = self.slots.lock();
        let mut retired = slots.retired;
        slots.live.retain_mut(|slot| match Arc::get_mut(slot) {
            Some(owned) => {
                // The owner thread has exited (its cache's reference is gone).
                retired = retired.wrapping_add(owned.get());
                false
            }
            None => true,
        });
        slots.retired = retired;
        slots
            .live
            .iter()
            .fold(retired, |sum, slot| sum.wrapping_add(slot.get()))
    }

    /// The number of live slots (threads that have added and whose slot is not folded yet).
    pub fn live_slots(&self) -> usize {
        self.slots.lock().live.len()
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Adds from several threads, in any split, merge to their wrapping sum; exited
        /// threads' slots are folded and the total is unchanged by folding.
        #[test]
        fn merged_value_is_the_sum(per_thread in proptest::collection::vec(
            proptest::collection::vec(any::<i64>(), 0..8), 0..5)) {
            let counter = Arc::new(PerThreadCounter::new());
            let expected = per_thread.iter().flatten().fold(0i64, |s, d| s.wrapping_add(*d));
            // `spawn` + `join`, not `thread::scope`: a scope ends when the closures return,
            // `join` only after the thread's thread-local destructors have run.
            let threads: Vec<_> = per_thread
                .into_iter()
                .map(|deltas| {
                    let counter = Arc::clone(&counter);
                    std::thread::spawn(move || deltas.iter().for_each(|d| counter.add(*d)))
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            prop_assert_eq!(counter.value(), expected);
            prop_assert_eq!(counter.live_slots(), 0, "exited threads' slots are folded");
            prop_assert_eq!(counter.value(), expected);
            counter.add(1);
            prop_assert_eq!(counter.value(), expected.wrapping_add(1));
            prop_assert_eq!(counter.live_slots(), 1);
        }
    }

    /// Each thread gets its own slot; many counters on one thread each get theirs; dropped
    /// counters' slots leave the thread's cache at the next registration.
    #[test]
    fn slots_are_per_thread_and_per_counter() {
        let a = PerThreadCounter::new();
        let b = PerThreadCounter::new();
        a.add(2);
        b.add(3);
        a.add(5);
        assert_eq!((a.value(), b.value()), (7, 3));
        assert_eq!((a.live_slots(), b.live_slots()), (1, 1));
        drop(b);
        let c = PerThreadCounter::new();
        c.add(1);
        SLOTS.with(|cache| {
            let ids: Vec<u64> = cache.borrow().iter().map(|(id, _)| *id).collect();
            assert!(ids.contains(&a.id) && ids.contains(&c.id));
            assert_eq!(ids.len(), 2, "the dropped counter's slot was pruned");
        });
    }

    /// Concurrent adds from many threads are never lost, and a merge racing them stays within
    /// bounds (all deltas are positive, so it lies between 0 and the final total).
    #[test]
    fn concurrent_adds_are_exact_after_join() {
        let counter = PerThreadCounter::new();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| (0..50_000).for_each(|_| counter.add(1)));
            }
            scope.spawn(|| {
                let mut last = 0;
                for _ in 0..1_000 {
                    let now = counter.value();
                    assert!(
                        (last..=200_000).contains(&now),
                        "merge went from {last} to {now}"
                    );
                    last = now;
                }
            });
        });
        assert_eq!(counter.value(), 200_000);
    }
}

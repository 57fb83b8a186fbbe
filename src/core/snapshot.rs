//! A read-mostly snapshot cell (RCU style): readers take the current snapshot with no lock,
//! writers build a new snapshot and swap it in.
//!
//! [`SnapshotCell<T>`] holds one `Arc<T>` as a raw pointer in an [`AtomicPtr`]. A snapshot is
//! never changed after it is published; "changing" the cell means building a new `T` and
//! swapping the pointer. Reclamation of the old snapshot is the hard part: a reader may have
//! loaded the old pointer and not yet be done with it. The cell solves that with a *grace
//! period* over sharded reader counts (the scheme of Linux's SRCU, with one counter per shard):
//!
//! * A reader **pins** its shard (`fetch_add(1)` on its thread's cache-line-padded counter),
//!   `fence(SeqCst)`, loads the pointer (`Acquire`), runs the caller's closure on `&T`, and
//!   unpins (`fetch_sub(1, Release)`, also on unwind). It never waits, never takes a lock and
//!   never touches the snapshot's reference count, so readers on different shards write no
//!   shared cache line ([`SnapshotCell::read`]; [`SnapshotCell::load`] additionally clones the
//!   `Arc`, for callers that keep the snapshot).
//! * A writer (serialised with other writers by a mutex, so two read-modify-write updates can
//!   not both start from the same snapshot and lose one) builds the new `T` from the current
//!   one, swaps the pointer (`AcqRel`), and releases the mutex. Then, holding no lock, it
//!   `fence(SeqCst)` and waits until every shard's count has been seen at zero (`Acquire`) —
//!   the grace period — and only then hands the old `Arc<T>` back to the caller, who drops it.
//!
//! Why this is safe: the two `SeqCst` fences order a reader's pin against a writer's swap.
//! If the reader's fence comes first, the writer's shard load (after its fence) sees the pin,
//! so the writer waits for the unpin, whose `Release` (read by the writer's `Acquire`) makes
//! every use of the old snapshot happen before it is dropped. If the writer's fence comes
//! first, the reader's pointer load (after its fence) sees the new pointer, so it never holds
//! the old one. A shard seen at zero once after the swap can only be re-pinned by readers that
//! will see the new pointer, so the writer checks each shard until it sees zero, one at a time.
//! (loom models `SeqCst` *accesses* only as `AcqRel`, but `SeqCst` fences exactly, which is why
//! the protocol is written with fences: `tests/loom_snapshot.rs` checks it.)
//!
//! A writer decides under the writer mutex whether it changes anything at all
//! ([`SnapshotCell::update_if`]): if not, it publishes nothing and waits for no reader. The
//! versioned maps of [`versioned`] (`ftlab.SnapshotMap`) rely on it so that a writer that lost
//! a race — its key already removed by another — leaves the version as it found it.
//!
//! Costs: readers never wait; a writer waits for the readers already inside a read (closures
//! must be short: the Python binding only increments a reference count in them). The broken
//! twins — a writer that frees the old snapshot without a grace period, writers that are not
//! serialised, and a remove that publishes although it lost its race — live in [`broken`].

use std::num::NonZeroUsize;

use crate::sync::{fence, thread, thread_shard_hint, Arc, AtomicPtr, AtomicUsize, Mutex, Ordering};

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;
pub mod versioned;

/// One shard of the reader count, alone on its cache line(s) (128 bytes, like the counter
/// shards in `core::counter`).
#[derive(Debug, Default)]
#[repr(align(128))]
struct ReaderShard(AtomicUsize);

/// Unpins a reader's shard when dropped, so a panicking read closure cannot leave a writer
/// waiting forever.
struct ReadPin<'a>(&'a ReaderShard);

impl Drop for ReadPin<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::Release);
    }
}

/// A cell holding the current snapshot `Arc<T>`; see the module docs.
#[derive(Debug)]
pub struct SnapshotCell<T> {
    /// The current snapshot, from `Arc::into_raw`; the cell owns one strong reference.
    current: AtomicPtr<T>,
    readers: Box<[ReaderShard]>,
    /// Serialises writers (held while a writer builds and swaps, not during the grace period).
    writer: Mutex<()>,
}

// SAFETY: the cell shares `&T` between reader threads and sends `Arc<T>` between threads
// (a writer drops snapshots other threads built), exactly what `Arc<T>: Send + Sync` requires.
unsafe impl<T: Send + Sync> Send for SnapshotCell<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for SnapshotCell<T> {}

impl<T> SnapshotCell<T> {
    /// A cell holding `value`, with [`SnapshotCell::default_shard_count`] reader shards.
    pub fn new(value: T) -> Self {
        Self::with_shards(value, Self::default_shard_count())
    }

    /// A cell holding `value` with `shards` reader shards. Threads pick a shard by
    /// [`thread_shard_hint`] modulo the count; readers on different shards share no cache line.
    pub fn with_shards(value: T, shards: NonZeroUsize) -> Self {
        SnapshotCell {
            current: AtomicPtr::new(Arc::into_raw(Arc::new(value)).cast_mut()),
            readers: (0..shards.get()).map(|_| ReaderShard::default()).collect(),
            writer: Mutex::new(()),
        }
    }

    /// At least 16 shards, or the available parallelism rounded up to a power of two if that
    /// is more: thread hints are handed out round-robin, so up to that many threads each get a
    /// shard of their own (a shard costs 128 bytes; a writer checks every shard once).
    pub fn default_shard_count() -> NonZeroUsize {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        NonZeroUsize::new(cores.next_power_of_two().max(16)).unwrap_or(NonZeroUsize::MIN)
    }

    /// The number of reader shards.
    pub fn shard_count(&self) -> usize {
        self.readers.len()
    }

    /// Pins the calling thread's shard and returns the current snapshot pointer, valid until
    /// the returned pin is dropped.
    fn pin(&self) -> (ReadPin<'_>, *const T) {
        let shard = &self.readers[thread_shard_hint() % self.readers.len()];
        shard.0.fetch_add(1, Ordering::Relaxed);
        let pin = ReadPin(shard);
        // Orders the pin before the pointer load against a writer's swap-then-check; see the
        // module docs.
        fence(Ordering::SeqCst);
        (pin, self.current.load(Ordering::Acquire))
    }

    /// Calls `f` on the current snapshot with no lock and no reference-count traffic. Keep `f`
    /// short: a writer's grace period waits for it. `f` must not write to this cell (a writer
    /// waiting for its own reader would never finish).
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let (_pin, ptr) = self.pin();
        // SAFETY: `ptr` came from `Arc::into_raw` and the cell's reference to it is released
        // only after a grace period that waits for this pin (module docs).
        f(unsafe { &*ptr })
    }

    /// The current snapshot, as an `Arc` the caller may keep for as long as it likes (one
    /// reference-count increment on the snapshot, under the pin).
    pub fn load(&self) -> Arc<T> {
        let (_pin, ptr) = self.pin();
        // SAFETY: as in `read`, the snapshot is alive while pinned, so its strong count is at
        // least the cell's 1 and may be incremented; `from_raw` then owns that new reference.
        unsafe {
            Arc::increment_strong_count(ptr);
            Arc::from_raw(ptr)
        }
    }

    /// Replaces the snapshot by `f(current)`'s first element and returns the old snapshot
    /// (after the grace period: no reader uses it any more) with `f`'s second element.
    /// Writers are serialised, so concurrent updates never lose one another. `f` runs under
    /// the writer mutex and must not write to this cell; drop the returned `Arc` outside any
    /// lock of yours (it may be the last reference).
    pub fn update<R>(&self, f: impl FnOnce(&T) -> (T, R)) -> (Arc<T>, R) {
        let (old, result) = self.update_if(|current| {
            let (next, result) = f(current);
            (Some(next), result)
        });
        match old {
            Some(old) => (old, result),
            None => unreachable!("update_if published nothing although `f` built a snapshot"),
        }
    }

    /// Like [`SnapshotCell::update`], but `f` may decide, under the writer mutex (so against
    /// the snapshot no other writer can replace before this one is done), that there is
    /// nothing to change: `(None, r)` publishes nothing, waits for no reader and returns
    /// `(None, r)`. `(Some(next), r)` swaps `next` in and returns the old snapshot after the
    /// grace period, as `update` does. A writer that lost a race (its change was already made
    /// by another) can therefore leave the cell exactly as it found it.
    pub fn update_if<R>(&self, f: impl FnOnce(&T) -> (Option<T>, R)) -> (Option<Arc<T>>, R) {
        let writer = self.writer.lock();
        let current = self.current.load(Ordering::Acquire);
        // SAFETY: only writers replace `current`, and we hold the writer mutex: this snapshot
        // cannot be released while we read it.
        let (next, result) = f(unsafe { &*current });
        let Some(next) = next else {
            drop(writer);
            return (None, result); // nothing published: no old snapshot, no grace period
        };
        let old = self
            .current
            .swap(Arc::into_raw(Arc::new(next)).cast_mut(), Ordering::AcqRel);
        debug_assert_eq!(old, current);
        drop(writer);
        self.wait_for_readers();
        // SAFETY: `old` came from `Arc::into_raw`; the cell's reference is handed back exactly
        // once, after the grace period.
        (Some(unsafe { Arc::from_raw(old) }), result)
    }

    /// Replaces the snapshot by `value`; returns the old one (after the grace period).
    pub fn replace(&self, value: T) -> Arc<T> {
        self.update(|_| (value, ())).0
    }

    /// The grace period: returns once every shard's reader count has been seen at zero after
    /// the caller's swap.
    fn wait_for_readers(&self) {
        fence(Ordering::SeqCst);
        for shard in self.readers.iter() {
            while shard.0.load(Ordering::Acquire) != 0 {
                thread::yield_now();
            }
        }
    }
}

impl<T> Drop for SnapshotCell<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reader or writer is running; the cell owns this reference.
        drop(unsafe { Arc::from_raw(self.current.load(Ordering::Relaxed)) });
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use crate::sync::AtomicIsize;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Replace(Vec<u8>),
        Push(u8),
        Keep,
        Read,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..4).prop_map(Op::Replace),
            any::<u8>().prop_map(Op::Push),
            Just(Op::Keep),
            Just(Op::Read),
        ]
    }

    proptest! {
        /// Sequentially, the cell behaves like a plain variable: every read sees the last
        /// write, `update` and `replace` return the value they replaced, an `update_if` that
        /// decides "no change" publishes nothing (the same snapshot stays, by address), and a
        /// loaded snapshot never changes afterwards.
        #[test]
        fn cell_matches_a_variable(ops in proptest::collection::vec(op(), 0..40)) {
            let cell = SnapshotCell::with_shards(Vec::<u8>::new(), NonZeroUsize::new(3).unwrap());
            let mut model: Vec<u8> = Vec::new();
            let mut kept: Vec<(Arc<Vec<u8>>, Vec<u8>)> = Vec::new();
            for op in ops {
                match op {
                    Op::Replace(v) => {
                        let old = cell.replace(v.clone());
                        prop_assert_eq!(&*old, &std::mem::replace(&mut model, v));
                    }
                    Op::Push(x) => {
                        let (old, len) = cell.update(|cur| {
                            let mut next = cur.clone();
                            next.push(x);
                            let len = next.len();
                            (next, len)
                        });
                        prop_assert_eq!(&*old, &model);
                        model.push(x);
                        prop_assert_eq!(len, model.len());
                    }
                    Op::Keep => {
                        let before = cell.load();
                        let (old, saw_model) = cell.update_if(|cur| (None, cur == &model));
                        prop_assert!(old.is_none() && saw_model);
                        prop_assert!(Arc::ptr_eq(&before, &cell.load()), "update_if(None) published");
                    }
                    Op::Read => kept.push((cell.load(), model.clone())),
                }
                prop_assert_eq!(cell.read(|v| v.clone()), model.clone());
            }
            for (snapshot, expected) in kept {
                prop_assert_eq!(&*snapshot, &expected);
            }
        }
    }

    /// A panic in a read closure unpins the shard (a later writer does not wait forever).
    #[test]
    fn panicking_reader_unpins() {
        let cell = SnapshotCell::new(1u32);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cell.read(|_| panic!("reader panics"));
        }));
        assert!(caught.is_err());
        assert_eq!(*cell.replace(2), 1);
        assert_eq!(cell.read(|v| *v), 2);
    }

    /// Readers racing writers only ever see whole snapshots, and every snapshot is dropped
    /// exactly once (the counter returns to the number still alive).
    #[test]
    fn readers_see_whole_snapshots_under_concurrent_updates() {
        static LIVE: AtomicIsize = AtomicIsize::new(0);
        struct Pair(u64, u64);
        impl Pair {
            fn new(n: u64) -> Self {
                LIVE.fetch_add(1, Ordering::Relaxed);
                Pair(n, n)
            }
        }
        impl Drop for Pair {
            fn drop(&mut self) {
                self.0 = u64::MAX; // poison: a reader of a freed pair would likely see it
                LIVE.fetch_sub(1, Ordering::Relaxed);
            }
        }
        {
            let cell = SnapshotCell::new(Pair::new(0));
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        for _ in 0..2_000 {
                            drop(cell.update(|p| (Pair::new(p.0 + 1), ())));
                        }
                    });
                }
                for _ in 0..2 {
                    scope.spawn(|| {
                        for _ in 0..20_000 {
                            cell.read(|p| assert_eq!(p.0, p.1));
                            let kept = cell.load();
                            assert_eq!(kept.0, kept.1);
                        }
                    });
                }
            });
            assert_eq!(cell.read(|p| p.0), 4_000, "an update was lost");
            assert_eq!(LIVE.load(Ordering::Relaxed), 1);
        }
        assert_eq!(LIVE.load(Ordering::Relaxed), 0);
    }
}

//! Deliberately broken snapshot cells: the twins that prove the snapshot checks can fail.
//!
//! Compiled only under `cfg(ftlab_loom)` or with the `seeded-bugs` feature. Reads are the
//! correct [`SnapshotCell::read`] / [`SnapshotCell::load`]; only the writers are broken.
//!
//! * [`NoGracePeriodCell`] (`snapshot_freed_under_reader`) — `update` hands the old snapshot
//!   back (to be dropped) right after the swap, without waiting for the readers that may still
//!   be using it: a use-after-free. loom reports it as a causality violation between a
//!   reader's access and the snapshot's destructor. Only the loom model runs it (in Python it
//!   would corrupt memory rather than fail a check), so it has no Python twin.
//! * [`UnserializedWritersCell`] (`lost_snapshot_update`) — `update` reads the current
//!   snapshot, builds the next one and swaps it in *without* the writer mutex, so two
//!   concurrent updates can start from the same snapshot and the second swap discards the
//!   first update (the classic lost update of copy-on-write without compare-and-swap). Memory
//!   stays safe (each writer still waits for a grace period before dropping what it swapped
//!   out); values are lost.
//!
//! Both call [`widen_race_window`] in their race window (a no-op under loom).
//!
//! Never use these outside tests and the stress hunt.

use std::num::NonZeroUsize;

use super::SnapshotCell;
use crate::sync::{widen_race_window, Arc, Ordering};

/// Broken twin of [`SnapshotCell`]: no grace period before the old snapshot is released.
#[derive(Debug)]
pub struct NoGracePeriodCell<T>(SnapshotCell<T>);

impl<T> NoGracePeriodCell<T> {
    /// See [`SnapshotCell::with_shards`].
    pub fn with_shards(value: T, shards: NonZeroUsize) -> Self {
        NoGracePeriodCell(SnapshotCell::with_shards(value, shards))
    }

    /// See [`SnapshotCell::read`].
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.0.read(f)
    }

    /// THE BUG: returns the old snapshot without waiting for its readers.
    pub fn replace(&self, value: T) -> Arc<T> {
        let writer = self.0.writer.lock();
        let old = self
            .0
            .current
            .swap(Arc::into_raw(Arc::new(value)).cast_mut(), Ordering::AcqRel);
        drop(writer);
        widen_race_window();
        // SAFETY (of the pointer, not of the protocol): `old` came from `Arc::into_raw`.
        unsafe { Arc::from_raw(old) }
    }
}

/// Broken twin of [`SnapshotCell`]: writers are not serialised, so updates can be lost.
#[derive(Debug)]
pub struct UnserializedWritersCell<T>(SnapshotCell<T>);

impl<T> UnserializedWritersCell<T> {
    /// See [`SnapshotCell::new`].
    pub fn new(value: T) -> Self {
        UnserializedWritersCell(SnapshotCell::new(value))
    }

    /// See [`SnapshotCell::with_shards`].
    pub fn with_shards(value: T, shards: NonZeroUsize) -> Self {
        UnserializedWritersCell(SnapshotCell::with_shards(value, shards))
    }

    /// See [`SnapshotCell::read`].
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.0.read(f)
    }

    /// See [`SnapshotCell::load`].
    pub fn load(&self) -> Arc<T> {
        self.0.load()
    }

    /// THE BUG: builds the next snapshot from a *pinned read* of the current one and swaps it
    /// in without the writer mutex; a concurrent update in between is overwritten.
    pub fn update<R>(&self, f: impl FnOnce(&T) -> (T, R)) -> (Arc<T>, R) {
        let (next, result) = self.0.read(f);
        widen_race_window(); // another writer swaps here, and its update is lost
        let old = self
            .0
            .current
            .swap(Arc::into_raw(Arc::new(next)).cast_mut(), Ordering::AcqRel);
        self.0.wait_for_readers();
        // SAFETY: `old` came from `Arc::into_raw`, was swapped out by this writer alone (each
        // pointer is swapped out once) and its readers are done (grace period above).
        (unsafe { Arc::from_raw(old) }, result)
    }

    /// See [`SnapshotCell::replace`].
    pub fn replace(&self, value: T) -> Arc<T> {
        self.update(|_| (value, ())).0
    }
}

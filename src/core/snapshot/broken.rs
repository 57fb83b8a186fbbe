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
//! * [`remove_lost_race_publishes`] (`lost_race_publishes`, issue 24) — the versioned map's
//!   `remove` as it was before `update_if`: a remove whose key another writer removed between
//!   its check and its turn of the writer mutex publishes an unchanged new version, so
//!   `version` counts a write that changed nothing. Runs on the correct [`SnapshotCell`].
//!
//! All call [`widen_race_window`] in their race window (a no-op under loom).
//!
//! Never use these outside tests and the stress hunt.

use std::borrow::Borrow;
use std::num::NonZeroUsize;

use super::versioned::{Replaced, Snapshot, WriterCell};
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
        let (old, result) = self.update_if(|current| {
            let (next, result) = f(current);
            (Some(next), result)
        });
        match old {
            Some(old) => (old, result),
            None => unreachable!("update_if published nothing although `f` built a snapshot"),
        }
    }

    /// [`SnapshotCell::update_if`] with THE BUG of [`UnserializedWritersCell::update`]: the
    /// decision and the next snapshot come from a pinned read, the swap takes no writer mutex.
    pub fn update_if<R>(&self, f: impl FnOnce(&T) -> (Option<T>, R)) -> (Option<Arc<T>>, R) {
        let (next, result) = self.0.read(f);
        let Some(next) = next else {
            return (None, result);
        };
        widen_race_window(); // another writer swaps here, and its update is lost
        let old = self
            .0
            .current
            .swap(Arc::into_raw(Arc::new(next)).cast_mut(), Ordering::AcqRel);
        self.0.wait_for_readers();
        // SAFETY: `old` came from `Arc::into_raw`, was swapped out by this writer alone (each
        // pointer is swapped out once) and its readers are done (grace period above).
        (Some(unsafe { Arc::from_raw(old) }), result)
    }

    /// See [`SnapshotCell::replace`].
    pub fn replace(&self, value: T) -> Arc<T> {
        self.update(|_| (value, ())).0
    }
}

impl<T> WriterCell<T> for UnserializedWritersCell<T> {
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        UnserializedWritersCell::read(self, f)
    }
    fn update_if<R>(&self, f: impl FnOnce(&T) -> (Option<T>, R)) -> (Option<Arc<T>>, R) {
        UnserializedWritersCell::update_if(self, f)
    }
}

/// Broken twin of [`super::versioned::remove`] (`lost_race_publishes`): the protocol before issue 24.
/// The check and the writer-serialised removal are right, but the update path it was written
/// for could not say "no change", so THE BUG: when the key was present at the lock-free check
/// and another writer removed it before this writer's turn, it publishes an unchanged copy as
/// a new version (and returns `false`). Sequentially a `remove` that returns `false` writes
/// nothing, so the extra version has no sequential explanation: two racing removes of one key
/// move `version` by two. Memory and entries stay right; only `version` lies.
pub fn remove_lost_race_publishes<K, V, Q, C>(cell: &C, key: &Q) -> (Replaced<K, V>, bool)
where
    K: Ord + Clone + Borrow<Q>,
    V: Clone,
    Q: Ord + ?Sized,
    C: WriterCell<Snapshot<K, V>>,
{
    if !cell.read(|snap| snap.map.contains_key(key)) {
        return (None, false);
    }
    widen_race_window(); // another remover takes the key here
    cell.update_if(|snap| match snap.map.remove(key) {
        Some(map) => (Some(snap.next(map)), true),
        // THE BUG: removed by another writer since the check, yet a new version is published.
        None => (Some(snap.next(snap.map.clone())), false),
    })
}

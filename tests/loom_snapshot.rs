//! Loom models of `core::snapshot`: the real RCU-style snapshot cell under loom's scheduler,
//! and its two broken twins, which loom must reject.
//!
//! Snapshots in the models are `Probe`s: a value in a loom `UnsafeCell` (so loom checks that a
//! reader's read of a freshly published snapshot happens after its construction) and, for the
//! first snapshot, a "graveyard" flag in a loom `UnsafeCell` outside the snapshot that the
//! snapshot's destructor sets. A reader that got the first snapshot reads the flag *before*
//! touching the snapshot (it recognises the snapshot by address alone), so a destructor that
//! runs while a reader may still use the snapshot is a concurrent write/read of the flag: loom
//! reports a causality violation, and the model never dereferences freed memory first.
//!
//! Correct models:
//! * `snapshot_reclamation` — a writer thread replaces snapshot 1 by 2 and drops the old one
//!   while a reader thread and the main thread read: every read sees 1 or 2, whole, and the
//!   old snapshot is destroyed only after its last reader is done (grace period).
//! * `snapshot_load_outlives_replace` — the main thread `load`s an `Arc` of the snapshot while
//!   a writer replaces it: the kept snapshot stays valid after the writer is done.
//! * `snapshot_updates_serialised` — two concurrent read-modify-write `update(+1)`s: none lost.
//! * `snapshot_racing_removes_publish_once` — issue 24's race: two threads `remove` the one key
//!   of a versioned map (`core::snapshot::versioned::remove`) while a third reads `version` and
//!   the key's presence. Exactly one remove succeeds, the final `version` is 1 (the one write
//!   that changed the map) and the reader sees (0, present) or (1, absent), never a version
//!   without its change.
//!
//! Broken twins: `snapshot_freed_under_reader` (no grace period) must be flagged as a
//! causality violation; `lost_snapshot_update` (writers not serialised) must lose an update;
//! `lost_race_publishes` (the remove that lost its race still publishes) must end with a
//! version no sequential order gives.
//! (The reclamation model is sharp enough to see the fences: with the reader's `fence(SeqCst)`
//! deleted from `SnapshotCell::pin`, `snapshot_reclamation` fails with a causality violation on
//! the first interleavings — checked by hand when the model was written.)
//!
//! Run: `RUSTFLAGS="--cfg ftlab_loom" cargo test --release --no-default-features
//! --target-dir target/loom --test loom_snapshot` (or `ci/loom snapshot`).

#![cfg(ftlab_loom)]

#[path = "support/loom_harness.rs"]
mod loom_harness;

use std::num::NonZeroUsize;

use ftlab::core::frozen_map::FrozenMap;
use ftlab::core::snapshot::broken::{
    remove_lost_race_publishes, NoGracePeriodCell, UnserializedWritersCell,
};
use ftlab::core::snapshot::versioned::{self, Replaced, Snapshot, Versioned};
use ftlab::core::snapshot::SnapshotCell;
use ftlab::sync::{thread, Arc, UnsafeCell};
use loom_harness::{check, expect_rejected};

const SHARDS: NonZeroUsize = match NonZeroUsize::new(2) {
    Some(n) => n,
    None => unreachable!(),
};

/// A snapshot whose destructor marks `graveyard` (if any).
struct Probe {
    value: UnsafeCell<u32>,
    graveyard: Option<Arc<Flag>>,
}

impl Probe {
    fn new(value: u32, graveyard: Option<Arc<Flag>>) -> Self {
        Probe {
            value: UnsafeCell::new(value),
            graveyard,
        }
    }

    fn value(&self) -> u32 {
        // SAFETY: loom checks this read against the construction write.
        self.value.with(|v| unsafe { *v })
    }
}

// SAFETY: the cells in a probe are loom `UnsafeCell`s: loom checks every access for a data
// race, which is the point of the model (an unsynchronised access fails it).
unsafe impl Send for Probe {}
// SAFETY: as above.
unsafe impl Sync for Probe {}

/// The graveyard flag, shared between threads for loom to check (see `Probe`).
struct Flag(UnsafeCell<bool>);

// SAFETY: as for `Probe`: loom checks every access.
unsafe impl Send for Flag {}
// SAFETY: as above.
unsafe impl Sync for Flag {}

impl Drop for Probe {
    fn drop(&mut self) {
        if let Some(graveyard) = &self.graveyard {
            // SAFETY: loom checks this write against every reader's check of the flag.
            graveyard.0.with_mut(|dead| unsafe { *dead = true });
        }
    }
}

/// What the reclamation model needs from a snapshot cell.
trait Cell: Send + Sync + 'static {
    fn with_shards(value: Probe) -> Self;
    fn read<R>(&self, f: impl FnOnce(&Probe) -> R) -> R;
    fn replace(&self, value: Probe) -> Arc<Probe>;
}

macro_rules! impl_cell {
    ($($ty:ty),*) => {$(
        impl Cell for $ty {
            fn with_shards(value: Probe) -> Self {
                <$ty>::with_shards(value, SHARDS)
            }
            fn read<R>(&self, f: impl FnOnce(&Probe) -> R) -> R {
                <$ty>::read(self, f)
            }
            fn replace(&self, value: Probe) -> Arc<Probe> {
                <$ty>::replace(self, value)
            }
        }
    )*};
}
impl_cell!(SnapshotCell<Probe>, NoGracePeriodCell<Probe>);

/// Reads the current snapshot; if it is the first one (known by address), checks first that
/// its destructor has not run.
fn checked_read<C: Cell>(cell: &C, first: usize, graveyard: &Flag) -> u32 {
    cell.read(|probe| {
        if std::ptr::from_ref(probe) as usize == first {
            // SAFETY: loom checks this read against the destructor's write.
            let dead = graveyard.0.with(|dead| unsafe { *dead });
            assert!(!dead, "read a snapshot after it was freed");
        }
        probe.value()
    })
}

fn reclamation<C: Cell>() {
    let graveyard = Arc::new(Flag(UnsafeCell::new(false)));
    let cell = Arc::new(C::with_shards(Probe::new(1, Some(Arc::clone(&graveyard)))));
    let first = cell.read(|probe| std::ptr::from_ref(probe) as usize);
    let writer = {
        let cell = Arc::clone(&cell);
        thread::spawn(move || drop(cell.replace(Probe::new(2, None))))
    };
    let reader = {
        let (cell, graveyard) = (Arc::clone(&cell), Arc::clone(&graveyard));
        thread::spawn(move || checked_read(&*cell, first, &graveyard))
    };
    let seen = checked_read(&*cell, first, &graveyard);
    assert!(seen == 1 || seen == 2, "main read {seen}");
    let seen = reader.join().unwrap();
    assert!(seen == 1 || seen == 2, "reader read {seen}");
    writer.join().unwrap();
    assert_eq!(cell.read(Probe::value), 2);
    // SAFETY: every thread that touched the flag is joined.
    assert!(
        graveyard.0.with(|dead| unsafe { *dead }),
        "snapshot 1 leaked"
    );
}

#[test]
fn snapshot_reclamation() {
    check("snapshot_reclamation", reclamation::<SnapshotCell<Probe>>);
}

#[test]
fn rejects_snapshot_freed_under_reader() {
    expect_rejected(
        "snapshot_freed_under_reader",
        "Causality violation",
        reclamation::<NoGracePeriodCell<Probe>>,
    );
}

#[test]
fn snapshot_load_outlives_replace() {
    check("snapshot_load_outlives_replace", || {
        let graveyard = Arc::new(Flag(UnsafeCell::new(false)));
        let cell = Arc::new(SnapshotCell::with_shards(
            Probe::new(1, Some(Arc::clone(&graveyard))),
            SHARDS,
        ));
        let writer = {
            let cell = Arc::clone(&cell);
            thread::spawn(move || drop(cell.replace(Probe::new(2, None))))
        };
        let kept = cell.load();
        let before = kept.value();
        writer.join().unwrap();
        assert_eq!(kept.value(), before, "a kept snapshot changed");
        if before == 1 {
            // SAFETY: the writer is joined; `kept` still holds snapshot 1.
            assert!(
                !graveyard.0.with(|dead| unsafe { *dead }),
                "kept snapshot freed"
            );
        }
        drop(kept);
        drop(cell);
        // SAFETY: every reference to snapshot 1 is gone and all threads are joined.
        assert!(
            graveyard.0.with(|dead| unsafe { *dead }),
            "snapshot 1 leaked"
        );
    });
}

/// What the update model needs.
trait Updatable: Send + Sync + 'static {
    fn with_shards(value: u32) -> Self;
    fn increment(&self) -> u32;
    fn get(&self) -> u32;
}

macro_rules! impl_updatable {
    ($($ty:ty),*) => {$(
        impl Updatable for $ty {
            fn with_shards(value: u32) -> Self {
                <$ty>::with_shards(value, SHARDS)
            }
            fn increment(&self) -> u32 {
                let (old, ()) = <$ty>::update(self, |v| (v + 1, ()));
                *old
            }
            fn get(&self) -> u32 {
                <$ty>::read(self, |v| *v)
            }
        }
    )*};
}
impl_updatable!(SnapshotCell<u32>, UnserializedWritersCell<u32>);

fn two_updates<C: Updatable>() {
    let cell = Arc::new(C::with_shards(0));
    let other = {
        let cell = Arc::clone(&cell);
        thread::spawn(move || cell.increment())
    };
    let mine = cell.increment();
    let theirs = other.join().unwrap();
    assert_eq!(
        cell.get(),
        2,
        "lost update (the two writers swapped out {mine} and {theirs})"
    );
}

#[test]
fn snapshot_updates_serialised() {
    check(
        "snapshot_updates_serialised",
        two_updates::<SnapshotCell<u32>>,
    );
}

#[test]
fn rejects_lost_snapshot_update() {
    expect_rejected(
        "lost_snapshot_update",
        "lost update",
        two_updates::<UnserializedWritersCell<u32>>,
    );
}

/// A versioned map cell of the remove model, and a `remove` protocol to run on it.
type MapCell = SnapshotCell<Snapshot<u32, u32>>;
type Remove = fn(&MapCell, &u32) -> (Replaced<u32, u32>, bool);

/// Issue 24's race: two removers of the one key, a reader of `version` (and of the key).
fn racing_removes(remove: Remove) {
    let cell = Arc::new(MapCell::with_shards(
        Versioned::new(FrozenMap::new().insert(1, 10)),
        SHARDS,
    ));
    let other = {
        let cell = Arc::clone(&cell);
        thread::spawn(move || remove(&cell, &1).1)
    };
    let reader = {
        let cell = Arc::clone(&cell);
        thread::spawn(move || cell.read(|snap| (snap.version, snap.map.contains_key(&1))))
    };
    let mine = remove(&cell, &1).1;
    let theirs = other.join().unwrap();
    let seen = reader.join().unwrap();
    assert!(mine != theirs, "removes returned {mine} and {theirs}");
    let version = cell.read(|snap| snap.version);
    assert_eq!(
        version, 1,
        "version {version} after one removal: a remove that changed nothing published"
    );
    assert!(
        seen == (0, true) || seen == (1, false),
        "reader saw (version, present) = {seen:?}: a version without its change"
    );
}

#[test]
fn snapshot_racing_removes_publish_once() {
    check("snapshot_racing_removes_publish_once", || {
        racing_removes(versioned::remove::<u32, u32, u32, MapCell>);
    });
}

#[test]
fn rejects_lost_race_publishes() {
    expect_rejected(
        "lost_race_publishes",
        "a remove that changed nothing published",
        || racing_removes(remove_lost_race_publishes::<u32, u32, u32, MapCell>),
    );
}

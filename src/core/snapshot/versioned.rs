//! Versioned maps in a snapshot cell: the writers of `ftlab.SnapshotMap`, whose `version`
//! counts exactly the writes that changed the map.
//!
//! A [`Versioned`] snapshot is a map plus the number of *changing* writes that produced it.
//! Every writer here decides whether it changes anything under the cell's own writer
//! serialisation ([`WriterCell::update_if`]) and, when it changes nothing, publishes nothing:
//!
//! * [`remove`] of a key that is absent — whether its lock-free check already saw it absent or
//!   another writer removed it between that check and this writer's turn — returns `false`
//!   and leaves the snapshot (and so `version`) as it is;
//! * [`set`] of a key already bound to the *same* value (`same(old, new)`; the Python binding
//!   uses object identity, `is`, because equality would run Python code under the writer
//!   mutex) publishes nothing;
//! * [`update`] whose every entry is already bound to the same value (an empty update
//!   included) publishes nothing.
//!
//! So `version` moves exactly when the map changes, which is what a reader comparing versions
//! to detect a change relies on, and every concurrent history has a sequential explanation:
//! a writer takes effect at its turn of the writer mutex (a `remove` that saw the key absent in
//! its lock-free check takes effect at that check, where the key was absent).
//!
//! The broken twin of [`remove`], `lost_race_publishes`
//! ([`super::broken::remove_lost_race_publishes`]), is the protocol this replaced: the cell's
//! update path could not say "no change", so a `remove` whose key was present at its check but
//! gone at its turn published an unchanged new version and returned `false` — a version no
//! sequential order of the same calls produces. `tests/loom_snapshot.rs` rejects it; the
//! proptest below checks the writers against a sequential model.

use std::borrow::Borrow;

use super::SnapshotCell;
use crate::core::frozen_map::FrozenMap;
use crate::sync::Arc;

/// One snapshot: a map and the number of writes that changed the map before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<M> {
    /// How many writes changed the map to produce this snapshot (0 for the initial one).
    pub version: u64,
    /// The entries.
    pub map: M,
}

impl<M> Versioned<M> {
    /// The initial snapshot (version 0) holding `map`.
    pub fn new(map: M) -> Self {
        Versioned { version: 0, map }
    }

    /// The snapshot after this one when a write changed the map to `map`.
    pub fn next(&self, map: M) -> Self {
        Versioned {
            version: self.version + 1,
            map,
        }
    }
}

/// A versioned frozen map, as held by a [`SnapshotCell`].
pub type Snapshot<K, V> = Versioned<FrozenMap<K, V>>;

/// What a writer hands back: the snapshot it replaced (after the grace period; drop it with no
/// lock of yours held), or `None` if it changed nothing and published nothing.
pub type Replaced<K, V> = Option<Arc<Snapshot<K, V>>>;

/// The reader and writer entry points the versioned writers need from a snapshot cell:
/// [`SnapshotCell`] and its broken twins implement it.
pub trait WriterCell<T> {
    /// See [`SnapshotCell::read`].
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R;
    /// See [`SnapshotCell::update_if`].
    fn update_if<R>(&self, f: impl FnOnce(&T) -> (Option<T>, R)) -> (Option<Arc<T>>, R);
}

impl<T> WriterCell<T> for SnapshotCell<T> {
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        SnapshotCell::read(self, f)
    }
    fn update_if<R>(&self, f: impl FnOnce(&T) -> (Option<T>, R)) -> (Option<Arc<T>>, R) {
        SnapshotCell::update_if(self, f)
    }
}

/// Binds `key` to `value` in a new snapshot, unless `key` is already bound to a value `same`
/// as `value` (then nothing is published and `None` is returned).
pub fn set<K, V, C>(cell: &C, key: K, value: V, same: impl Fn(&V, &V) -> bool) -> Replaced<K, V>
where
    K: Ord + Clone,
    V: Clone,
    C: WriterCell<Snapshot<K, V>>,
{
    cell.update_if(|snap| {
        if snap.map.get(&key).is_some_and(|old| same(old, &value)) {
            return (None, ());
        }
        (Some(snap.next(snap.map.insert(key, value))), ())
    })
    .0
}

/// Binds every entry of `entries` in ONE new snapshot (readers see all of them or none),
/// unless every entry is already bound to a value `same` as the new one (an empty `entries`
/// included): then nothing is published and `None` is returned.
pub fn update<K, V, C>(
    cell: &C,
    entries: &FrozenMap<K, V>,
    same: impl Fn(&V, &V) -> bool,
) -> Replaced<K, V>
where
    K: Ord + Clone,
    V: Clone,
    C: WriterCell<Snapshot<K, V>>,
{
    cell.update_if(|snap| {
        let unchanged = entries
            .iter()
            .all(|(k, v)| snap.map.get(k).is_some_and(|old| same(old, v)));
        if unchanged {
            return (None, ());
        }
        (Some(snap.next(snap.map.merge(entries))), ())
    })
    .0
}

/// Removes `key` in a new snapshot; returns whether it was present. An absent key publishes
/// nothing, however this call found it absent: by the lock-free check (no writer mutex taken),
/// or at its turn of the writer mutex because another writer removed it in between.
pub fn remove<K, V, Q, C>(cell: &C, key: &Q) -> (Replaced<K, V>, bool)
where
    K: Ord + Clone + Borrow<Q>,
    V: Clone,
    Q: Ord + ?Sized,
    C: WriterCell<Snapshot<K, V>>,
{
    if !cell.read(|snap| snap.map.contains_key(key)) {
        return (None, false); // absent now: this call takes effect here, with nothing to write
    }
    cell.update_if(|snap| match snap.map.remove(key) {
        Some(map) => (Some(snap.next(map)), true),
        // Removed by another writer since the check: nothing changes, nothing is published.
        None => (None, false),
    })
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    type Cell = SnapshotCell<Snapshot<u8, u8>>;

    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, u8),
        Update(Vec<(u8, u8)>),
        Remove(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few keys and values, so equal sets, no-op updates and absent removes are common.
        prop_oneof![
            (0..4u8, 0..3u8).prop_map(|(k, v)| Op::Set(k, v)),
            proptest::collection::vec((0..4u8, 0..3u8), 0..3).prop_map(Op::Update),
            (0..4u8).prop_map(Op::Remove),
        ]
    }

    fn same(a: &u8, b: &u8) -> bool {
        a == b
    }

    proptest! {
        /// Against a sequential model (a `BTreeMap` and a count of the writes that changed
        /// it): the cell holds the model's entries, `version` counts exactly the changing
        /// writes, a writer publishes (returns `Some`) exactly when it changed the map, and
        /// `remove` returns whether the key was present.
        #[test]
        fn version_counts_exactly_the_changing_writes(
            ops in proptest::collection::vec(op(), 0..40),
        ) {
            let cell = Cell::new(Versioned::new(FrozenMap::new()));
            let mut model: BTreeMap<u8, u8> = BTreeMap::new();
            let mut changes = 0u64;
            for op in ops {
                let before = model.clone();
                let published = match op {
                    Op::Set(k, v) => {
                        model.insert(k, v);
                        set(&cell, k, v, same).is_some()
                    }
                    Op::Update(entries) => {
                        let entries: FrozenMap<u8, u8> = entries.into_iter().collect();
                        for (k, v) in &entries {
                            model.insert(*k, *v);
                        }
                        update(&cell, &entries, same).is_some()
                    }
                    Op::Remove(k) => {
                        let (old, removed) = remove(&cell, &k);
                        prop_assert_eq!(removed, model.remove(&k).is_some());
                        old.is_some()
                    }
                };
                let changed = model != before;
                changes += u64::from(changed);
                prop_assert_eq!(published, changed, "published a write that changed nothing (or the reverse)");
                let (version, entries) = cell.read(|s| {
                    (s.version, s.map.iter().map(|(k, v)| (*k, *v)).collect::<BTreeMap<_, _>>())
                });
                prop_assert_eq!(version, changes);
                prop_assert_eq!(entries, model.clone());
            }
        }
    }

    /// Issue 24's race, with real threads: four threads remove one present key at once. Exactly
    /// one succeeds and `version` moves by exactly one, in every trial (the old protocol moved
    /// it by up to four).
    #[test]
    fn racing_removes_publish_one_version() {
        for trial in 0..300 {
            let cell = Cell::new(Versioned::new(FrozenMap::new().insert(1, 1)));
            let barrier = std::sync::Barrier::new(4);
            let removed: usize = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            remove(&cell, &1u8).1
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| usize::from(h.join().unwrap()))
                    .sum()
            });
            assert_eq!(removed, 1, "trial {trial}: {removed} removes succeeded");
            let version = cell.read(|s| s.version);
            assert_eq!(
                version, 1,
                "trial {trial}: version {version} after one removal"
            );
        }
    }
}

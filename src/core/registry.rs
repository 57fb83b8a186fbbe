//! A registry: a string-keyed map behind one reader-writer lock, with atomic multi-key
//! updates.
//!
//! Invariants:
//! * [`Registry::update_many`] inserts all its entries under ONE write-lock acquisition, and
//!   [`Registry::get_many_with`] / [`Registry::snapshot_with`] read all their keys under ONE
//!   read-lock acquisition; so a reader sees every key of an update or none of them, never a
//!   torn mix (the broken twin `TornRegistry` takes the write lock once per key).
//! * Nothing caller-supplied runs while the write lock is held: the entries of `update_many`
//!   are collected *before* locking, and values replaced by `set` / `update_many` are
//!   *returned* rather than dropped, so the caller drops them after the lock is released.
//!   This matters for the Python binding, where dropping a value can run `__del__`, i.e.
//!   arbitrary Python code that might touch the same registry.
//! * Read closures (`*_with`) run under the read lock. They must be short and must not
//!   touch the registry (a write from inside one deadlocks). The Python binding passes
//!   closures that only `clone_ref` (increment a reference count).
//!
//! Generic over the value type `V`: the Python binding stores `Py<PyAny>`, which is not
//! `Clone` in PyO3 0.28 (cloning needs the interpreter), so reads are closure-based; the
//! `V: Clone` conveniences ([`Registry::get`], …) serve Rust callers, loom models and tests.
//! Keys live in a `BTreeMap`, so snapshots come out sorted by key.

use std::collections::BTreeMap;

use crate::sync::RwLock;

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;

/// A `String` → `V` map guarded by one reader-writer lock; see the module docs.
#[derive(Debug)]
pub struct Registry<V> {
    map: RwLock<BTreeMap<String, V>>,
}

impl<V> Default for Registry<V> {
    fn default() -> Self {
        Registry::new()
    }
}

impl<V> Registry<V> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            map: RwLock::new(BTreeMap::new()),
        }
    }

    /// Calls `f` with the value for `key` (or `None`) under the read lock.
    pub fn get_with<R>(&self, key: &str, f: impl FnOnce(Option<&V>) -> R) -> R {
        f(self.map.read().get(key))
    }

    /// Calls `f` on the value (or `None`) of each key in order, all under one read-lock
    /// acquisition, and collects the results.
    pub fn get_many_with<K: AsRef<str>, R>(
        &self,
        keys: &[K],
        mut f: impl FnMut(Option<&V>) -> R,
    ) -> Vec<R> {
        let map = self.map.read();
        keys.iter().map(|key| f(map.get(key.as_ref()))).collect()
    }

    /// Calls `f` on every entry in key order, all under one read-lock acquisition.
    pub fn snapshot_with<R>(&self, mut f: impl FnMut(&str, &V) -> R) -> Vec<R> {
        let map = self.map.read();
        map.iter().map(|(key, value)| f(key, value)).collect()
    }

    /// Sets `key` to `value`; returns the value it replaced (drop it outside any lock).
    #[must_use = "the replaced value is returned so it can be dropped outside the lock"]
    pub fn set(&self, key: String, value: V) -> Option<V> {
        self.map.write().insert(key, value)
    }

    /// Sets every entry under one write-lock acquisition, so readers see all of them or none.
    /// Later entries win over earlier ones with the same key. Returns the replaced values (drop
    /// them outside any lock).
    #[must_use = "the replaced values are returned so they can be dropped outside the lock"]
    pub fn update_many(&self, entries: impl IntoIterator<Item = (String, V)>) -> Vec<V> {
        // Collect first: the iterator is caller code and must not run under the lock.
        let entries: Vec<(String, V)> = entries.into_iter().collect();
        let mut map = self.map.write();
        entries
            .into_iter()
            .filter_map(|(key, value)| map.insert(key, value))
            .collect()
    }

    /// Removes every entry and returns them (drop them outside any lock).
    #[must_use = "the removed entries are returned so they can be dropped outside the lock"]
    pub fn take_all(&self) -> BTreeMap<String, V> {
        std::mem::take(&mut *self.map.write())
    }

    /// Calls `f` on every value if the read lock can be taken *without waiting*; returns
    /// `None` (calling nothing) if it cannot. For the Python binding's garbage-collector
    /// traversal, which must never block; skipping a traversal under-reports references,
    /// which only delays collecting a cycle.
    pub fn try_for_each_value<E>(
        &self,
        f: impl FnMut(&V) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        let map = self.map.try_read()?;
        Some(map.values().try_for_each(f))
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// Whether the registry has no keys.
    pub fn is_empty(&self) -> bool {
        self.map.read().is_empty()
    }
}

impl<V: Clone> Registry<V> {
    /// A clone of the value for `key`.
    pub fn get(&self, key: &str) -> Option<V> {
        self.get_with(key, |value| value.cloned())
    }

    /// Clones of the values for `keys`, read under one lock acquisition.
    pub fn get_many<K: AsRef<str>>(&self, keys: &[K]) -> Vec<Option<V>> {
        self.get_many_with(keys, |value| value.cloned())
    }

    /// Every entry, sorted by key, read under one lock acquisition.
    pub fn snapshot(&self) -> Vec<(String, V)> {
        self.snapshot_with(|key, value| (key.to_owned(), value.clone()))
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Set(String, u32),
        UpdateMany(Vec<(String, u32)>),
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![Just("a"), Just("b"), Just("c"), Just("d")].prop_map(String::from)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (key(), any::<u32>()).prop_map(|(k, v)| Op::Set(k, v)),
            proptest::collection::vec((key(), any::<u32>()), 0..5).prop_map(Op::UpdateMany),
        ]
    }

    proptest! {
        /// Any sequence of writes gives the same reads, replaced values and snapshot as a
        /// BTreeMap.
        #[test]
        fn registry_matches_btreemap_model(ops in proptest::collection::vec(op(), 0..60)) {
            let registry = Registry::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Set(k, v) => {
                        prop_assert_eq!(registry.set(k.clone(), v), model.insert(k, v));
                    }
                    Op::UpdateMany(entries) => {
                        let expected: Vec<u32> = entries
                            .iter()
                            .filter_map(|(k, v)| model.insert(k.clone(), *v))
                            .collect();
                        prop_assert_eq!(registry.update_many(entries), expected);
                    }
                }
                prop_assert_eq!(registry.len(), model.len());
                prop_assert_eq!(registry.is_empty(), model.is_empty());
                let keys = ["a", "b", "c", "d", "zz"];
                let expected: Vec<Option<u32>> = keys.iter().map(|k| model.get(*k).copied()).collect();
                prop_assert_eq!(registry.get_many(&keys), expected);
                prop_assert_eq!(registry.get("a"), model.get("a").copied());
            }
            let mut visited = Vec::new();
            let visit = registry.try_for_each_value(|v| { visited.push(*v); Ok::<(), ()>(()) });
            prop_assert_eq!(visit, Some(Ok(())));
            prop_assert_eq!(visited, model.values().copied().collect::<Vec<_>>());
            let snapshot: Vec<(String, u32)> = model.into_iter().collect();
            prop_assert_eq!(registry.snapshot(), snapshot.clone());
            prop_assert_eq!(registry.take_all().into_iter().collect::<Vec<_>>(), snapshot);
            prop_assert!(registry.is_empty());
        }
    }

    /// The GC traversal helper never waits for a writer.
    #[test]
    fn try_for_each_value_skips_when_write_locked() {
        let registry = Registry::new();
        let _ = registry.set("k".to_owned(), 1u8);
        let guard = registry.map.write();
        assert_eq!(registry.try_for_each_value(|_| Ok::<(), ()>(())), None);
        drop(guard);
        assert_eq!(
            registry.try_for_each_value(|_| Ok::<(), ()>(())),
            Some(Ok(()))
        );
    }

    /// A reader never sees a half-applied `update_many`.
    #[test]
    fn readers_never_see_torn_updates() {
        let registry = Registry::new();
        let _ = registry.update_many([("x".to_owned(), 0u64), ("y".to_owned(), 0)]);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for i in 1..20_000u64 {
                    let _ = registry.update_many([("x".to_owned(), i), ("y".to_owned(), i)]);
                }
            });
            for _ in 0..2 {
                scope.spawn(|| {
                    for _ in 0..20_000 {
                        let values = registry.get_many(&["x", "y"]);
                        assert_eq!(values[0], values[1]);
                        let snapshot = registry.snapshot();
                        assert_eq!(snapshot[0].1, snapshot[1].1);
                    }
                });
            }
        });
    }
}

//! A deliberately broken registry: the twin that proves the torn-read detectors can fail.
//!
//! Compiled only under `cfg(ftlab_loom)` or with the `seeded-bugs` feature.
//!
//! [`TornRegistry`] (`torn_multi_key_update`) — `update_many` takes the write lock once *per
//! key* instead of once for all keys. Each single write is still properly locked (no data
//! race, nothing for a race detector to see), but a reader running between two of them sees
//! some keys updated and others not: a torn multi-key update. Every other method delegates to
//! the correct [`Registry`].
//!
//! It calls [`widen_race_window`] between two acquisitions (a no-op under loom), so that a
//! short Python stress run on a busy machine lands in the window too.
//!
//! Never use this outside tests and the stress hunt.

use super::Registry;
use crate::sync::widen_race_window;

/// Broken twin of [`Registry`]: non-atomic `update_many`.
#[derive(Debug)]
pub struct TornRegistry<V>(Registry<V>);

impl<V> Default for TornRegistry<V> {
    fn default() -> Self {
        TornRegistry::new()
    }
}

impl<V> TornRegistry<V> {
    /// An empty registry.
    pub fn new() -> Self {
        TornRegistry(Registry::new())
    }

    /// See [`Registry::get_with`].
    pub fn get_with<R>(&self, key: &str, f: impl FnOnce(Option<&V>) -> R) -> R {
        self.0.get_with(key, f)
    }

    /// See [`Registry::get_many_with`].
    pub fn get_many_with<K: AsRef<str>, R>(
        &self,
        keys: &[K],
        f: impl FnMut(Option<&V>) -> R,
    ) -> Vec<R> {
        self.0.get_many_with(keys, f)
    }

    /// See [`Registry::snapshot_with`].
    pub fn snapshot_with<R>(&self, f: impl FnMut(&str, &V) -> R) -> Vec<R> {
        self.0.snapshot_with(f)
    }

    /// See [`Registry::set`].
    #[must_use = "the replaced value is returned so it can be dropped outside the lock"]
    pub fn set(&self, key: String, value: V) -> Option<V> {
        self.0.set(key, value)
    }

    /// Sets every entry. THE BUG: one write-lock acquisition per key, so readers can observe
    /// the update half-done.
    #[must_use = "the replaced values are returned so they can be dropped outside the lock"]
    pub fn update_many(&self, entries: impl IntoIterator<Item = (String, V)>) -> Vec<V> {
        let entries: Vec<(String, V)> = entries.into_iter().collect();
        let mut replaced = Vec::new();
        for (i, (key, value)) in entries.into_iter().enumerate() {
            if i > 0 {
                widen_race_window(); // between two acquisitions: readers see a torn update
            }
            replaced.extend(self.0.map.write().insert(key, value));
        }
        replaced
    }

    /// See [`Registry::take_all`].
    #[must_use = "the removed entries are returned so they can be dropped outside the lock"]
    pub fn take_all(&self) -> std::collections::BTreeMap<String, V> {
        self.0.take_all()
    }

    /// See [`Registry::try_for_each_value`].
    pub fn try_for_each_value<E>(
        &self,
        f: impl FnMut(&V) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        self.0.try_for_each_value(f)
    }

    /// See [`Registry::len`].
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// See [`Registry::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Clone> TornRegistry<V> {
    /// See [`Registry::get`].
    pub fn get(&self, key: &str) -> Option<V> {
        self.0.get(key)
    }

    /// See [`Registry::get_many`].
    pub fn get_many<K: AsRef<str>>(&self, keys: &[K]) -> Vec<Option<V>> {
        self.0.get_many(keys)
    }

    /// See [`Registry::snapshot`].
    pub fn snapshot(&self) -> Vec<(String, V)> {
        self.0.snapshot()
    }
}

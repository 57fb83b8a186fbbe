//! Subscriptions: event name → listeners in subscription order, the state behind `EventBus`.
//!
//! A plain sequential data structure with no lock of its own: its one user, the Python
//! `EventBus` (`src/py/event_bus.rs`), keeps it inside the owning Python object's *critical
//! section* (CPython's per-object lock on 3.13t, the GIL on GIL builds), so the protocol is
//! CPython's, not ours, and there is no loom model. What the binding needs from this file, and
//! what the proptest below checks against a list model:
//!
//! * every operation is pure Rust that calls nothing caller-supplied except the closures of
//!   `*_with` / `remove_first` (the binding passes closures that only compare pointers or
//!   increment reference counts — nothing that can re-enter the interpreter);
//! * removed listeners are *returned*, never dropped here, so the binding drops them after
//!   leaving the critical section (dropping a Python object can run `__del__`);
//! * listeners of one event keep their subscription order, and one listener may be
//!   subscribed several times (each `remove_first` removes one subscription).

use std::collections::BTreeMap;

/// Listeners per event name; see the module docs.
#[derive(Debug)]
pub struct Subscriptions<V> {
    by_event: BTreeMap<String, Vec<V>>,
    len: usize,
}

impl<V> Default for Subscriptions<V> {
    fn default() -> Self {
        Subscriptions {
            by_event: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<V> Subscriptions<V> {
    /// No subscriptions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `listener` to `event`'s listeners.
    pub fn subscribe(&mut self, event: String, listener: V) {
        self.by_event.entry(event).or_default().push(listener);
        self.len += 1;
    }

    /// Removes and returns the first listener of `event` for which `is_it` is true.
    #[must_use = "the removed listener is returned so it can be dropped outside the lock"]
    pub fn remove_first(&mut self, event: &str, mut is_it: impl FnMut(&V) -> bool) -> Option<V> {
        let listeners = self.by_event.get_mut(event)?;
        let index = listeners.iter().position(&mut is_it)?;
        let removed = listeners.remove(index);
        if listeners.is_empty() {
            self.by_event.remove(event);
        }
        self.len -= 1;
        Some(removed)
    }

    /// `f` applied to each listener of `event`, in subscription order.
    pub fn listeners_with<R>(&self, event: &str, f: impl FnMut(&V) -> R) -> Vec<R> {
        self.by_event
            .get(event)
            .map_or_else(Vec::new, |listeners| listeners.iter().map(f).collect())
    }

    /// The events that have at least one listener, sorted.
    pub fn events(&self) -> Vec<String> {
        self.by_event.keys().cloned().collect()
    }

    /// The number of subscriptions over all events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no subscriptions.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every subscription and returns the listeners (drop them outside the lock).
    #[must_use = "the removed listeners are returned so they can be dropped outside the lock"]
    pub fn take_all(&mut self) -> Vec<V> {
        self.len = 0;
        std::mem::take(&mut self.by_event)
            .into_values()
            .flatten()
            .collect()
    }

    /// Calls `f` on every listener (for the binding's garbage-collector traversal).
    pub fn try_for_each<E>(&self, f: impl FnMut(&V) -> Result<(), E>) -> Result<(), E> {
        self.by_event.values().flatten().try_for_each(f)
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Subscribe(String, u8),
        Remove(String, u8),
        TakeAll,
    }

    fn event() -> impl Strategy<Value = String> {
        prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(String::from)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (event(), 0u8..4).prop_map(|(e, v)| Op::Subscribe(e, v)),
            3 => (event(), 0u8..4).prop_map(|(e, v)| Op::Remove(e, v)),
            1 => Just(Op::TakeAll),
        ]
    }

    proptest! {
        /// Subscriptions behave like a list of (event, listener) pairs in subscription order.
        #[test]
        fn subscriptions_match_a_list_model(ops in proptest::collection::vec(op(), 0..60)) {
            let mut subs = Subscriptions::new();
            let mut model: Vec<(String, u8)> = Vec::new();
            for op in ops {
                match op {
                    Op::Subscribe(e, v) => {
                        subs.subscribe(e.clone(), v);
                        model.push((e, v));
                    }
                    Op::Remove(e, v) => {
                        let expected = model.iter().position(|(me, mv)| *me == e && *mv == v)
                            .map(|i| model.remove(i).1);
                        prop_assert_eq!(subs.remove_first(&e, |x| *x == v), expected);
                    }
                    Op::TakeAll => {
                        let mut taken = subs.take_all();
                        let mut expected: Vec<u8> = model.drain(..).map(|(_, v)| v).collect();
                        taken.sort_unstable();
                        expected.sort_unstable();
                        prop_assert_eq!(taken, expected);
                    }
                }
                prop_assert_eq!(subs.len(), model.len());
                prop_assert_eq!(subs.is_empty(), model.is_empty());
                for e in ["a", "b", "c"] {
                    let expected: Vec<u8> =
                        model.iter().filter(|(me, _)| me == e).map(|(_, v)| *v).collect();
                    prop_assert_eq!(subs.listeners_with(e, |v| *v), expected);
                }
                let mut events: Vec<String> = model.iter().map(|(e, _)| e.clone()).collect();
                events.sort();
                events.dedup();
                prop_assert_eq!(subs.events(), events);
                let mut visited = 0;
                prop_assert_eq!(subs.try_for_each(|_| { visited += 1; Ok::<(), ()>(()) }), Ok(()));
                prop_assert_eq!(visited, model.len());
            }
        }
    }
}

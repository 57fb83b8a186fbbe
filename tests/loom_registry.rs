//! Loom models of `core::registry`: the real RwLock-guarded registry under loom's scheduler,
//! and its broken twin, which loom must reject.
//!
//! Correct model: one thread runs `update_many({x: 1, y: 1})` over `{x: 0, y: 0}` while a
//! second thread `set`s an unrelated key and a reader (`get_many` and `snapshot` on the main
//! thread) checks that `x` and `y` are always equal — all of an update or none of it.
//! Broken twin: `torn_multi_key_update` (one write lock per key) must let the reader see
//! `x != y`.
//!
//! Run: `RUSTFLAGS="--cfg ftlab_loom" cargo test --release --no-default-features
//! --target-dir target/loom --test loom_registry` (or `ci/loom`).

#![cfg(ftlab_loom)]

#[path = "support/loom_harness.rs"]
mod loom_harness;

use ftlab::core::registry::broken::TornRegistry;
use ftlab::core::registry::Registry;
use ftlab::sync::{thread, Arc};
use loom_harness::{check, expect_rejected};

/// What the model needs from a registry.
trait Map: Send + Sync + 'static {
    fn empty() -> Self;
    fn set(&self, key: &str, value: u32) -> Option<u32>;
    fn update_many(&self, entries: &[(&str, u32)]) -> Vec<u32>;
    fn get_many(&self, keys: &[&str]) -> Vec<Option<u32>>;
    fn snapshot(&self) -> Vec<(String, u32)>;
}

macro_rules! impl_map {
    ($($ty:ty),*) => {$(
        impl Map for $ty {
            fn empty() -> Self {
                <$ty>::new()
            }
            fn set(&self, key: &str, value: u32) -> Option<u32> {
                <$ty>::set(self, key.to_owned(), value)
            }
            fn update_many(&self, entries: &[(&str, u32)]) -> Vec<u32> {
                <$ty>::update_many(self, entries.iter().map(|(k, v)| ((*k).to_owned(), *v)))
            }
            fn get_many(&self, keys: &[&str]) -> Vec<Option<u32>> {
                <$ty>::get_many(self, keys)
            }
            fn snapshot(&self) -> Vec<(String, u32)> {
                <$ty>::snapshot(self)
            }
        }
    )*};
}
impl_map!(Registry<u32>, TornRegistry<u32>);

fn multi_key_update_is_atomic<R: Map>() {
    let registry = Arc::new(R::empty());
    assert!(registry.update_many(&[("x", 0), ("y", 0)]).is_empty());
    let writer = {
        let registry = Arc::clone(&registry);
        thread::spawn(move || registry.update_many(&[("x", 1), ("y", 1)]))
    };
    let other = {
        let registry = Arc::clone(&registry);
        thread::spawn(move || registry.set("z", 7))
    };
    let pair = registry.get_many(&["x", "y"]);
    assert_eq!(pair[0], pair[1], "torn read: get_many saw {pair:?}");
    let snapshot = registry.snapshot();
    let x = snapshot.iter().find(|(k, _)| k == "x").map(|(_, v)| *v);
    let y = snapshot.iter().find(|(k, _)| k == "y").map(|(_, v)| *v);
    assert_eq!(x, y, "torn read: snapshot saw {snapshot:?}");
    assert_eq!(writer.join().unwrap(), [0, 0]);
    assert_eq!(other.join().unwrap(), None);
    assert_eq!(
        registry.snapshot(),
        [("x".into(), 1), ("y".into(), 1), ("z".into(), 7)]
    );
}

#[test]
fn registry_update_many_is_atomic_for_readers() {
    check(
        "registry_update_many",
        multi_key_update_is_atomic::<Registry<u32>>,
    );
}

#[test]
fn rejects_torn_multi_key_update() {
    expect_rejected(
        "torn_multi_key_update",
        "torn read",
        multi_key_update_is_atomic::<TornRegistry<u32>>,
    );
}

//! Python classes for `core::counter`: `MutexGuardedCounter`, `AtomicCounter` and
//! `ShardedCounter`.
//!
//! All are `frozen`: the Python object itself never changes, the interior state is guarded
//! by the core type. The mutex's critical section is a few instructions and never calls
//! back into Python, so taking it while attached cannot deadlock with a stop-the-world pause.

use std::num::NonZeroUsize;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::core::counter;

/// Generates a frozen counter pyclass (`new(start=0)`, `add(delta=1)` returning the new value,
/// `value`, `__repr__`) around a core counter with `new(i64)`, `add(i64) -> i64` and
/// `get() -> i64`, so the seeded twins are the same binding around a broken core. `add` and
/// `value` take their docstrings as arguments (a twin says how its `add` goes wrong); methods
/// after them (a twin's extra statistic) are added to the class as they are.
macro_rules! counter_class {
    (
        $(#[$attr:meta])*
        class $name:ident(core = $core:ty, module = $module:literal)
        add = $add_doc:literal, value = $value_doc:literal,
        $($extra:tt)*
    ) => {
        $crate::py::frozen_class! {
            $(#[$attr])*
            class $name(module = $module) { inner: $core }
            getters {
                #[doc = $value_doc]
                value: i64 = inner.get,
            }

            /// Creates a counter starting at `start` (default 0).
            #[new]
            #[pyo3(signature = (start = 0))]
            fn new(start: i64) -> Self {
                $name {
                    inner: <$core>::new(start),
                }
            }

            #[doc = $add_doc]
            #[pyo3(signature = (delta = 1))]
            fn add(&self, delta: i64) -> i64 {
                self.inner.add(delta)
            }

            $($extra)*

            fn __repr__(&self) -> String {
                format!(concat!(stringify!($name), "(value={})"), self.inner.get())
            }
        }
    };
}
// Used by the seeded twins (`seeded/lost_update.rs`, ...), which only exist with `seeded-bugs`.
#[cfg_attr(not(feature = "seeded-bugs"), allow(unused_imports))]
pub(crate) use counter_class;

counter_class! {
    /// A counter guarded by a mutex: `add` is one read-modify-write under one lock.
    ///
    /// Safe to share between threads on every interpreter; no increment is ever lost.
    class MutexGuardedCounter(core = counter::MutexCounter, module = "ftlab")
    add = "Adds `delta` (default 1) and returns the new value.",
    value = "The current value.",
}

counter_class! {
    /// A lock-free counter: `add` is one atomic `fetch_add`.
    ///
    /// Safe to share between threads on every interpreter; no increment is ever lost.
    class AtomicCounter(core = counter::AtomicCounter, module = "ftlab")
    add = "Adds `delta` (default 1) and returns the new value.",
    value = "The current value.",
}

/// The most shards `ShardedCounter` accepts (128 bytes each: 512 KiB).
const MAX_SHARDS: i64 = 4096;

crate::py::frozen_class! {
    /// A counter split into cache-line-padded atomic shards, one per thread (round-robin).
    ///
    /// `add` touches only the calling thread's shard, so adds from many threads do not contend;
    /// `value` sums every shard. Exact once the adding threads are done; a read racing with adds
    /// is not a snapshot (it never misses an add that finished before the read started).
    class ShardedCounter(module = "ftlab") { inner: counter::ShardedCounter }
    getters {
        /// The sum of all shards.
        value: i64 = inner.get,
        /// The number of shards.
        shards: usize = inner.shard_count,
    }

    /// Creates a counter at 0 with `shards` shards (default: the CPU count rounded up to a
    /// power of two). ValueError unless 1 <= shards <= 4096.
    #[new]
    #[pyo3(signature = (shards = None))]
    fn new(shards: Option<i64>) -> PyResult<Self> {
        let shards = match shards {
            None => counter::ShardedCounter::default_shard_count(),
            Some(n) if (1..=MAX_SHARDS).contains(&n) => {
                NonZeroUsize::new(n as usize).expect("checked >= 1")
            }
            Some(n) => {
                return Err(PyValueError::new_err(format!(
                    "shards must be between 1 and {MAX_SHARDS}, got {n}"
                )))
            }
        };
        Ok(ShardedCounter {
            inner: counter::ShardedCounter::new(shards),
        })
    }

    /// Adds `delta` (default 1) to the calling thread's shard. Returns None: the global value
    /// would need a sum over all shards, which is exactly the cost sharding avoids.
    #[pyo3(signature = (delta = 1))]
    fn add(&self, delta: i64) {
        self.inner.add(delta)
    }

    fn __repr__(&self) -> String {
        format!(
            "ShardedCounter(value={}, shards={})",
            self.inner.get(),
            self.inner.shard_count()
        )
    }
}

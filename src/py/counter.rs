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

/// A counter guarded by a mutex: `add` is one read-modify-write under one lock.
///
/// Safe to share between threads on every interpreter; no increment is ever lost.
#[pyclass(frozen, module = "ftlab")]
pub struct MutexGuardedCounter {
    inner: counter::MutexCounter,
}

#[pymethods]
impl MutexGuardedCounter {
    /// Creates a counter starting at `start` (default 0).
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: i64) -> Self {
        MutexGuardedCounter {
            inner: counter::MutexCounter::new(start),
        }
    }

    /// Adds `delta` (default 1) and returns the new value.
    #[pyo3(signature = (delta = 1))]
    fn add(&self, delta: i64) -> i64 {
        self.inner.add(delta)
    }

    /// The current value.
    #[getter]
    fn value(&self) -> i64 {
        self.inner.get()
    }

    fn __repr__(&self) -> String {
        format!("MutexGuardedCounter(value={})", self.inner.get())
    }
}

/// A lock-free counter: `add` is one atomic `fetch_add`.
///
/// Safe to share between threads on every interpreter; no increment is ever lost.
#[pyclass(frozen, module = "ftlab")]
pub struct AtomicCounter {
    inner: counter::AtomicCounter,
}

#[pymethods]
impl AtomicCounter {
    /// Creates a counter starting at `start` (default 0).
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: i64) -> Self {
        AtomicCounter {
            inner: counter::AtomicCounter::new(start),
        }
    }

    /// Adds `delta` (default 1) and returns the new value.
    #[pyo3(signature = (delta = 1))]
    fn add(&self, delta: i64) -> i64 {
        self.inner.add(delta)
    }

    /// The current value.
    #[getter]
    fn value(&self) -> i64 {
        self.inner.get()
    }

    fn __repr__(&self) -> String {
        format!("AtomicCounter(value={})", self.inner.get())
    }
}

/// The most shards `ShardedCounter` accepts (128 bytes each: 512 KiB).
const MAX_SHARDS: i64 = 4096;

/// A counter split into cache-line-padded atomic shards, one per thread (round-robin).
///
/// `add` touches only the calling thread's shard, so adds from many threads do not contend;
/// `value` sums every shard. Exact once the adding threads are done; a read racing with adds
/// is not a snapshot (it never misses an add that finished before the read started).
#[pyclass(frozen, module = "ftlab")]
pub struct ShardedCounter {
    inner: counter::ShardedCounter,
}

#[pymethods]
impl ShardedCounter {
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

    /// The sum of all shards.
    #[getter]
    fn value(&self) -> i64 {
        self.inner.get()
    }

    /// The number of shards.
    #[getter]
    fn shards(&self) -> usize {
        self.inner.shard_count()
    }

    fn __repr__(&self) -> String {
        format!(
            "ShardedCounter(value={}, shards={})",
            self.inner.get(),
            self.inner.shard_count()
        )
    }
}

//! Python classes for `core::counter`: `MutexGuardedCounter` and `AtomicCounter`.
//!
//! Both are `frozen`: the Python object itself never changes, the interior state is guarded
//! by the core type. The mutex's critical section is a few instructions and never calls
//! back into Python, so taking it while attached cannot deadlock with a stop-the-world pause.

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

//! Seeded bug `unsafe_shared_mut`: `UnsafeCellCounter`, the twin of `ftlab.MutexGuardedCounter`.
//!
//! Wraps `core::counter::broken::UnsafeCellCounter` (the same read-modify-write with the lock
//! removed: an `UnsafeCell` mutated through `&self` behind a lying `unsafe impl Sync`). Loses
//! increments only when two threads really run `add` at the same time (3.13t, GIL off).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::counter::broken;

/// BROKEN (unsafe_shared_mut): the counter is a plain integer in an `UnsafeCell` mutated
/// through a shared reference with no synchronization (a data race).
#[pyclass(frozen, module = "ftlab._seeded")]
pub struct UnsafeCellCounter {
    inner: broken::UnsafeCellCounter,
}

#[pymethods]
impl UnsafeCellCounter {
    /// Creates a counter starting at `start` (default 0).
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: i64) -> Self {
        UnsafeCellCounter {
            inner: broken::UnsafeCellCounter::new(start),
        }
    }

    /// Adds `delta` (default 1) and returns the new value (races with concurrent adds).
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
        format!("UnsafeCellCounter(value={})", self.inner.get())
    }
}

/// Adds the class to `m` and its bug name to `bugs`.
pub fn add(m: &Bound<'_, PyModule>, bugs: &Bound<'_, PyDict>) -> PyResult<()> {
    m.add_class::<UnsafeCellCounter>()?;
    bugs.set_item("unsafe_shared_mut", "UnsafeCellCounter")
}

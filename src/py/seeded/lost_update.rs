//! Seeded bug `lost_update`: `LostUpdateCounter`, the twin of `ftlab.AtomicCounter`.
//!
//! Wraps `core::counter::broken::LostUpdateCounter` (atomic load, then atomic store: not one
//! read-modify-write). Loses increments only when two threads really run `add` at the same
//! time, i.e. on 3.13t with the GIL off; under a GIL nothing interleaves inside `add`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::counter::broken;

/// BROKEN (lost_update): `add` is an atomic load followed by an atomic store, not one
/// read-modify-write, so concurrent adds overwrite each other.
#[pyclass(frozen, module = "ftlab._seeded")]
pub struct LostUpdateCounter {
    inner: broken::LostUpdateCounter,
}

#[pymethods]
impl LostUpdateCounter {
    /// Creates a counter starting at `start` (default 0).
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: i64) -> Self {
        LostUpdateCounter {
            inner: broken::LostUpdateCounter::new(start),
        }
    }

    /// Adds `delta` (default 1) and returns the new value (may lose concurrent adds).
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
        format!("LostUpdateCounter(value={})", self.inner.get())
    }
}

/// Adds the class to `m` and its bug name to `bugs`.
pub fn add(m: &Bound<'_, PyModule>, bugs: &Bound<'_, PyDict>) -> PyResult<()> {
    m.add_class::<LostUpdateCounter>()?;
    bugs.set_item("lost_update", "LostUpdateCounter")
}

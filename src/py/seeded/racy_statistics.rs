//! Seeded bug `racy_statistics`: `RacyStatsCounter`, the twin of `ftlab.MutexGuardedCounter`.
//!
//! Wraps `core::counter::broken::RacyStatsCounter`: the counter itself is correct (its
//! read-modify-write is under the lock), but every `add` also bumps a `calls` statistic outside
//! the lock. That data race breaks no invariant the stress suite or pytest can check (the totals
//! stay exact; nothing checks `calls`), so only ThreadSanitizer reports it. It is listed in
//! `ftlab._seeded.TSAN_ONLY`: the invariant hunt is not required to catch it.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::counter::broken;

/// BROKEN (racy_statistics): a correct mutex-guarded counter plus a `calls` statistic updated
/// with no synchronization (a data race no invariant sees). Same API as MutexGuardedCounter.
#[pyclass(frozen, module = "ftlab._seeded")]
pub struct RacyStatsCounter {
    inner: broken::RacyStatsCounter,
}

#[pymethods]
impl RacyStatsCounter {
    /// Creates a counter starting at `start` (default 0).
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: i64) -> Self {
        RacyStatsCounter {
            inner: broken::RacyStatsCounter::new(start),
        }
    }

    /// Adds `delta` (default 1) under the lock and returns the new value; bumps `calls` racily.
    #[pyo3(signature = (delta = 1))]
    fn add(&self, delta: i64) -> i64 {
        self.inner.add(delta)
    }

    /// The current value (exact).
    #[getter]
    fn value(&self) -> i64 {
        self.inner.get()
    }

    /// How many adds the racy statistic counted (may be short of the real number).
    #[getter]
    fn calls(&self) -> i64 {
        self.inner.calls()
    }

    fn __repr__(&self) -> String {
        format!("RacyStatsCounter(value={})", self.inner.get())
    }
}

/// Adds the class to `m`, its bug name to `bugs`, and the bug to `tsan_only`.
pub fn add(
    m: &Bound<'_, PyModule>,
    bugs: &Bound<'_, PyDict>,
    tsan_only: &mut Vec<&'static str>,
) -> PyResult<()> {
    m.add_class::<RacyStatsCounter>()?;
    tsan_only.push("racy_statistics");
    bugs.set_item("racy_statistics", "RacyStatsCounter")
}

//! Seeded bug `relaxed_publication`: `RelaxedPublishSlot`, the twin of `ftlab.PublishSlot`.
//!
//! Wraps `core::latch::broken::RelaxedPublishSlot` in its stress-visible variant: the flag is
//! stored (Relaxed) before the elements are copied in, so a concurrent `try_get` can return a
//! list whose tail is still zeros. See that module for why the pure-Relaxed variant is only
//! visible to loom (and to weakly ordered CPUs), not to a stress test on x86.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::latch::broken;

crate::py::frozen_class! {
    /// BROKEN twin of PublishSlot: readers can see the slot published before its values are all
    /// written (partial lists). Same API as PublishSlot.
    class RelaxedPublishSlot(module = "ftlab._seeded") {
        inner: broken::RelaxedPublishSlot<i64>,
    }
    getters {
        /// Whether the (unordered) flag says published.
        is_published: bool = inner.is_published,
    }

    /// Creates an empty slot.
    #[new]
    fn new() -> Self {
        RelaxedPublishSlot {
            inner: broken::RelaxedPublishSlot::new(),
        }
    }

    /// Publishes `values`; ValueError if already published. BUG: flag before payload.
    fn publish(&self, py: Python<'_>, values: Vec<i64>) -> PyResult<()> {
        // Detached so the copy (the race window) overlaps readers on the GIL build too.
        py.detach(|| self.inner.publish(&values))
            .map_err(|_| PyValueError::new_err("PublishSlot is already published"))
    }

    /// The published values, or None. BUG: may be a partially written list.
    fn try_get(&self) -> Option<Vec<i64>> {
        self.inner.get()
    }
}

/// Adds the class to `m`, its bug name to `bugs`, and the bug to `gil_proof` (`publish` runs detached, so readers run inside its window on a GIL build too).
pub fn add(
    m: &Bound<'_, PyModule>,
    bugs: &Bound<'_, PyDict>,
    gil_proof: &mut Vec<&'static str>,
) -> PyResult<()> {
    m.add_class::<RelaxedPublishSlot>()?;
    gil_proof.push("relaxed_publication");
    bugs.set_item("relaxed_publication", "RelaxedPublishSlot")
}

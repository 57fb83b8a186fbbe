//! Seeded bug `double_once_init`: `RacyOnceResource`, the twin of `ftlab.OnceResource`.
//!
//! Wraps `core::once::broken::RacyOnce` (check-then-init with no claim): every caller that
//! arrives while the first `init` is still running calls `init` too, and gets its own result.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::once::broken;
use crate::py::once::check_callable;
use crate::sync::Arc;

crate::py::frozen_class! {
    /// BROKEN twin of OnceResource: `init` can run more than once under a race, and racing
    /// callers can get different objects. Same API as OnceResource.
    class RacyOnceResource(module = "ftlab._seeded") {
        init: Py<PyAny>,
        cell: broken::RacyOnce<Arc<Py<PyAny>>>,
    }
    getters {
        /// How many times `init` has been called.
        init_count: usize = cell.init_count,
        /// Whether some call to `init` has finished.
        is_initialized: bool = cell.is_initialized,
    }

    /// Creates the resource; `init` is a zero-argument callable.
    #[new]
    fn new(init: Bound<'_, PyAny>) -> PyResult<Self> {
        check_callable(&init)?;
        Ok(RacyOnceResource {
            init: init.unbind(),
            cell: broken::RacyOnce::new(),
        })
    }

    /// Returns the value, calling `init()` if it looked uninitialised. BUG: check-then-act.
    fn get(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value = self
            .cell
            .get_or_try_init(|| self.init.call0(py).map(Arc::new))?;
        Ok(value.clone_ref(py))
    }
}

/// Adds the class to `m`, its bug name to `bugs`, and the bug to `gil_proof` (`init` is Python code, and the GIL changes hands inside it).
pub fn add(
    m: &Bound<'_, PyModule>,
    bugs: &Bound<'_, PyDict>,
    gil_proof: &mut Vec<&'static str>,
) -> PyResult<()> {
    m.add_class::<RacyOnceResource>()?;
    gil_proof.push("double_once_init");
    bugs.set_item("double_once_init", "RacyOnceResource")
}

//! Python classes for `core::latch`: `Latch` (one-shot flag) and `PublishSlot` (single
//! assignment of a `list[int]`, then lock-free reads).
//!
//! Both are `frozen`; all state is in the core types. `Latch.wait` detaches while blocked
//! (see `py::wait`). `PublishSlot` stores a `Vec<i64>`: the values are converted before the
//! slot is claimed, so a failed conversion never leaves a half-claimed slot, and a reader gets
//! a fresh `list` copy of the published values.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::py_bool;
use super::wait::{parse_timeout, wait_detached};
use crate::core::latch;

/// A one-shot flag: unset until the first `set()`, set forever after.
///
/// `wait()` blocks (detached from the interpreter, never spinning) until the latch is set.
/// Everything a thread did before `set()` is visible to a thread that saw it set.
#[pyclass(frozen, module = "ftlab")]
pub struct Latch {
    inner: latch::Latch,
}

#[pymethods]
impl Latch {
    /// Creates an unset latch.
    #[new]
    fn new() -> Self {
        Latch {
            inner: latch::Latch::new(),
        }
    }

    /// Sets the latch and wakes every waiter. Returns True if this call set it, False if it
    /// was already set.
    fn set(&self) -> bool {
        self.inner.set()
    }

    /// Whether the latch is set.
    #[getter]
    fn is_set(&self) -> bool {
        self.inner.is_set()
    }

    /// Blocks until the latch is set or `timeout` seconds pass (None: no limit). Returns
    /// whether the latch is set. Releases the interpreter while waiting.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let timeout = parse_timeout(timeout)?;
        if self.inner.is_set() {
            return Ok(true);
        }
        let inner = &self.inner;
        let set = wait_detached(py, timeout, |slice| {
            inner.wait_timeout(Some(slice)).then_some(())
        })?;
        Ok(set.is_some())
    }

    fn __repr__(&self) -> String {
        format!("Latch(is_set={})", py_bool(self.inner.is_set()))
    }
}

/// Single-assignment publication of a list of ints.
///
/// `publish(values)` succeeds once; any later call raises ValueError. `try_get()` never
/// blocks: it returns None before publication and a full copy of the values after — a reader
/// that sees the slot published sees all of it (Release/Acquire publication).
#[pyclass(frozen, module = "ftlab")]
pub struct PublishSlot {
    inner: latch::PublishSlot<Vec<i64>>,
}

#[pymethods]
impl PublishSlot {
    /// Creates an empty slot.
    #[new]
    fn new() -> Self {
        PublishSlot {
            inner: latch::PublishSlot::new(),
        }
    }

    /// Publishes `values` (a list of ints). Raises ValueError if the slot is already
    /// published.
    fn publish(&self, values: Vec<i64>) -> PyResult<()> {
        self.inner
            .publish(values)
            .map_err(|_| PyValueError::new_err("PublishSlot is already published"))
    }

    /// The published values as a new list, or None if nothing is published yet.
    fn try_get(&self) -> Option<Vec<i64>> {
        self.inner.get().cloned()
    }

    /// Whether the slot has been published.
    #[getter]
    fn is_published(&self) -> bool {
        self.inner.is_published()
    }

    fn __repr__(&self) -> String {
        match self.inner.get() {
            Some(v) => format!("PublishSlot(published, {} values)", v.len()),
            None => "PublishSlot(empty)".to_string(),
        }
    }
}

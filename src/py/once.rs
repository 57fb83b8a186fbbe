//! Python class for `core::once`: `OnceResource`, a lazily created value whose init callable
//! runs exactly once under any race.
//!
//! Why the project's own `core::once::Once` and not `pyo3::sync::PyOnceLock`: this is the code
//! the loom model checks; it counts init attempts (`init_count`); it defines what happens when
//! init raises (nothing is stored, the next caller retries); and it reports a recursive `get`
//! from inside init as a RuntimeError instead of deadlocking.
//!
//! Deadlock freedom with a Python init (the point of the design): the init callable runs
//! attached but *without any lock held* — the caller holds only a claim token
//! (`InitGuard`). Other callers that find init running wait on the core's condvar
//! *detached* (`py::wait`), so on the GIL build they do not hold the GIL the initialiser may
//! need back, and on 3.13t they do not hold up a stop-the-world pause the initialiser may
//! trigger. The core's mutex is only ever held for a few instructions, never across Python
//! code, so taking it attached is safe. If init raises (any BaseException) or panics, the
//! claim is dropped, the state returns to uninitialised and a waiter retries.
//!
//! Garbage collection: `__traverse__` reports `init` and the value, so a cycle through them
//! (an init closure that refers to its own resource, a value that does) is collectable; the
//! class has no `__clear__` (it is frozen), the other members of such a cycle (functions,
//! cells, containers) break it.

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};

use super::py_bool;
use super::wait::wait_detached;
use crate::core::once::{self, Claim};

pub(crate) fn check_callable(init: &Bound<'_, PyAny>) -> PyResult<()> {
    if init.is_callable() {
        Ok(())
    } else {
        Err(PyTypeError::new_err(format!(
            "init must be callable, got {}",
            init.get_type().name()?
        )))
    }
}

pub(crate) fn reentrant_error() -> PyErr {
    PyRuntimeError::new_err(
        "OnceResource.get() called from inside its own init (recursive initialisation)",
    )
}

/// A value created on first use by calling `init()` exactly once, however many threads race.
///
/// `get()` returns the value to everyone (the same object). If `init` raises, the exception
/// propagates to that caller, nothing is stored, and the next `get()` calls `init` again.
/// Callers that arrive while `init` runs wait (releasing the interpreter) for its result.
#[pyclass(frozen, module = "ftlab")]
pub struct OnceResource {
    init: Py<PyAny>,
    cell: once::Once<Py<PyAny>>,
}

#[pymethods]
impl OnceResource {
    /// Creates the resource; `init` is a zero-argument callable, not called yet.
    #[new]
    fn new(init: Bound<'_, PyAny>) -> PyResult<Self> {
        check_callable(&init)?;
        Ok(OnceResource {
            init: init.unbind(),
            cell: once::Once::new(),
        })
    }

    /// Returns the value, calling `init()` first if no call has succeeded yet. Concurrent
    /// callers wait for the running `init` instead of calling it again.
    fn get(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        loop {
            match self.cell.try_claim() {
                Claim::Ready(value) => return Ok(value.clone_ref(py)),
                Claim::Init(claim) => {
                    // On error the claim is dropped here: the cell returns to uninitialised.
                    let value = self.init.call0(py)?;
                    return Ok(claim.complete(value).clone_ref(py));
                }
                Claim::Busy => {
                    let cell = &self.cell;
                    wait_detached(py, None, |slice| {
                        cell.wait_while_running(Some(slice)).then_some(())
                    })?;
                }
                Claim::Reentrant => return Err(reentrant_error()),
            }
        }
    }

    /// How many times `init` has been called (1 after any race, plus one per failed call).
    #[getter]
    fn init_count(&self) -> usize {
        self.cell.init_count()
    }

    /// Whether a call to `init` has succeeded.
    #[getter]
    fn is_initialized(&self) -> bool {
        self.cell.is_initialized()
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.init)?;
        // The value is only read once READY is observed (Acquire): never while being written.
        visit.call(self.cell.get())
    }

    fn __repr__(&self) -> String {
        format!(
            "OnceResource(is_initialized={}, init_count={})",
            py_bool(self.cell.is_initialized()),
            self.cell.init_count()
        )
    }
}

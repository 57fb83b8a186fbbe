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

use crate::core::once;

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

/// Generates a frozen `OnceResource`-like pyclass around a core type with `OnceResource`'s API, so the
/// seeded twins are the same binding around a broken core.
macro_rules! once_resource_class {
    (
        $(#[$attr:meta])*
        class $name:ident(core = $core:ty, new = $new:expr, module = $module:literal)
    ) => {
        $crate::py::frozen_class! {
            $(#[$attr])*
            class $name(module = $module) { init: ::pyo3::Py<::pyo3::PyAny>, cell: $core }
            getters {
                /// How many times `init` has been called (1 after any race, plus one per failed call).
                init_count: usize = cell.init_count,
                /// Whether a call to `init` has succeeded.
                is_initialized: bool = cell.is_initialized,
            }

            /// Creates the resource; `init` is a zero-argument callable, not called yet.
            #[new]
            fn new(init: ::pyo3::Bound<'_, ::pyo3::PyAny>) -> ::pyo3::PyResult<Self> {
                $crate::py::once::check_callable(&init)?;
                Ok($name {
                    init: init.unbind(),
                    cell: $new(),
                })
            }

            /// Returns the value, calling `init()` first if no call has succeeded yet. Concurrent
            /// callers wait for the running `init` instead of calling it again.
            fn get(&self, py: ::pyo3::Python<'_>) -> ::pyo3::PyResult<::pyo3::Py<::pyo3::PyAny>> {
                loop {
                    match self.cell.try_claim() {
                        $crate::core::once::Claim::Ready(value) => return Ok(value.clone_ref(py)),
                        $crate::core::once::Claim::Init(claim) => {
                            // On error the claim is dropped here: the cell returns to uninitialised.
                            let value = self.init.call0(py)?;
                            return Ok(claim.complete(value).clone_ref(py));
                        }
                        $crate::core::once::Claim::Busy => {
                            let cell = &self.cell;
                            $crate::py::wait::wait_detached(py, None, |slice| {
                                cell.wait_while_running(Some(slice)).then_some(())
                            })?;
                        }
                        $crate::core::once::Claim::Reentrant => return Err($crate::py::once::reentrant_error()),
                    }
                }
            }

            fn __traverse__(&self, visit: ::pyo3::PyVisit<'_>) -> Result<(), ::pyo3::PyTraverseError> {
                visit.call(&self.init)?;
                // The value is only read once READY is observed (Acquire): never while being written.
                visit.call(self.cell.get())
            }

            fn __repr__(&self) -> String {
                format!(
                    concat!(stringify!($name), "(is_initialized={}, init_count={})"),
                    $crate::py::py_bool(self.cell.is_initialized()),
                    self.cell.init_count()
                )
            }
        }
    };
}
// Used by the seeded twins (`seeded/lost_wakeup_once.rs`), which only exist with `seeded-bugs`.
#[cfg_attr(not(feature = "seeded-bugs"), allow(unused_imports))]
pub(crate) use once_resource_class;

once_resource_class! {
    /// A value created on first use by calling `init()` exactly once, however many threads race.
    ///
    /// `get()` returns the value to everyone (the same object). If `init` raises, the exception
    /// propagates to that caller, nothing is stored, and the next `get()` calls `init` again.
    /// Callers that arrive while `init` runs wait (releasing the interpreter) for its result.
    class OnceResource(core = once::Once<Py<PyAny>>, new = once::Once::new, module = "ftlab")
}

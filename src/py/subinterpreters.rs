//! Refusing sub-interpreters: ftlab may only be imported in the main interpreter.
//!
//! PyO3 0.28 keeps Python objects in process-wide statics (each pyclass's type object, the
//! `PanicException` type, `PyOnceLock`s), so one module instance per interpreter would share
//! Python objects across interpreters (PyO3 issue 576). PyO3 0.28 uses multi-phase init
//! without the `Py_mod_multiple_interpreters` slot and no longer checks the interpreter for a
//! top-level module, so CPython's default applies: an *isolated* (own-GIL) sub-interpreter
//! refuses it ("module ... does not support loading in subinterpreters"), but a *legacy*
//! (shared-GIL) sub-interpreter would load it and hand out the main interpreter's type
//! objects. This check closes that hole: the module's exec fails with [`REFUSAL`] unless it
//! runs in the main interpreter. `ftlab_isolated` (the `isolated/` crate) is the module built
//! for sub-interpreters.

use pyo3::exceptions::PyImportError;
use pyo3::ffi;
use pyo3::prelude::*;

/// The ImportError message for an import in any interpreter but the main one.
pub const REFUSAL: &str = "ftlab cannot be imported in a sub-interpreter (PyO3 0.28 modules keep \
per-process Python state, PyO3 issue 576); import it in the main interpreter, or use \
ftlab_isolated in sub-interpreters";

/// `Ok` in the main interpreter, the [`REFUSAL`] ImportError anywhere else.
pub fn ensure_main_interpreter(_py: Python<'_>) -> PyResult<()> {
    // SAFETY: the `Python` token proves the thread is attached, which is all both functions
    // require; they only return interpreter pointers, which we compare and never dereference.
    let (current, main) = unsafe {
        (
            ffi::PyInterpreterState_Get(),
            ffi::PyInterpreterState_Main(),
        )
    };
    if current == main {
        Ok(())
    } else {
        Err(PyImportError::new_err(REFUSAL))
    }
}

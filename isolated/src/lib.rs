//! `ftlab_isolated`: a Rust extension module that is safe to load in many isolated
//! sub-interpreters at once (each with its own GIL, PEP 684) and on free-threaded 3.13t.
//!
//! PyO3 0.28 modules keep Python objects in process-wide statics (type objects, interned
//! strings, `PyOnceLock`s), so they cannot be shared between interpreters (PyO3 issue 576).
//! This crate is built directly on `pyo3-ffi` and keeps the rules CPython sets for
//! per-interpreter-GIL extensions:
//!
//! * **Multi-phase initialisation (PEP 489).** `PyInit_ftlab_isolated` only returns the
//!   module definition; every interpreter that imports the module gets its own module object,
//!   filled by the `Py_mod_exec` slot ([`state::module_exec`]).
//! * **All Python state in module state** ([`state::ModuleState`], `m_size > 0`, with
//!   `m_traverse` / `m_clear` / `m_free`): the per-interpreter `PanicException` class and the
//!   per-interpreter counter. No Python object lives in a Rust `static`; the only statics hold
//!   the (immutable) C definition tables and plain Rust data.
//! * **Plain functions only** (no static types): each receives its own module as `self`, so
//!   it always finds the state of the interpreter it is running in.
//! * **Immutable Rust data is shared across interpreters** through a process-wide
//!   `Arc` ([`shared`]), never through a Python object: interpreters copy what they read out
//!   of it into their own Python objects.
//! * **Slots:** `Py_mod_multiple_interpreters = Py_MOD_PER_INTERPRETER_GIL_SUPPORTED` (3.12+)
//!   and `Py_mod_gil = Py_MOD_GIL_NOT_USED` (3.13+), so importing it neither fails in an
//!   own-GIL sub-interpreter nor re-enables the GIL on 3.13t.
//!
//! Unsafe code is confined to the C-API boundary: [`capi`] (argument parsing, errors, the
//! panic guard, detaching) and the module-state lifecycle in [`state`]; every `unsafe` block
//! states why it is sound. The kernels themselves are safe Rust from `ftlab::core`.
//!
//! The crate has no loom models: under `--cfg ftlab_loom` (where `ftlab::sync` becomes loom's,
//! whose atomics cannot live in statics) it compiles to nothing.
#![cfg(not(ftlab_loom))]

mod capi;
mod functions;
pub mod shared;
mod state;

use std::ffi::c_void;
use std::ptr::{addr_of_mut, null_mut};
use std::sync::Once;

use pyo3_ffi as ffi;

// Number of slots: exec, (3.12+) multiple interpreters, (3.13+) gil, and the zero terminator.
const SLOT_COUNT: usize = 2 + cfg!(Py_3_12) as usize + cfg!(Py_3_13) as usize;

// SAFETY (for the three `static mut` tables below): they are C definition tables that
// CPython reads (and, for `MODULE_DEF`, initialises once in `PyModuleDef_Init`). Rust code
// never forms a reference to them; it only passes their addresses (`addr_of_mut!`) to
// CPython, as the pyo3-ffi documentation's own module example does. They contain no Python
// object that belongs to an interpreter: `MODULE_DEF`'s header becomes an immortal,
// statically allocated `PyModuleDef` object shared by all interpreters, which CPython
// explicitly supports for multi-phase modules.
static mut SLOTS: [ffi::PyModuleDef_Slot; SLOT_COUNT] = [
    ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_exec,
        value: state::module_exec as *mut c_void,
    },
    #[cfg(Py_3_12)]
    ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_multiple_interpreters,
        value: ffi::Py_MOD_PER_INTERPRETER_GIL_SUPPORTED,
    },
    #[cfg(Py_3_13)]
    ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_gil,
        value: ffi::Py_MOD_GIL_NOT_USED,
    },
    ffi::PyModuleDef_Slot {
        slot: 0,
        value: null_mut(),
    },
];

static mut MODULE_DEF: ffi::PyModuleDef = ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"ftlab_isolated".as_ptr(),
    m_doc: c"Rust kernels that are safe in isolated sub-interpreters (own GIL) and on 3.13t.\n\n\
All state is per module object (one per interpreter); immutable Rust data is shared\n\
across interpreters through a process-wide Arc, never as a Python object."
        .as_ptr(),
    m_size: state::STATE_SIZE,
    // Only the addresses are taken (see the comment above `SLOTS`).
    m_methods: addr_of_mut!(functions::METHODS).cast(),
    m_slots: addr_of_mut!(SLOTS).cast(),
    m_traverse: Some(state::module_traverse),
    m_clear: Some(state::module_clear),
    m_free: Some(state::module_free),
};

/// Serialises the first `PyModuleDef_Init` call. CPython's `PyModuleDef_Init` is a
/// check-then-set on the definition's header (`m_index == 0`); two interpreters with their
/// own GILs importing the module for the first time at the same moment would race on it.
static MODULE_DEF_INIT: Once = Once::new();

/// The module's entry point (PEP 489): returns the shared, immutable definition. CPython then
/// creates one module object per importing interpreter and runs the `Py_mod_exec` slot on it.
///
/// # Safety
/// Called by CPython's import machinery with an attached thread state.
#[allow(non_snake_case)]
#[no_mangle]
pub unsafe extern "C" fn PyInit_ftlab_isolated() -> *mut ffi::PyObject {
    // SAFETY: `MODULE_DEF` is a valid, 'static `PyModuleDef`; the thread is attached (we are
    // called by the import system). After the `Once` completes, `PyModuleDef_Init` is a
    // read-only no-op on the header (m_index != 0), and the `Once` orders the first call's
    // writes before every later caller's reads.
    unsafe {
        MODULE_DEF_INIT.call_once(|| {
            ffi::PyModuleDef_Init(addr_of_mut!(MODULE_DEF));
        });
        ffi::PyModuleDef_Init(addr_of_mut!(MODULE_DEF))
    }
}

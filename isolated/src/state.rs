//! Per-module-object state and its lifecycle (`Py_mod_exec`, `m_traverse`, `m_clear`,
//! `m_free`).
//!
//! CPython allocates `m_size` zeroed bytes per module object. We lay them out as a
//! [`StateSlot`]: a `ready` flag (zero = false, so a freshly allocated slot is valid) and
//! the [`ModuleState`] itself, written by [`module_exec`] and dropped by [`module_free`].
//! One module object exists per importing interpreter (and per re-import after removal
//! from `sys.modules`), so everything here is per interpreter by construction.
//!
//! Invariants:
//! * `ready` is set only after the state is fully written, before the module is returned
//!   to the import system (no other thread can see the module yet); it is cleared only in
//!   `m_free`, when no reference to the module remains.
//! * The Python object in the state (`panic_exception`) is an `AtomicPtr` so that concurrent
//!   readers on 3.13t and `m_clear` never race in Rust's sense; it is owned (one reference)
//!   while non-null and reported to the GC by `m_traverse`.
//! * Each ready state holds one clone of the process-wide [`crate::shared`] `Arc`, and
//!   [`LIVE_STATES`] counts ready states process-wide: both fall back when interpreters are
//!   destroyed, which is how the tests prove that states are freed.

use std::ffi::{c_int, c_void};
use std::mem::{align_of, size_of, MaybeUninit};
use std::ptr::null_mut;

use ftlab::sync::{Arc, AtomicI64, AtomicPtr, AtomicUsize, Ordering};
use pyo3_ffi as ffi;

use crate::capi::{raise, ErrorSet, Owned, PyPtr};
use crate::shared::{self, Lexicon};

/// Everything one module object (one interpreter) owns.
pub struct ModuleState {
    /// The per-interpreter counter (`counter_add` / `counter_value`).
    pub counter: AtomicI64,
    /// This interpreter's `ftlab_isolated.PanicException` (a heap type created in exec).
    pub panic_exception: AtomicPtr<ffi::PyObject>,
    /// The ID of the interpreter that executed this module object.
    pub interpreter_id: i64,
    /// This state's handle on the process-wide immutable lexicon.
    pub lexicon: Arc<Lexicon>,
}

/// The raw layout of the module state memory CPython allocates (zero-initialised).
#[repr(C)]
pub struct StateSlot {
    ready: bool,
    state: MaybeUninit<ModuleState>,
}

/// `m_size` of the module definition.
pub const STATE_SIZE: ffi::Py_ssize_t = size_of::<StateSlot>() as ffi::Py_ssize_t;

// CPython's allocators align to at least 8 bytes (16 on 64-bit); the slot must not need more.
const _: () = assert!(align_of::<StateSlot>() <= 8);

/// Number of ready module states in the process (all interpreters).
pub static LIVE_STATES: AtomicUsize = AtomicUsize::new(0);

/// The slot of `module`, or NULL if CPython has none (never for our module: `m_size > 0`).
///
/// # Safety
/// The thread must be attached; `module` must be a module object.
unsafe fn slot(module: PyPtr) -> *mut StateSlot {
    // SAFETY: attached, module object (caller's contract).
    unsafe { ffi::PyModule_GetState(module).cast::<StateSlot>() }
}

/// The ready state of `module`, or None if it has none (not yet executed, or freed).
///
/// # Safety
/// The thread must be attached; `module` must be an `ftlab_isolated` module object, and the
/// returned reference must not outlive the caller's reference to `module`.
unsafe fn ready<'a>(module: PyPtr) -> Option<&'a ModuleState> {
    // SAFETY: the slot belongs to `module`, which the caller keeps alive; when `ready` is
    // true the state was fully written by exec and is only dropped by `m_free`, which cannot
    // run while the caller holds a reference. Shared access is sound: all interior
    // mutability is atomic.
    unsafe {
        let s = slot(module);
        if s.is_null() || !(*s).ready {
            return None;
        }
        Some((*s).state.assume_init_ref())
    }
}

/// The ready state of `module`, or a `SystemError` if it has none.
///
/// # Safety
/// As for [`ready`].
pub unsafe fn get<'a>(module: PyPtr) -> Result<&'a ModuleState, ErrorSet> {
    // SAFETY: the caller's contract is `ready`'s; attached, so raising is allowed.
    unsafe {
        ready(module).ok_or_else(|| {
            raise(
                ffi::PyExc_SystemError,
                "ftlab_isolated: module state is not initialised",
            )
        })
    }
}

/// `Py_mod_exec`: fill the module object of the importing interpreter.
///
/// # Safety
/// Called by CPython, attached, with a new module object created from our definition.
pub unsafe extern "C" fn module_exec(module: PyPtr) -> c_int {
    let result = std::panic::catch_unwind(|| {
        // SAFETY: attached; `module` is ours and not yet visible to other threads.
        unsafe { exec(module) }
    });
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(ErrorSet)) => -1,
        Err(payload) => {
            let msg = crate::capi::panic_message(payload.as_ref());
            // SAFETY: attached; CPython's static SystemError class.
            unsafe {
                raise(
                    ffi::PyExc_SystemError,
                    &format!("ftlab_isolated exec panicked: {msg}"),
                )
            };
            -1
        }
    }
}

/// The body of [`module_exec`].
///
/// # Safety
/// As for `module_exec`.
unsafe fn exec(module: PyPtr) -> Result<(), ErrorSet> {
    // SAFETY (whole body): attached; `module` is a fresh module object made from our
    // definition, so its state slot is `m_size` zeroed bytes that nobody else can reach yet.
    unsafe {
        let s = slot(module);
        if s.is_null() {
            return Err(raise(
                ffi::PyExc_SystemError,
                "ftlab_isolated: no module state",
            ));
        }
        if (*s).ready {
            // Exec ran twice on one module (only possible through misuse of the C API).
            return Ok(());
        }
        let interp = ffi::PyInterpreterState_Get();
        let interpreter_id = ffi::PyInterpreterState_GetID(interp);
        if interpreter_id < 0 {
            return Err(ErrorSet);
        }
        // A new heap type per interpreter: PyO3 keeps its PanicException in a static.
        let panic_exception = ffi::PyErr_NewExceptionWithDoc(
            c"ftlab_isolated.PanicException".as_ptr(),
            c"A Rust panic inside ftlab_isolated (one class per interpreter; a BaseException,\n\
like PyO3's PanicException, so `except Exception` does not swallow it)."
                .as_ptr(),
            ffi::PyExc_BaseException,
            null_mut(),
        );
        if panic_exception.is_null() {
            return Err(ErrorSet);
        }
        (*s).state.write(ModuleState {
            counter: AtomicI64::new(0),
            panic_exception: AtomicPtr::new(panic_exception),
            interpreter_id,
            lexicon: shared::lexicon(interpreter_id),
        });
        (*s).ready = true;
        LIVE_STATES.fetch_add(1, Ordering::SeqCst);

        // Module attributes. On failure the state stays ready and `m_free` releases it.
        if ffi::compat::PyModule_AddObjectRef(module, c"PanicException".as_ptr(), panic_exception)
            < 0
        {
            return Err(ErrorSet);
        }
        let version = concat!(env!("CARGO_PKG_VERSION"), "\0");
        if ffi::PyModule_AddStringConstant(module, c"__version__".as_ptr(), version.as_ptr().cast())
            < 0
        {
            return Err(ErrorSet);
        }
        // `__all__`, so the package's `from .ftlab_isolated import *` re-exports exactly these.
        let all = Owned::new(ffi::PyList_New(0))?;
        for name in EXPORTS {
            let item = Owned::new(ffi::PyUnicode_FromString(name.as_ptr()))?;
            if ffi::PyList_Append(all.as_ptr(), item.as_ptr()) < 0 {
                return Err(ErrorSet);
            }
        }
        if ffi::compat::PyModule_AddObjectRef(module, c"__all__".as_ptr(), all.as_ptr()) < 0 {
            return Err(ErrorSet);
        }
        Ok(())
    }
}

/// The public names of the module (its `__all__`).
const EXPORTS: [&std::ffi::CStr; 11] = [
    c"__version__",
    c"PanicException",
    c"word_count",
    c"sum_of_squares",
    c"counter_add",
    c"counter_value",
    c"interpreter_id",
    c"shared_lookup",
    c"shared_info",
    c"live_module_states",
    c"trigger_panic",
];

/// `m_traverse`: report the Python objects the state owns to the cyclic GC.
///
/// # Safety
/// Called by CPython's GC with a module object made from our definition.
pub unsafe extern "C" fn module_traverse(
    module: PyPtr,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: the GC calls us attached, on a live module; a ready slot holds a valid state.
    unsafe {
        let Some(state) = ready(module) else {
            return 0;
        };
        let exc = state.panic_exception.load(Ordering::Acquire);
        if !exc.is_null() {
            let r = visit(exc, arg);
            if r != 0 {
                return r;
            }
        }
    }
    0
}

/// `m_clear`: drop the Python references the state owns (breaks cycles). Rust data stays
/// until `m_free`.
///
/// # Safety
/// Called by CPython (GC or module deallocation) with a module object made from our
/// definition.
pub unsafe extern "C" fn module_clear(module: PyPtr) -> c_int {
    // SAFETY: attached; a ready slot holds a valid state. `swap` hands the one owned
    // reference to exactly one caller, so it is released once.
    unsafe {
        let Some(state) = ready(module) else {
            return 0;
        };
        let exc = state.panic_exception.swap(null_mut(), Ordering::AcqRel);
        ffi::Py_XDECREF(exc);
    }
    0
}

/// `m_free`: release everything the state owns; called once, when the module object is
/// deallocated (e.g. when its sub-interpreter is destroyed).
///
/// # Safety
/// Called by CPython with a module object made from our definition.
pub unsafe extern "C" fn module_free(module: *mut c_void) {
    let module = module.cast::<ffi::PyObject>();
    // SAFETY: attached; nobody else holds a reference to the module any more, so we own the
    // state exclusively and may drop it. `ready` is cleared first so no later call sees it.
    unsafe {
        module_clear(module);
        let s = slot(module);
        if s.is_null() || !(*s).ready {
            return;
        }
        (*s).ready = false;
        (*s).state.assume_init_drop();
        LIVE_STATES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The `PanicException` of `module`'s interpreter (borrowed), or NULL.
///
/// # Safety
/// The thread must be attached; `module` must be an `ftlab_isolated` module object.
pub unsafe fn panic_exception(module: PyPtr) -> PyPtr {
    // SAFETY: as in `ready`; a missing state just yields NULL (caller falls back).
    unsafe { ready(module) }.map_or(null_mut(), |state| {
        state.panic_exception.load(Ordering::Acquire)
    })
}

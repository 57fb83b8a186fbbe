//! The C-API boundary helpers: raising errors, parsing vectorcall arguments, converting
//! Rust panics into Python exceptions, and running Rust code detached from the interpreter.
//!
//! Invariants every caller relies on:
//! * A [`CallResult`] `Err(ErrorSet)` means a Python exception *is set* on this thread; an
//!   `Ok(ptr)` carries a new (owned) reference. [`entry`] turns the pair into CPython's
//!   convention (`NULL` + exception, or a new reference).
//! * No panic unwinds into C: [`entry`] catches it and raises the calling interpreter's
//!   `ftlab_isolated.PanicException`; [`detached`] re-attaches before letting a panic go on.
//! * [`detached`] requires its closure and result to be `Send`: raw `PyObject` pointers are
//!   not, so code that runs without an attached thread state cannot touch a Python object.

use std::any::Any;
use std::ffi::{CStr, CString};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

use pyo3_ffi as ffi;

/// A borrowed or owned `PyObject` pointer (ownership is stated where it is produced).
pub type PyPtr = *mut ffi::PyObject;

/// Marker: a Python exception has been set on the current thread.
#[derive(Debug)]
pub struct ErrorSet;

/// The result of a Python-callable body: a new reference, or an exception that is set.
pub type CallResult = Result<PyPtr, ErrorSet>;

/// Sets `exc` (a borrowed exception class) with `msg`; returns the marker for `Err(..)`.
///
/// # Safety
/// The thread must be attached; `exc` must be an exception class.
pub unsafe fn raise(exc: PyPtr, msg: &str) -> ErrorSet {
    let msg = CString::new(msg.replace('\0', "\\0")).expect("NULs were escaped");
    // SAFETY: attached (caller's contract); both pointers are valid for the call.
    unsafe { ffi::PyErr_SetString(exc, msg.as_ptr()) };
    ErrorSet
}

/// `Err(ErrorSet)` if `ptr` is NULL (CPython then has set an exception), else `Ok(ptr)`.
pub fn check(ptr: PyPtr) -> CallResult {
    if ptr.is_null() {
        Err(ErrorSet)
    } else {
        Ok(ptr)
    }
}

/// The name of `obj`'s type, for error messages.
///
/// # Safety
/// The thread must be attached; `obj` must be a valid object.
pub unsafe fn type_name(obj: PyPtr) -> String {
    // SAFETY: `obj` is valid, so its type is; `tp_name` is a NUL-terminated C string owned by
    // the type, which `obj` keeps alive for the duration of this call.
    unsafe {
        let tp = ffi::Py_TYPE(obj);
        CStr::from_ptr((*tp).tp_name)
            .to_string_lossy()
            .rsplit('.')
            .next()
            .unwrap_or("?")
            .to_owned()
    }
}

/// Borrows the UTF-8 contents of a `str` object.
///
/// # Safety
/// The thread must be attached, `obj` must be a `str`, and the returned slice must not be
/// used after the caller's reference to `obj` is released (the `'a` lifetime is the caller's
/// promise to keep `obj` alive).
pub unsafe fn str_utf8<'a>(obj: PyPtr) -> Result<&'a str, ErrorSet> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: attached, `obj` is a str. CPython caches the UTF-8 form inside the (immutable)
    // str object, so the bytes live as long as `obj`; on 3.13t creating that cache is
    // thread-safe. CPython's UTF-8 encoder is strict (lone surrogates raise
    // UnicodeEncodeError instead), so the bytes are valid UTF-8.
    unsafe {
        let data = ffi::PyUnicode_AsUTF8AndSize(obj, &mut size);
        if data.is_null() {
            return Err(ErrorSet);
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
        Ok(std::str::from_utf8_unchecked(bytes))
    }
}

/// Parses `fn_name(<positional...>, *, <keyword-only...>)` from a vectorcall: positional
/// parameters may also be passed by keyword. Returns one borrowed pointer (or `None` when not
/// given) per parameter, positional ones first. `required` says how many leading positional
/// parameters must be present.
///
/// # Safety
/// The thread must be attached; `args`, `nargs` and `kwnames` must be exactly what CPython
/// passed to a `METH_FASTCALL | METH_KEYWORDS` function.
pub unsafe fn parse_args<const N: usize>(
    fn_name: &str,
    args: *const PyPtr,
    nargs: ffi::Py_ssize_t,
    kwnames: PyPtr,
    positional: &[&str],
    required: usize,
    keyword_only: &[&str],
) -> Result<[Option<PyPtr>; N], ErrorSet> {
    debug_assert_eq!(positional.len() + keyword_only.len(), N);
    let mut out: [Option<PyPtr>; N] = [None; N];
    let nargs = nargs as usize;
    // SAFETY (whole body): `args` holds `nargs` positional arguments followed by one value per
    // entry of the `kwnames` tuple (CPython's vectorcall convention); the exception classes
    // are CPython's static built-ins.
    unsafe {
        if nargs > positional.len() {
            let takes = match positional.len() {
                1 => "1 positional argument".to_owned(),
                n => format!("{n} positional arguments"),
            };
            return Err(raise(
                ffi::PyExc_TypeError,
                &format!("{fn_name}() takes {takes} but {nargs} were given"),
            ));
        }
        for (i, slot) in out.iter_mut().enumerate().take(nargs) {
            *slot = Some(*args.add(i));
        }
        let nkw = if kwnames.is_null() {
            0
        } else {
            ffi::PyTuple_GET_SIZE(kwnames) as usize
        };
        for k in 0..nkw {
            let name = str_utf8(ffi::PyTuple_GET_ITEM(kwnames, k as ffi::Py_ssize_t))?;
            let value = *args.add(nargs + k);
            let index = positional
                .iter()
                .chain(keyword_only)
                .position(|p| *p == name);
            let Some(j) = index else {
                return Err(raise(
                    ffi::PyExc_TypeError,
                    &format!("{fn_name}() got an unexpected keyword argument '{name}'"),
                ));
            };
            if out[j].is_some() {
                return Err(raise(
                    ffi::PyExc_TypeError,
                    &format!("{fn_name}() got multiple values for argument '{name}'"),
                ));
            }
            out[j] = Some(value);
        }
        if let Some(missing) = positional[..required]
            .iter()
            .zip(&out)
            .find_map(|(p, v)| v.is_none().then_some(p))
        {
            return Err(raise(
                ffi::PyExc_TypeError,
                &format!("{fn_name}() missing required argument '{missing}'"),
            ));
        }
    }
    Ok(out)
}

/// Truth value of an optional argument (`default` when absent).
///
/// # Safety
/// The thread must be attached; `obj`, if given, must be a valid object.
pub unsafe fn flag(obj: Option<PyPtr>, default: bool) -> Result<bool, ErrorSet> {
    match obj {
        None => Ok(default),
        // SAFETY: attached, valid object.
        Some(o) => match unsafe { ffi::PyObject_IsTrue(o) } {
            -1 => Err(ErrorSet),
            v => Ok(v != 0),
        },
    }
}

/// Runs `f` with the thread detached from the interpreter (the GIL released on a GIL build,
/// the thread state detached on 3.13t), so other threads of this interpreter run meanwhile
/// and a stop-the-world pause never waits for us. A panic inside `f` is carried across the
/// re-attach and resumed afterwards (so [`entry`] can turn it into an exception).
///
/// The `Send` bounds keep Python objects out: a `PyPtr` is not `Send`, so `f` can only
/// capture plain Rust data (e.g. a `&str` borrowed from a str the caller keeps alive).
pub fn detached<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    // SAFETY: every caller runs inside a Python call, i.e. attached; `PyEval_SaveThread`
    // detaches and returns the thread state that `PyEval_RestoreThread` re-attaches, on this
    // same thread, before anything else touches the C API.
    let saved = unsafe { ffi::PyEval_SaveThread() };
    let outcome = catch_unwind(AssertUnwindSafe(f));
    unsafe { ffi::PyEval_RestoreThread(saved) };
    outcome.unwrap_or_else(|payload| resume_unwind(payload))
}

/// Runs `f` detached when `detach` is true, attached otherwise.
pub fn maybe_detached<T: Send>(detach: bool, f: impl FnOnce() -> T + Send) -> T {
    if detach {
        detached(f)
    } else {
        f()
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Rust panic with a non-string payload".to_owned()
    }
}

/// The one entry path for every Python-callable function: runs `body`, converts
/// `Err(ErrorSet)` to `NULL`, and turns a Rust panic into `panic_exception` (the calling
/// interpreter's `PanicException`, or `SystemError` if it cannot be found).
///
/// # Safety
/// The thread must be attached (CPython calls our functions attached).
pub unsafe fn entry(
    panic_exception: impl FnOnce() -> PyPtr,
    body: impl FnOnce() -> CallResult,
) -> PyPtr {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(obj)) => obj,
        Ok(Err(ErrorSet)) => null_mut(),
        Err(payload) => {
            let msg = panic_message(payload.as_ref());
            let mut exc = panic_exception();
            if exc.is_null() {
                // SAFETY: CPython's static built-in exception class.
                exc = unsafe { ffi::PyExc_SystemError };
            }
            // SAFETY: attached (caller's contract); `exc` is an exception class.
            unsafe { raise(exc, &msg) };
            null_mut()
        }
    }
}

/// An owned reference, released on drop. Only ever created and dropped while attached.
pub struct Owned(PyPtr);

impl Owned {
    /// Takes ownership of a new reference, or reports the exception CPython set for NULL.
    pub fn new(ptr: PyPtr) -> Result<Owned, ErrorSet> {
        check(ptr).map(Owned)
    }
    /// The borrowed pointer.
    pub fn as_ptr(&self) -> PyPtr {
        self.0
    }
    /// Gives the reference to the caller (for returning it to CPython).
    pub fn into_ptr(self) -> PyPtr {
        let p = self.0;
        std::mem::forget(self);
        p
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: `Owned` holds exactly one reference, and every `Owned` lives inside a
        // Python call on an attached thread (it is not `Send`, so it cannot enter a
        // `detached` closure).
        unsafe { ffi::Py_DECREF(self.0) }
    }
}

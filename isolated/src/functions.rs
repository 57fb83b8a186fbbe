//! The module's Python-callable functions and their method table.
//!
//! Every function is a plain `PyCFunction` bound to its own module object (`self`), which is
//! how it finds the state of the interpreter it runs in (`state::get`). Each body returns a
//! [`CallResult`] and is wrapped by [`capi::entry`], so errors become `NULL` + exception and
//! panics become the interpreter's `PanicException`.
//!
//! The kernels are ftlab's own (`ftlab::core::wordcount`, `ftlab::core::kernels`), so this
//! module and `ftlab` compute with literally the same code. What a detached kernel reads is
//! plain Rust data that no Python thread can change meanwhile, by the same rules as
//! `src/py/parallel.rs`: the UTF-8 of a `str` is *borrowed* (the str is immutable and the
//! caller's argument keeps it alive), a buffer is *copied* while attached by CPython's
//! `PyBuffer_ToContiguous` (a Rust `&[f64]` over memory another thread may write would be a
//! data race; the copy races like Python's own `list(arr)` would, inside CPython, and the
//! export keeps the memory allocated while it runs).

use std::collections::HashMap;
use std::ffi::CStr;

use ftlab::sync::{Arc, Ordering};
use pyo3_ffi as ffi;

use crate::capi::{
    self, check, flag, maybe_detached, parse_args, raise, type_name, CallResult, ErrorSet, Owned,
    PyPtr,
};
use crate::shared;
use crate::state;
use ftlab::core::{kernels, wordcount};

/// Wraps a body of signature `(module, args, nargs, kwnames)` as a FASTCALL|KEYWORDS entry.
macro_rules! fastcall {
    ($name:ident => $body:path) => {
        unsafe extern "C" fn $name(
            module: PyPtr,
            args: *const PyPtr,
            nargs: ffi::Py_ssize_t,
            kwnames: PyPtr,
        ) -> PyPtr {
            // SAFETY: CPython calls us attached with a valid vectorcall argument frame and
            // our own module as `self`.
            unsafe {
                capi::entry(
                    || state::panic_exception(module),
                    || $body(module, args, nargs, kwnames),
                )
            }
        }
    };
}

/// Wraps a body of signature `(module)` as a NOARGS entry.
macro_rules! noargs {
    ($name:ident => $body:path) => {
        unsafe extern "C" fn $name(module: PyPtr, _unused: PyPtr) -> PyPtr {
            // SAFETY: CPython calls us attached with our own module as `self`.
            unsafe { capi::entry(|| state::panic_exception(module), || $body(module)) }
        }
    };
}

fastcall!(word_count_entry => word_count);
fastcall!(sum_of_squares_entry => sum_of_squares);
fastcall!(counter_add_entry => counter_add);
fastcall!(shared_lookup_entry => shared_lookup);
fastcall!(trigger_panic_entry => trigger_panic);
noargs!(counter_value_entry => counter_value);
noargs!(interpreter_id_entry => interpreter_id);
noargs!(shared_info_entry => shared_info);
noargs!(live_module_states_entry => live_module_states);

/// The arguments of a kernel function, `name(arg, *, parallel=False, detach=True)` (both
/// kernels take them): the required argument and the two flags.
///
/// # Safety
/// Attached, with a valid vectorcall argument frame (see `fastcall!`).
unsafe fn kernel_args(
    fn_name: &str,
    arg: &str,
    args: *const PyPtr,
    nargs: ffi::Py_ssize_t,
    kwnames: PyPtr,
) -> Result<(PyPtr, bool, bool), ErrorSet> {
    // SAFETY: the caller's contract.
    unsafe {
        let [value, parallel, detach] = parse_args::<3>(
            fn_name,
            args,
            nargs,
            kwnames,
            &[arg],
            1,
            &["parallel", "detach"],
        )?;
        Ok((
            value.expect("required"),
            flag(parallel, false)?,
            flag(detach, true)?,
        ))
    }
}

/// The UTF-8 of the `str` argument `arg` of `fn_name`, or a TypeError naming both.
///
/// # Safety
/// Attached; `obj` is valid, and the caller keeps it alive for `'a` (see `capi::str_utf8`).
unsafe fn str_arg<'a>(fn_name: &str, arg: &str, obj: PyPtr) -> Result<&'a str, ErrorSet> {
    // SAFETY: the caller's contract; `str_utf8` is only called on a str.
    unsafe {
        if ffi::PyUnicode_Check(obj) == 0 {
            return Err(raise(
                ffi::PyExc_TypeError,
                &format!(
                    "{fn_name}() argument '{arg}' must be str, not {}",
                    type_name(obj)
                ),
            ));
        }
        capi::str_utf8(obj)
    }
}

/// `word_count(text, *, parallel=False, detach=True) -> dict[str, int]`
unsafe fn word_count(
    _module: PyPtr,
    args: *const PyPtr,
    nargs: ffi::Py_ssize_t,
    kwnames: PyPtr,
) -> CallResult {
    // SAFETY (whole body): attached, valid frame (see `fastcall!`); `text` is borrowed from
    // the caller's argument frame, which outlives this call, so its UTF-8 view stays valid
    // while the kernel runs detached.
    unsafe {
        let (text, parallel, detach) = kernel_args("word_count", "text", args, nargs, kwnames)?;
        let utf8 = str_arg("word_count", "text", text)?;
        let counts: HashMap<&str, usize> = maybe_detached(detach, || {
            if parallel {
                wordcount::word_count_parallel(utf8)
            } else {
                wordcount::word_count(utf8)
            }
        });
        let dict = Owned::new(ffi::PyDict_New())?;
        for (word, n) in counts {
            let key = Owned::new(ffi::PyUnicode_FromStringAndSize(
                word.as_ptr().cast(),
                word.len() as ffi::Py_ssize_t,
            ))?;
            let value = Owned::new(ffi::PyLong_FromSize_t(n))?;
            if ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), value.as_ptr()) < 0 {
                return Err(ErrorSet);
            }
        }
        Ok(dict.into_ptr())
    }
}

/// A buffer export, released on drop (attached).
struct BufferExport {
    view: ffi::Py_buffer,
}

impl Drop for BufferExport {
    fn drop(&mut self) {
        // SAFETY: we own this export; `BufferExport` holds raw pointers (not `Send`), so it never
        // enters a detached closure and is dropped attached.
        unsafe { ffi::PyBuffer_Release(&mut self.view) }
    }
}

/// Copies a float64 buffer (any layout CPython can make contiguous) into a Vec, attached.
///
/// # Safety
/// The thread must be attached; `obj` must support the buffer protocol.
unsafe fn copy_float64_buffer(obj: PyPtr) -> Result<Vec<f64>, ErrorSet> {
    let mut view = ffi::Py_buffer::new();
    // SAFETY: attached; `view` is a valid out-parameter. On success we own the export (released
    // by `BufferExport`'s drop). `PyBuffer_ToContiguous` writes exactly `view.len` bytes, which
    // is the size of `copy` (n f64s, n = len / 8, len checked to be a multiple of 8).
    unsafe {
        if ffi::PyObject_GetBuffer(obj, &mut view, ffi::PyBUF_RECORDS_RO) < 0 {
            ffi::PyErr_Clear();
            return Err(raise(
                ffi::PyExc_TypeError,
                &format!(
                    "sum_of_squares() cannot read this {} as a strided buffer",
                    type_name(obj)
                ),
            ));
        }
        let mut export = BufferExport { view };
        let format = if export.view.format.is_null() {
            "B".to_owned()
        } else {
            std::ffi::CStr::from_ptr(export.view.format)
                .to_string_lossy()
                .into_owned()
        };
        let native_f64 = matches!(format.as_str(), "d" | "@d" | "=d")
            || (cfg!(target_endian = "little") && format == "<d")
            || (cfg!(target_endian = "big") && format == ">d");
        if !native_f64 || export.view.itemsize != 8 || export.view.len % 8 != 0 {
            return Err(raise(
                ffi::PyExc_TypeError,
                &format!(
                    "sum_of_squares() needs float64 items (buffer format 'd'), got format '{format}' with itemsize {}",
                    export.view.itemsize
                ),
            ));
        }
        let n = export.view.len as usize / 8;
        let mut copy = vec![0.0f64; n];
        if n > 0
            && ffi::PyBuffer_ToContiguous(
                copy.as_mut_ptr().cast(),
                std::ptr::addr_of_mut!(export.view), // `*mut` before 3.10, `*const` after
                export.view.len,
                b'C' as std::ffi::c_char,
            ) < 0
        {
            return Err(ErrorSet);
        }
        Ok(copy)
    }
}

/// Collects an iterable of floats (anything `float()` accepts through `__float__` or
/// `__index__`) into a Vec, attached.
///
/// # Safety
/// The thread must be attached; `obj` must be a valid object.
unsafe fn collect_floats(obj: PyPtr) -> Result<Vec<f64>, ErrorSet> {
    // SAFETY: attached; every pointer comes from CPython and is owned by an `Owned`.
    unsafe {
        let iter = ffi::PyObject_GetIter(obj);
        if iter.is_null() {
            if ffi::PyErr_ExceptionMatches(ffi::PyExc_TypeError) != 0 {
                ffi::PyErr_Clear();
                return Err(raise(
                    ffi::PyExc_TypeError,
                    &format!(
                        "sum_of_squares() expected a float64 buffer or an iterable of floats, not {}",
                        type_name(obj)
                    ),
                ));
            }
            return Err(ErrorSet);
        }
        let iter = Owned::new(iter)?;
        let mut out = Vec::new();
        if ffi::PyList_Check(obj) != 0 || ffi::PyTuple_Check(obj) != 0 {
            out.reserve(ffi::PyObject_Size(obj).max(0) as usize);
        }
        loop {
            let item = ffi::PyIter_Next(iter.as_ptr());
            if item.is_null() {
                if !ffi::PyErr_Occurred().is_null() {
                    return Err(ErrorSet);
                }
                return Ok(out);
            }
            let item = Owned::new(item)?;
            let x = ffi::PyFloat_AsDouble(item.as_ptr());
            if x == -1.0 && !ffi::PyErr_Occurred().is_null() {
                if ffi::PyErr_ExceptionMatches(ffi::PyExc_TypeError) != 0 {
                    ffi::PyErr_Clear();
                    return Err(raise(
                        ffi::PyExc_TypeError,
                        &format!(
                            "sum_of_squares() expected floats, item {} is {}",
                            out.len(),
                            type_name(item.as_ptr())
                        ),
                    ));
                }
                return Err(ErrorSet);
            }
            out.push(x);
        }
    }
}

/// `sum_of_squares(data, *, parallel=False, detach=True) -> float`
unsafe fn sum_of_squares(
    _module: PyPtr,
    args: *const PyPtr,
    nargs: ffi::Py_ssize_t,
    kwnames: PyPtr,
) -> CallResult {
    // SAFETY (whole body): attached, valid frame; `data` is borrowed from the caller's frame.
    unsafe {
        let (data, parallel, detach) = kernel_args("sum_of_squares", "data", args, nargs, kwnames)?;
        let values = if ffi::PyObject_CheckBuffer(data) != 0 {
            copy_float64_buffer(data)?
        } else {
            collect_floats(data)?
        };
        let total = maybe_detached(detach, || {
            if parallel {
                kernels::sum_of_squares_parallel(&values)
            } else {
                kernels::sum_of_squares(&values)
            }
        });
        check(ffi::PyFloat_FromDouble(total))
    }
}

/// `counter_add(delta=1) -> int`
unsafe fn counter_add(
    module: PyPtr,
    args: *const PyPtr,
    nargs: ffi::Py_ssize_t,
    kwnames: PyPtr,
) -> CallResult {
    // SAFETY: attached, valid frame.
    unsafe {
        let [delta] = parse_args::<1>("counter_add", args, nargs, kwnames, &["delta"], 0, &[])?;
        let delta = match delta {
            None => 1,
            Some(d) => {
                if ffi::PyLong_Check(d) == 0 {
                    return Err(raise(
                        ffi::PyExc_TypeError,
                        &format!(
                            "counter_add() argument 'delta' must be int, not {}",
                            type_name(d)
                        ),
                    ));
                }
                let v = ffi::PyLong_AsLongLong(d);
                if v == -1 && !ffi::PyErr_Occurred().is_null() {
                    ffi::PyErr_Clear();
                    return Err(raise(
                        ffi::PyExc_OverflowError,
                        "counter_add() delta does not fit in 64 bits",
                    ));
                }
                v
            }
        };
        let st = state::get(module)?;
        match st
            .counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                v.checked_add(delta)
            }) {
            Ok(old) => check(ffi::PyLong_FromLongLong(old + delta)),
            Err(_) => Err(raise(
                ffi::PyExc_OverflowError,
                "counter_add() would overflow the 64-bit counter",
            )),
        }
    }
}

/// `counter_value() -> int`
unsafe fn counter_value(module: PyPtr) -> CallResult {
    // SAFETY: attached; `module` is ours.
    unsafe {
        check(ffi::PyLong_FromLongLong(
            state::get(module)?.counter.load(Ordering::Acquire),
        ))
    }
}

/// `interpreter_id() -> int`
unsafe fn interpreter_id(module: PyPtr) -> CallResult {
    // SAFETY: attached; `module` is ours.
    unsafe { check(ffi::PyLong_FromLongLong(state::get(module)?.interpreter_id)) }
}

/// `live_module_states() -> int`
unsafe fn live_module_states(_module: PyPtr) -> CallResult {
    // SAFETY: attached.
    unsafe {
        check(ffi::PyLong_FromSize_t(
            state::LIVE_STATES.load(Ordering::SeqCst),
        ))
    }
}

/// `shared_lookup(word) -> int | None`
unsafe fn shared_lookup(
    module: PyPtr,
    args: *const PyPtr,
    nargs: ffi::Py_ssize_t,
    kwnames: PyPtr,
) -> CallResult {
    // SAFETY: attached, valid frame; `word`'s UTF-8 is only used during the lookup.
    unsafe {
        let [word] = parse_args::<1>("shared_lookup", args, nargs, kwnames, &["word"], 1, &[])?;
        let word = str_arg("shared_lookup", "word", word.expect("required"))?;
        match state::get(module)?.lexicon.get(word) {
            Some(n) => check(ffi::PyLong_FromUnsignedLongLong(n)),
            None => {
                ffi::Py_IncRef(ffi::Py_None());
                Ok(ffi::Py_None())
            }
        }
    }
}

/// Sets `dict[key] = value` (value is a new reference, consumed).
///
/// # Safety
/// Attached; `dict` is a dict.
unsafe fn set_item(dict: &Owned, key: &std::ffi::CStr, value: PyPtr) -> Result<(), ErrorSet> {
    // SAFETY: attached; `value` is a new reference (or NULL with an exception set).
    unsafe {
        let value = Owned::new(value)?;
        if ffi::PyDict_SetItemString(dict.as_ptr(), key.as_ptr(), value.as_ptr()) < 0 {
            return Err(ErrorSet);
        }
    }
    Ok(())
}

/// `shared_info() -> dict`
unsafe fn shared_info(module: PyPtr) -> CallResult {
    // SAFETY: attached; `module` is ours.
    unsafe {
        let st = state::get(module)?;
        let lexicon = &st.lexicon;
        let dict = Owned::new(ffi::PyDict_New())?;
        set_item(
            &dict,
            c"address",
            ffi::PyLong_FromSize_t(Arc::as_ptr(lexicon) as usize),
        )?;
        set_item(
            &dict,
            c"strong_count",
            ffi::PyLong_FromSize_t(Arc::strong_count(lexicon)),
        )?;
        set_item(
            &dict,
            c"build_count",
            ffi::PyLong_FromSize_t(shared::build_count()),
        )?;
        set_item(&dict, c"entries", ffi::PyLong_FromSize_t(lexicon.len()))?;
        set_item(
            &dict,
            c"built_by_interpreter",
            ffi::PyLong_FromLongLong(lexicon.built_by_interpreter),
        )?;
        Ok(dict.into_ptr())
    }
}

/// `trigger_panic(where) -> NoReturn`
unsafe fn trigger_panic(
    _module: PyPtr,
    args: *const PyPtr,
    nargs: ffi::Py_ssize_t,
    kwnames: PyPtr,
) -> CallResult {
    // SAFETY: attached, valid frame.
    unsafe {
        let [place] = parse_args::<1>("trigger_panic", args, nargs, kwnames, &["where"], 1, &[])?;
        match str_arg("trigger_panic", "where", place.expect("required"))? {
            "attached" => panic!("ftlab_isolated: deliberate panic (attached)"),
            "detached" => {
                capi::detached::<()>(|| panic!("ftlab_isolated: deliberate panic (detached)"));
                unreachable!("the detached closure always panics")
            }
            other => Err(raise(
                ffi::PyExc_ValueError,
                &format!("trigger_panic() where must be 'attached' or 'detached', not {other:?}"),
            )),
        }
    }
}

/// A `METH_FASTCALL | METH_KEYWORDS` entry of the method table (`doc` starts with the
/// `__text_signature__` line).
const fn fastcall_def(
    name: &'static CStr,
    meth: ffi::PyCFunctionFastWithKeywords,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: meth,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }
}

/// A `METH_NOARGS` entry of the method table (`doc` starts with the `__text_signature__` line).
const fn noargs_def(
    name: &'static CStr,
    meth: ffi::PyCFunction,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunction: meth },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: doc.as_ptr(),
    }
}

/// The method table (see the `SLOTS` comment in `lib.rs` for why a `static mut` is sound).
pub static mut METHODS: [ffi::PyMethodDef; 10] = [
    fastcall_def(
        c"word_count",
        word_count_entry,
        c"word_count($module, text, *, parallel=False, detach=True)\n--\n\n\
Count the words of `text`, split like `str.split()`: the same result as\n\
`collections.Counter(text.split())`, as a plain dict (ftlab's kernel). `parallel=True`\n\
counts chunks on rayon's pool. With `detach=True` (the default) the counting runs detached\n\
from the interpreter (its GIL released), so other threads of this interpreter run meanwhile.",
    ),
    fastcall_def(
        c"sum_of_squares",
        sum_of_squares_entry,
        c"sum_of_squares($module, data, *, parallel=False, detach=True)\n--\n\n\
Sum of x*x over `data`: a buffer of native float64 (`array('d')`, a memoryview of one,\n\
strided or not; copied while attached) or any iterable of real numbers (ftlab's kernel;\n\
`parallel=True` is bit-identical). With `detach=True` (the default) the sum runs detached\n\
from the interpreter. TypeError for a buffer of another format or other objects.",
    ),
    fastcall_def(
        c"counter_add",
        counter_add_entry,
        c"counter_add($module, delta=1)\n--\n\n\
Add `delta` to this module object's counter (one per interpreter) and return the new\n\
value. Atomic, so threads of one interpreter on 3.13t never lose an update.",
    ),
    noargs_def(
        c"counter_value",
        counter_value_entry,
        c"counter_value($module, /)\n--\n\n\
The current value of this module object's (this interpreter's) counter.",
    ),
    noargs_def(
        c"interpreter_id",
        interpreter_id_entry,
        c"interpreter_id($module, /)\n--\n\n\
The ID of the interpreter that imported (executed) this module object; 0 for the main\n\
interpreter.",
    ),
    fastcall_def(
        c"shared_lookup",
        shared_lookup_entry,
        c"shared_lookup($module, word)\n--\n\n\
Frequency of `word` in the process-wide, immutable Rust lexicon (shared by every\n\
interpreter through one Arc), or None if absent. Words are 'w00000' .. 'w49999'.",
    ),
    noargs_def(
        c"shared_info",
        shared_info_entry,
        c"shared_info($module, /)\n--\n\n\
Facts about the shared lexicon: 'address' (of the Arc'd data: the same in every\n\
interpreter), 'strong_count' (1 + number of live module states holding it),\n\
'build_count' (1: built once per process), 'entries', 'built_by_interpreter'.",
    ),
    noargs_def(
        c"live_module_states",
        live_module_states_entry,
        c"live_module_states($module, /)\n--\n\n\
Number of initialised ftlab_isolated module states in the whole process (all\n\
interpreters). Falls back when a sub-interpreter is destroyed and its module freed.",
    ),
    fastcall_def(
        c"trigger_panic",
        trigger_panic_entry,
        c"trigger_panic($module, where)\n--\n\n\
Panic in Rust, `where` in {'attached', 'detached'}; raises this interpreter's\n\
ftlab_isolated.PanicException (never aborts). For tests.",
    ),
    ffi::PyMethodDef::zeroed(),
];

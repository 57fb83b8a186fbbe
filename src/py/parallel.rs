//! Parallel work that releases the interpreter: `word_count`, `sum_of_squares`, and
//! `trigger_panic` to prove panics in every context become Python exceptions.
//!
//! The rule for detaching (`py.detach`): everything the detached closure reads must stay valid
//! and unchanged without the interpreter's help, because while detached another Python thread
//! may run (GIL build) or is running anyway (3.13t), and may drop or mutate Python objects.
//!
//! * `str` input is BORROWED, zero-copy. A `str` is immutable, and the `&str` we read is its
//!   UTF-8 form, which CPython computes once, caches inside the object and frees only with the
//!   object. The caller's argument tuple holds a strong reference for the whole call, so the
//!   object outlives the detached section. (CPython's in-place `s += t` only resizes a string
//!   whose reference count is 1, which cannot be true while we hold a reference.)
//! * Buffer input (`array('d')`, a `bytearray`-backed `memoryview`, numpy arrays...) is COPIED
//!   while attached, then the copy is processed detached. Holding the `PyBuffer` export would
//!   stop the exporter from *resizing* (resizes raise BufferError while exported), but not from
//!   *writing* elements: `arr[0] = 1.0` from another thread during a detached read of the same
//!   memory is a data race (undefined behaviour for a Rust `&[f64]`), and the buffer's `readonly`
//!   flag does not prevent it either (`memoryview(bytearray).toreadonly()` is readonly but its
//!   bytearray is not). The copy (CPython's `PyBuffer_ToContiguous`, a memcpy) still races with
//!   such a writer on 3.13t, exactly like Python's own `list(arr)` would: the result may mix old
//!   and new elements, which is the caller's race; it never reads freed memory because the
//!   export pins the allocation for the copy. Cost: one allocation and 8 bytes of extra memory
//!   traffic per element; for a memory-bound kernel like Σx² that is comparable to the kernel
//!   itself (see docs/patterns.md for the measured figure).
//! * Panics: `py.detach` re-attaches in a drop guard, so a panic inside the closure unwinds
//!   back into attached code, and PyO3's function trampoline turns it into
//!   `pyo3_runtime.PanicException`. rayon catches a panic on its worker and resumes it on the
//!   thread that started the parallel loop, so panics in rayon tasks take the same road. The
//!   crate never sets `panic = "abort"`; that must stay so.

use pyo3::buffer::{Element, PyUntypedBuffer};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::core::{kernels, wordcount};

/// Runs `f` detached from the interpreter when `detach` is true, attached otherwise.
fn maybe_detach<T, F>(py: Python<'_>, detach: bool, f: F) -> T
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    if detach {
        py.detach(f)
    } else {
        f()
    }
}

/// Counts the words of `text` exactly like `collections.Counter(text.split())`.
///
/// `parallel=True` counts chunks on rayon's thread pool. `detach=True` (default) releases the
/// interpreter while counting, so other Python threads run meanwhile even on a GIL build.
/// Raises TypeError if `text` is not a str, UnicodeEncodeError (a ValueError) if it holds lone
/// surrogates.
#[pyfunction]
#[pyo3(signature = (text, *, parallel = false, detach = true))]
pub fn word_count<'py>(
    text: &Bound<'py, PyAny>,
    parallel: bool,
    detach: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let py = text.py();
    let text = text.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "word_count: text must be str, not '{}'",
            type_name(text)
        ))
    })?;
    // Borrowed, not copied: see the module docs for why this is sound across the detach.
    let s: &str = text.to_str()?;
    let counts = maybe_detach(py, detach, || {
        if parallel {
            wordcount::word_count_parallel(s)
        } else {
            wordcount::word_count(s)
        }
    });
    let dict = PyDict::new(py);
    for (word, n) in counts {
        dict.set_item(word, n)?;
    }
    Ok(dict)
}

/// Σ x² over `data`: any buffer of float64 (`array('d')`, a memoryview of one, numpy float64
/// arrays) or an iterable of real numbers.
///
/// Buffers are copied before the interpreter is released (a concurrent writer could otherwise
/// race with the read). `parallel=True` computes block sums on rayon's pool; the result is
/// bit-identical to the sequential one. `detach=True` (default) releases the interpreter while
/// computing. TypeError for anything else (with the offending format or element).
#[pyfunction]
#[pyo3(signature = (data, *, parallel = false, detach = true))]
pub fn sum_of_squares(data: &Bound<'_, PyAny>, parallel: bool, detach: bool) -> PyResult<f64> {
    let values = copy_floats(data)?;
    Ok(maybe_detach(data.py(), detach, move || {
        if parallel {
            kernels::sum_of_squares_parallel(&values)
        } else {
            kernels::sum_of_squares(&values)
        }
    }))
}

/// Copies `data` (a float64 buffer or an iterable of real numbers) into a Vec, attached.
fn copy_floats(data: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    let py = data.py();
    match PyUntypedBuffer::get(data) {
        Ok(buffer) => {
            let format = buffer.format().to_string_lossy().into_owned();
            let item_size = buffer.item_size();
            if item_size != 8 || !<f64 as Element>::is_compatible_format(buffer.format()) {
                return Err(PyTypeError::new_err(format!(
                    "sum_of_squares: buffer items have format '{format}' ({item_size} bytes); \
                     expected float64 (format 'd'), e.g. array('d', ...)"
                )));
            }
            if buffer.item_count() == 0 {
                // PyO3 rejects empty buffers whose (never dereferenced) pointer is not 8-byte
                // aligned, and CPython's empty `array('d')` exports a 1-byte-aligned dummy.
                return Ok(Vec::new());
            }
            match buffer.into_typed::<f64>() {
                Ok(typed) => typed.to_vec(py),
                // The format is right, so PyO3 refused the alignment (e.g. a memoryview cast
                // from an odd offset of a bytearray).
                Err(_) => Err(PyValueError::new_err(
                    "sum_of_squares: float64 buffer is not 8-byte aligned; pass a copy \
                     (e.g. array('d', data))",
                )),
            }
        }
        // Not a buffer exporter: fall back to iterating.
        Err(err) if err.is_instance_of::<PyTypeError>(py) => {
            if data.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(
                    "sum_of_squares: data must be a float64 buffer or an iterable of numbers, not 'str'",
                ));
            }
            let items = data.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "sum_of_squares: data must be a float64 buffer or an iterable of numbers, not '{}'",
                    type_name(data)
                ))
            })?;
            let mut values = Vec::with_capacity(data.len().unwrap_or(0));
            for (index, item) in items.enumerate() {
                let item = item?;
                let value = item.extract::<f64>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "sum_of_squares: element {index} is '{}', not a real number",
                        type_name(&item)
                    ))
                })?;
                values.push(value);
            }
            Ok(values)
        }
        Err(err) => Err(err),
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// Panics on purpose, to show that a Rust panic becomes `pyo3_runtime.PanicException`
/// (exported as `ftlab.PanicException`, a BaseException subclass) and the interpreter keeps
/// working. `where` is "attached" (panic while attached), "detached" (inside `py.detach`) or
/// "rayon" (inside a rayon task, itself run detached). ValueError for anything else.
#[pyfunction]
pub fn trigger_panic(py: Python<'_>, r#where: &str) -> PyResult<()> {
    match r#where {
        "attached" => panic!("deliberate panic while attached (ftlab.trigger_panic('attached'))"),
        "detached" => py
            .detach(|| panic!("deliberate panic while detached (ftlab.trigger_panic('detached'))")),
        "rayon" => {
            py.detach(kernels::panic_in_rayon_task);
            unreachable!("panic_in_rayon_task always panics")
        }
        other => Err(PyValueError::new_err(format!(
            "trigger_panic: where must be 'attached', 'detached' or 'rayon', not {other:?}"
        ))),
    }
}

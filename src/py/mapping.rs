//! Argument conversion shared by the bindings that take mappings or key lists
//! (`Bank(accounts)`, `Registry.update_many(mapping)`, `Registry.get_many(keys)`).
//!
//! Everything here runs *before* a binding takes any core lock: converting Python arguments
//! can run arbitrary Python code (`__iter__`, `items()`, `__str__` of a subclass), which must
//! never happen under a lock. A `dict` is read through `dict.items()`, a list built atomically
//! (under the dict's critical section on 3.13t), so another thread mutating the dict meanwhile
//! cannot make the iteration fail half-way. Bad input gives a one-line `TypeError`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// The Python type name of `obj`, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

/// The `(key, value)` pairs of a `dict` or of any object with a mapping-style `items()`.
/// `what` names the argument in the error message.
pub fn mapping_items<'py>(
    mapping: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    let items = if let Ok(dict) = mapping.cast::<PyDict>() {
        dict.items().into_any()
    } else if mapping.hasattr("items")? && !mapping.is_instance_of::<PyString>() {
        mapping.call_method0("items")?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a mapping, got {}",
            type_name(mapping)
        )));
    };
    items
        .try_iter()?
        .map(|item| {
            item?
                .extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>()
                .map_err(|_| {
                    PyTypeError::new_err(format!("{what}.items() must yield (key, value) pairs"))
                })
        })
        .collect()
}

/// A `str` key, or a `TypeError` naming `what`.
pub fn str_key(key: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    match key.cast::<PyString>() {
        Ok(key) => Ok(key.to_str()?.to_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be str, got {}",
            type_name(key)
        ))),
    }
}

/// The keys of an iterable of `str` (a bare `str` is refused: it would be read as its
/// characters).
pub fn str_keys(keys: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if keys.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an iterable of str, not a single str"
        )));
    }
    let iter = keys.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be an iterable of str, got {}",
            type_name(keys)
        ))
    })?;
    iter.map(|key| str_key(&key?, "each key")).collect()
}

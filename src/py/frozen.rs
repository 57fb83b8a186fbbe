//! Frozen values: `Point` and `FrozenMap`, Python objects that never change after construction.
//!
//! Both are `#[pyclass(frozen)]` with no interior mutability at all, so PyO3 needs no borrow
//! flag and any number of threads can read one instance with no lock. "Updates" (`Point.translated`,
//! `FrozenMap.set/remove/merge`) build a new object; old objects are never touched, so a reader
//! can never see a half-applied update.
//!
//! `FrozenMap` wraps `core::frozen_map::FrozenMap<String, PyValue>`. Values are Python objects
//! stored as `Arc<Py<PyAny>>` (see [`PyValue`]): PyO3 0.28's `Py<T>` is not `Clone` unless the
//! `py-clone` feature is on, and path copying needs `V: Clone`. `py-clone` would make every
//! node copy an `incref` that panics unless the thread is attached, and would put Python
//! reference-count traffic on shared value objects; the `Arc` instead makes a copy one Rust
//! atomic increment, legal anywhere, and each value object keeps exactly one Python reference,
//! owned by the `Arc` and released (attached, when the last map sharing it dies) by `Py`'s drop.
//!
//! Cyclic GC: `FrozenMap` deliberately implements no `__traverse__`. A value's single Python
//! reference is shared by every map version holding its node, so no one map owns it; reporting
//! it from several maps would make the collector subtract the same reference several times and
//! corrupt its accounting. The price: a reference cycle *through* a FrozenMap value (a list
//! that contains the map that contains the list) is never collected. Immutable values cannot
//! form such a cycle on their own.
//!
//! The immutability study (`.handle()`, `.lookup_many()`): on 3.13t every method call on one
//! shared Python object increments and decrements that object's reference count from every
//! calling thread; on a shared object those are atomic operations on one cache line (biased
//! reference counting makes them cheap only for the owning thread). `handle()` gives each thread
//! its own Python object over the *same* Arc'd tree, so a thread's calls only touch its own
//! object's count while the Rust data stays shared and read-only. `lookup_many` does a
//! configurable amount of Rust-side work per call and touches no value object, so a benchmark
//! can dial the ratio of per-call overhead to real work.

use std::hash::{Hash, Hasher};

use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyIterator, PyList, PyString, PyTuple, PyType};

use crate::core::frozen_map;
use crate::sync::Arc;

/// A 2-D point with read-only float coordinates: hashable, comparable, picklable.
///
/// `Point(x, y)`; `p.x`, `p.y`; setting or deleting an attribute raises `AttributeError`.
/// Equal points hash equally (`Point(0.0, 1.0) == Point(-0.0, 1.0)` and their hashes agree).
#[pyclass(frozen, eq, hash, module = "ftlab")]
pub struct Point {
    /// The x coordinate.
    #[pyo3(get)]
    x: f64,
    /// The y coordinate.
    #[pyo3(get)]
    y: f64,
}

impl PartialEq for Point {
    /// Float equality per coordinate, like Python's `(x, y) == (x2, y2)` on floats.
    fn eq(&self, other: &Self) -> bool {
        self.x == other.x && self.y == other.y
    }
}

impl Hash for Point {
    /// Consistent with `eq`: +0.0 and -0.0 are equal, so both hash as +0.0. (NaN is never
    /// equal to anything, so its hash is unconstrained.)
    fn hash<H: Hasher>(&self, state: &mut H) {
        fn canonical_bits(f: f64) -> u64 {
            if f == 0.0 {
                0
            } else {
                f.to_bits()
            }
        }
        canonical_bits(self.x).hash(state);
        canonical_bits(self.y).hash(state);
    }
}

#[pymethods]
impl Point {
    /// Creates the point `(x, y)`; both must be real numbers.
    #[new]
    fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }

    /// A new point moved by `(dx, dy)`; this one is unchanged.
    fn translated(&self, dx: f64, dy: f64) -> Self {
        Point {
            x: self.x + dx,
            y: self.y + dy,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // Python's float repr (shortest round-trip form, `1e+100`, `inf`, `nan`).
        let x = PyFloat::new(py, self.x).repr()?;
        let y = PyFloat::new(py, self.y).repr()?;
        Ok(format!("Point(x={x}, y={y})"))
    }

    /// Pickle support: rebuilt as `Point(x, y)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let p = slf.get();
        (slf.get_type(), (p.x, p.y)).into_pyobject(slf.py())
    }
}

/// A Python value held by a `FrozenMap`: one Python reference, shared by `Arc` between every
/// map version whose tree contains it (see the module docs for why not `Py::clone`).
#[derive(Clone)]
pub struct PyValue(Arc<Py<PyAny>>);

impl PyValue {
    pub(crate) fn new(obj: Bound<'_, PyAny>) -> Self {
        PyValue(Arc::new(obj.unbind()))
    }

    pub(crate) fn bind<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.0.bind(py)
    }

    /// Whether `a` and `b` hold the very same Python object (`a is b`). Compares pointers only:
    /// needs no interpreter and runs no Python code (safe under a Rust lock).
    pub(crate) fn is(a: &Self, b: &Self) -> bool {
        a.0.as_ptr() == b.0.as_ptr()
    }
}

pub(crate) type Map = frozen_map::FrozenMap<String, PyValue>;

/// An immutable `str -> object` map sharing structure between versions.
///
/// `set`, `remove` and `merge` return a NEW map (O(log n) new nodes, the rest shared) and never
/// change this one, so a map can be read from any number of threads with no lock. Iteration is
/// in sorted key order. `handle()` returns another Python object over the same shared data.
#[pyclass(frozen, module = "ftlab")]
pub struct FrozenMap {
    pub(crate) map: Map,
}

/// The `str` key in `key`, or `None` if it is not a `str` (lookups then simply miss).
pub(crate) fn str_key<'a>(key: &'a Bound<'_, PyAny>) -> PyResult<Option<&'a str>> {
    match key.cast::<PyString>() {
        Ok(s) => Ok(Some(s.to_str()?)),
        Err(_) => Ok(None),
    }
}

/// The `str` key in `key`, or a TypeError naming `what` and the offending type.
pub(crate) fn required_str_key(key: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    match str_key(key)? {
        Some(s) => Ok(s.to_owned()),
        None => Err(PyTypeError::new_err(format!(
            "{what}: keys must be str, not '{}'",
            key.get_type().name()?
        ))),
    }
}

/// Builds a core map from a FrozenMap (shared, O(1)) or any object with `.items()`.
pub(crate) fn map_from(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Map> {
    if let Ok(frozen) = obj.cast::<FrozenMap>() {
        return Ok(frozen.get().map.clone());
    }
    // A dict's items are copied into a list in one step (under the dict's critical section on
    // 3.13t), so another thread mutating the dict cannot make the iteration fail half-way.
    let items = match obj.cast::<PyDict>() {
        Ok(dict) => dict.items().into_any(),
        Err(_) => mapping_items(obj, what)?,
    };
    let mut map = Map::new();
    for item in items.try_iter()? {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        map = map.insert(required_str_key(&key, what)?, PyValue::new(value));
    }
    Ok(map)
}

/// `obj.items()` for any mapping-like object, or a TypeError.
fn mapping_items<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyAny>> {
    match obj.getattr_opt("items")? {
        Some(items) if items.is_callable() => items.call0(),
        _ => Err(PyTypeError::new_err(format!(
            "{what}: expected a mapping with str keys (e.g. a dict or FrozenMap), not '{}'",
            obj.get_type().name()?
        ))),
    }
}

#[pymethods]
impl FrozenMap {
    /// Creates a map from `mapping` (a dict, FrozenMap or any object with `.items()`; keys
    /// must be str), or an empty map.
    #[new]
    #[pyo3(signature = (mapping = None))]
    fn new(mapping: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let map = match mapping {
            None => Map::new(),
            Some(obj) => map_from(obj, "FrozenMap()")?,
        };
        Ok(FrozenMap { map })
    }

    /// A new map with `key` bound to `value`; this map is unchanged.
    fn set(&self, key: &Bound<'_, PyAny>, value: Bound<'_, PyAny>) -> PyResult<Self> {
        let key = required_str_key(key, "FrozenMap.set")?;
        Ok(FrozenMap {
            map: self.map.insert(key, PyValue::new(value)),
        })
    }

    /// A new map without `key`; this map is unchanged. Raises KeyError if `key` is absent.
    fn remove(&self, key: &Bound<'_, PyAny>) -> PyResult<Self> {
        str_key(key)?
            .and_then(|k| self.map.remove(k))
            .map(|map| FrozenMap { map })
            .ok_or_else(|| PyKeyError::new_err(key.clone().unbind()))
    }

    /// A new map with the entries of both; `other`'s values win on common keys (like
    /// `dict | other`). `other` is a FrozenMap or a mapping with str keys. Neither changes.
    fn merge(&self, other: &Bound<'_, PyAny>) -> PyResult<Self> {
        let other = map_from(other, "FrozenMap.merge")?;
        Ok(FrozenMap {
            map: self.map.merge(&other),
        })
    }

    /// The value for `key`, or `default` (None) if absent.
    #[pyo3(signature = (key, default = None))]
    fn get<'py>(
        &self,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = key.py();
        Ok(match str_key(key)?.and_then(|k| self.map.get(k)) {
            Some(v) => Some(v.bind(py).clone()),
            None => default,
        })
    }

    /// A new Python object sharing this map's data (no copy). Give each thread its own handle
    /// to avoid contention on one object's reference count on free-threaded Python.
    fn handle(&self) -> Self {
        FrozenMap {
            map: self.map.clone(),
        }
    }

    /// True if `other` is a handle on (or a copy sharing) exactly the same data.
    fn shares_data_with(&self, other: &Self) -> bool {
        self.map.ptr_eq(&other.map)
    }

    /// Looks up every key of `keys` (a sequence of str), `repeat` times over, and returns the
    /// number of hits. Touches no value object: per-call Python overhead is the reference
    /// count of this map and the one-time conversion of `keys`. With `detach=True` the loop
    /// runs detached from the interpreter (on a GIL build, other threads run meanwhile).
    #[pyo3(signature = (keys, repeat = 1, *, detach = false))]
    fn lookup_many(&self, py: Python<'_>, keys: Vec<String>, repeat: usize, detach: bool) -> usize {
        let map = &self.map;
        let work = || {
            (0..repeat)
                .map(|_| keys.iter().filter(|k| map.contains_key(k.as_str())).count())
                .sum()
        };
        if detach {
            // `map` is immutable and owned by `self`, which the caller keeps alive for the
            // duration of the call; `keys` is our own copy. Nothing here touches Python.
            py.detach(work)
        } else {
            work()
        }
    }

    /// The keys, in sorted order.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.map.keys())
    }

    /// The values, in sorted key order.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.map.values().map(|v| v.bind(py)))
    }

    /// The `(key, value)` pairs, in sorted key order.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.map.iter().map(|(k, v)| (k, v.bind(py))))
    }

    /// Converts to a new, independent `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in &self.map {
            dict.set_item(k, v.bind(py))?;
        }
        Ok(dict)
    }

    fn __getitem__<'py>(&self, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match str_key(key)?.and_then(|k| self.map.get(k)) {
            Some(v) => Ok(v.bind(key.py()).clone()),
            None => Err(PyKeyError::new_err(key.clone().unbind())),
        }
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(str_key(key)?.is_some_and(|k| self.map.contains_key(k)))
    }

    fn __len__(&self) -> usize {
        self.map.len()
    }

    /// Iterates over a snapshot list of the keys (sorted). The map cannot change, so the
    /// snapshot is exact; a plain list iterator keeps iteration thread-safe for free.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        PyList::new(py, self.map.keys())?.into_any().try_iter()
    }

    /// Equal to another FrozenMap with the same keys and equal values (`is` or `==`, like
    /// dict). Comparing with anything else returns NotImplemented.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<FrozenMap>() else {
            return Ok(py.NotImplemented());
        };
        let other = &other.get().map;
        if self.map.ptr_eq(other) {
            return Ok(true.into_pyobject(py)?.to_owned().into_any().unbind());
        }
        let mut equal = self.map.len() == other.len();
        if equal {
            for ((k1, v1), (k2, v2)) in self.map.iter().zip(other.iter()) {
                let (v1, v2) = (v1.bind(py), v2.bind(py));
                if k1 != k2 || !(v1.is(v2) || v1.eq(v2)?) {
                    equal = false;
                    break;
                }
            }
        }
        Ok(equal.into_pyobject(py)?.to_owned().into_any().unbind())
    }

    /// Hash of the items (TypeError if a value is unhashable), consistent with `==`.
    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        let items = PyTuple::new(py, self.map.iter().map(|(k, v)| (k, v.bind(py))))?;
        items.hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("FrozenMap({})", self.to_dict(py)?.repr()?))
    }

    /// Pickle support: rebuilt as `FrozenMap(dict)`.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyType>, (Bound<'py, PyDict>,))> {
        Ok((py.get_type::<FrozenMap>(), (self.to_dict(py)?,)))
    }
}

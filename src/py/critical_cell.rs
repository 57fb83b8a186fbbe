//! `CriticalCell<T>`: Rust state inside a frozen pyclass, guarded by the owning Python object's
//! critical section — the way CPython's own `list` and `dict` guard their items on 3.13t.
//!
//! `with` enters `pyo3::sync::critical_section::with_critical_section` on the owner and hands
//! the closure `&mut T`. On a free-threaded build that locks the owner's per-object `PyMutex`;
//! on a GIL build it is a no-op and the GIL is the lock. Either lock is *suspended* whenever
//! the holding thread would block or run Python code (the interpreter releases the per-object
//! lock around blocking calls and stop-the-world pauses, and the GIL at its eval breaker), so
//! it can never deadlock the way a Rust mutex held across Python code can — but for the same
//! reason it only guarantees exclusive access to code that does *not* call into the
//! interpreter. Hence the contract of the `unsafe` methods:
//!
//! * the closure of `with` must not call into the interpreter: no Python calls, no creating
//!   Python objects (an allocation can start the garbage collector on 3.9–3.11), no dropping
//!   of Python references (a last reference runs `__del__`); incrementing reference counts
//!   (`clone_ref`), moving `Py` pointers and comparing pointers are fine;
//! * the closure must not use this cell again (that would alias `&mut T`);
//! * `peek` is only for `__traverse__`, which runs while no other thread is inside a
//!   `with` closure: on 3.13t the collector stops the world, and a thread only stops at a
//!   safepoint, which such a closure never reaches; on a GIL build the collector runs on the
//!   thread holding the GIL, which cannot be inside a closure that never calls into Python.
//!   The other callers of `__traverse__` are `gc.get_referrers()` / `gc.get_referents()`; we
//!   rely on them, like a collection, running while no other thread can be inside such a
//!   closure — the same assumption CPython's own `list` and `dict`, whose traversals take no
//!   lock, make (CPython's free-threading tests race `gc.get_referrers()` against mutators).
//!
//! Values the closure removes must be returned and dropped after `with` returns.

use std::cell::UnsafeCell;

use pyo3::prelude::*;
use pyo3::sync::critical_section::with_critical_section;

/// Rust state guarded by the critical section of the Python object that owns it; see the
/// module docs.
pub struct CriticalCell<T>(UnsafeCell<T>);

// SAFETY: every access to the contents is serialised by the owner's critical section (or the
// GIL) through `with`, or happens in `peek` while no `with` closure runs (module docs); so the
// cell is `Sync` whenever its contents may move between threads.
unsafe impl<T: Send> Sync for CriticalCell<T> {}

impl<T> CriticalCell<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        CriticalCell(UnsafeCell::new(value))
    }

    /// Runs `f` on the contents inside `owner`'s critical section.
    ///
    /// # Safety
    ///
    /// `owner` must be the Python object this cell is a field of, and `f` must keep the
    /// contract in the module docs (no call into the interpreter, no re-entry into this cell).
    pub unsafe fn with<R>(&self, owner: &Bound<'_, PyAny>, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: the critical section (or the GIL) is held and, by the contract, never
        // suspended while `f` runs, so this is the only reference to the contents.
        with_critical_section(owner, || f(unsafe { &mut *self.0.get() }))
    }

    /// The contents, for `__traverse__` only.
    ///
    /// # Safety
    ///
    /// Only while no thread can be inside a `with` closure on this cell (`__traverse__`; see
    /// the module docs).
    pub unsafe fn peek(&self) -> &T {
        // SAFETY: by the contract no `&mut T` is live.
        unsafe { &*self.0.get() }
    }
}

//! Python class `EventBus`: named events with listener callbacks, the per-object critical
//! section pattern.
//!
//! The subscriptions (`core::subscriptions`, Rust data holding `Py` references to the
//! callbacks) live in a [`CriticalCell`] guarded by the `EventBus` object's own critical
//! section — CPython's per-object lock on 3.13t, the GIL on GIL builds — rather than a Rust
//! mutex. Rules every method keeps (the [`CriticalCell`] contract):
//!
//! * Inside the critical section only Rust runs: moving `Py` pointers in and out, comparing
//!   pointers, `clone_ref` (a reference-count increment). Arguments are converted before it.
//! * **No callback ever runs inside it.** `emit` copies the listeners (`clone_ref`) in the
//!   critical section, leaves it, then calls them. So a callback may subscribe, unsubscribe
//!   or emit on the same bus, block, or hit a stop-the-world pause: nothing is held. The
//!   broken twin `MutexHeldEventBus` (`mutex_across_callback`) calls the callbacks while
//!   holding a Rust mutex — a callback that touches the bus deadlocks its own thread, and
//!   another thread waiting for the mutex while attached deadlocks the interpreter (it holds
//!   the GIL, or stalls a stop-the-world pause, which the callback's thread needs to proceed).
//! * Python-level equality is not Rust: `unsubscribe` compares with `==` *outside* the
//!   critical section on a copy of the listeners, then removes the exact object it matched by
//!   identity inside (retrying if another thread removed it first).
//! * Removed listeners are dropped after leaving the critical section (a last reference runs
//!   `__del__`).
//!
//! Semantics: `emit` calls the listeners subscribed when it started, in subscription order; a
//! listener subscribed or removed during an emit takes effect from the next emit. If a
//! listener raises, `emit` raises that exception and calls no further listeners.
//!
//! Garbage collection: callbacks often refer back to the bus (bound methods of an object that
//! owns it), so the class takes part in GC: `__traverse__` peeks at the listeners (see
//! [`CriticalCell::peek`]) and `__clear__` takes them out in the critical section and drops
//! them after.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::core::subscriptions::Subscriptions;
use crate::py::critical_cell::CriticalCell;
use crate::py::mapping::{str_key, type_name};

/// Named events with listener callbacks, safe to use from many threads.
///
/// `subscribe(event, callback)` adds a listener; `emit(event, *args, **kwargs)` calls the
/// listeners subscribed when it starts, in order, with no lock held (a listener may subscribe,
/// unsubscribe or emit on the same bus); `unsubscribe(event, callback)` removes the first
/// listener equal to `callback`. State is guarded by the object's critical section.
#[pyclass(frozen, module = "ftlab")]
pub struct EventBus {
    subscriptions: CriticalCell<Subscriptions<Py<PyAny>>>,
}

impl EventBus {
    /// The listeners of `event`, copied in the critical section (one incref each).
    fn copy_listeners(slf: &Bound<'_, Self>, event: &str) -> Vec<Py<PyAny>> {
        let py = slf.py();
        // SAFETY: `slf` owns the cell; the closure only increments reference counts.
        unsafe {
            slf.get().subscriptions.with(slf.as_any(), |subs| {
                subs.listeners_with(event, |l| l.clone_ref(py))
            })
        }
    }
}

#[pymethods]
impl EventBus {
    /// A bus with no listeners.
    #[new]
    fn new() -> Self {
        EventBus {
            subscriptions: CriticalCell::new(Subscriptions::new()),
        }
    }

    /// Adds `callback` as a listener of `event` (after the existing ones). The same callback
    /// may be subscribed more than once; it is then called once per subscription.
    fn subscribe(
        slf: &Bound<'_, Self>,
        event: &Bound<'_, PyAny>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let event = str_key(event, "event")?;
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "callback must be callable, got {}",
                type_name(callback)
            )));
        }
        let callback = callback.clone().unbind();
        // SAFETY: `slf` owns the cell; the closure only moves a pointer into a Vec.
        unsafe {
            slf.get()
                .subscriptions
                .with(slf.as_any(), |subs| subs.subscribe(event, callback));
        }
        Ok(())
    }

    /// Removes the first listener of `event` equal to `callback` (`==`, so a freshly bound
    /// method matches); returns whether one was removed.
    fn unsubscribe(
        slf: &Bound<'_, Self>,
        event: &Bound<'_, PyAny>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let event = str_key(event, "event")?;
        loop {
            // `==` runs Python code, so it runs on a copy, outside the critical section.
            let mut found = None;
            for listener in Self::copy_listeners(slf, &event) {
                if listener.bind(slf.py()).eq(callback)? {
                    found = Some(listener);
                    break;
                }
            }
            let Some(found) = found else {
                return Ok(false);
            };
            // SAFETY: `slf` owns the cell; the closure only compares pointers and moves one.
            let removed = unsafe {
                slf.get().subscriptions.with(slf.as_any(), |subs| {
                    subs.remove_first(&event, |l| l.as_ptr() == found.as_ptr())
                })
            };
            if removed.is_some() {
                drop(removed); // outside the critical section: may run __del__
                return Ok(true);
            }
            // Another thread removed the listener we matched; look again.
        }
    }

    /// Calls every listener of `event` with `*args, **kwargs`, in subscription order, and
    /// returns how many were called. Listeners run with no lock held.
    #[pyo3(signature = (event, *args, **kwargs))]
    fn emit(
        slf: &Bound<'_, Self>,
        event: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<usize> {
        let event = str_key(event, "event")?;
        let listeners = Self::copy_listeners(slf, &event);
        for listener in &listeners {
            listener.bind(slf.py()).call(args, kwargs)?;
        }
        Ok(listeners.len())
    }

    /// The listeners of `event` (a new list, in subscription order).
    fn listeners<'py>(
        slf: &Bound<'py, Self>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let event = str_key(event, "event")?;
        PyList::new(slf.py(), Self::copy_listeners(slf, &event))
    }

    /// The events that have at least one listener, sorted.
    fn events(slf: &Bound<'_, Self>) -> Vec<String> {
        // SAFETY: `slf` owns the cell; the closure only copies Rust strings.
        unsafe {
            slf.get()
                .subscriptions
                .with(slf.as_any(), |subs| subs.events())
        }
    }

    /// The number of subscriptions over all events.
    fn __len__(slf: &Bound<'_, Self>) -> usize {
        // SAFETY: `slf` owns the cell; the closure reads a number.
        unsafe {
            slf.get()
                .subscriptions
                .with(slf.as_any(), |subs| subs.len())
        }
    }

    /// A short description (type and number of subscriptions).
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        format!("EventBus(subscriptions={})", Self::__len__(slf))
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        // SAFETY: called only by the garbage collector (see `CriticalCell::peek`).
        unsafe { self.subscriptions.peek() }.try_for_each(|l| visit.call(l))
    }

    fn __clear__(slf: &Bound<'_, Self>) {
        // SAFETY: `slf` owns the cell; the closure only moves pointers out.
        let listeners = unsafe {
            slf.get()
                .subscriptions
                .with(slf.as_any(), |subs| subs.take_all())
        };
        drop(listeners); // outside the critical section
    }
}

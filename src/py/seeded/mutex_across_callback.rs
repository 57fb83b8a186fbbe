//! Seeded bug `mutex_across_callback`: `MutexHeldEventBus`, the twin of `ftlab.EventBus`.
//!
//! Same Python surface, but the subscriptions sit behind a Rust mutex (the crate's
//! parking_lot `Mutex`), taken while attached, and `emit` calls the listeners *while holding
//! it* ("so the list cannot change under us"). That is the deadlock-prone pattern the critical
//! section exists to replace:
//! * a listener that subscribes, unsubscribes or emits on the same bus blocks forever on the
//!   mutex its own thread holds (the mutex is not re-entrant);
//! * a second thread calling any method blocks on the mutex *attached*; on a GIL build it
//!   holds the GIL while it waits, so the listener's thread never gets the GIL back to finish;
//!   on 3.13t the next stop-the-world pause (a garbage collection) waits for the blocked
//!   thread forever, and the listener's thread waits for the pause. Either way the process
//!   hangs — pytest's detectors run it in a subprocess with a deadline.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::core::subscriptions::Subscriptions;
use crate::py::mapping::{str_key, type_name};
use crate::sync::Mutex;

/// BROKEN (mutex_across_callback): `emit` calls the listeners while holding a Rust mutex, so
/// a listener that touches the bus, or another thread calling it meanwhile, deadlocks.
#[pyclass(frozen, module = "ftlab._seeded")]
pub struct MutexHeldEventBus {
    subscriptions: Mutex<Subscriptions<Py<PyAny>>>,
}

#[pymethods]
impl MutexHeldEventBus {
    /// A bus with no listeners.
    #[new]
    fn new() -> Self {
        MutexHeldEventBus {
            subscriptions: Mutex::new(Subscriptions::new()),
        }
    }

    /// Adds `callback` as a listener of `event`.
    fn subscribe(&self, event: &Bound<'_, PyAny>, callback: &Bound<'_, PyAny>) -> PyResult<()> {
        let event = str_key(event, "event")?;
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "callback must be callable, got {}",
                type_name(callback)
            )));
        }
        self.subscriptions
            .lock()
            .subscribe(event, callback.clone().unbind());
        Ok(())
    }

    /// Removes the first listener of `event` equal to `callback`. (Compares with `==` under
    /// the mutex, itself Python code under a Rust lock.)
    fn unsubscribe(&self, event: &Bound<'_, PyAny>, callback: &Bound<'_, PyAny>) -> PyResult<bool> {
        let event = str_key(event, "event")?;
        let py = callback.py();
        let mut subs = self.subscriptions.lock();
        let mut error = None;
        let removed = subs.remove_first(&event, |l| {
            error.is_none()
                && l.bind(py).eq(callback).unwrap_or_else(|e| {
                    error = Some(e);
                    false
                })
        });
        drop(subs);
        let was_removed = removed.is_some();
        drop(removed);
        match error {
            Some(error) => Err(error),
            None => Ok(was_removed),
        }
    }

    /// THE BUG: calls the listeners while holding the mutex.
    #[pyo3(signature = (event, *args, **kwargs))]
    fn emit(
        &self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<usize> {
        let event = str_key(event, "event")?;
        let subs = self.subscriptions.lock();
        let listeners = subs.listeners_with(&event, |l| l.clone_ref(py));
        for listener in &listeners {
            listener.bind(py).call(args, kwargs)?;
        }
        drop(subs);
        Ok(listeners.len())
    }

    /// The listeners of `event`.
    fn listeners<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let event = str_key(event, "event")?;
        let listeners = self
            .subscriptions
            .lock()
            .listeners_with(&event, |l| l.clone_ref(py));
        PyList::new(py, listeners)
    }

    /// The events that have at least one listener, sorted.
    fn events(&self) -> Vec<String> {
        self.subscriptions.lock().events()
    }

    /// The number of subscriptions over all events.
    fn __len__(&self) -> usize {
        self.subscriptions.lock().len()
    }

    /// A short description (type and number of subscriptions).
    fn __repr__(&self) -> String {
        format!("MutexHeldEventBus(subscriptions={})", self.__len__())
    }
}

/// Adds the class to `m`, its bug name to `bugs`, and the bug to `gil_proof` (the listeners are Python code, and the GIL changes hands inside them).
pub fn add(
    m: &Bound<'_, PyModule>,
    bugs: &Bound<'_, PyDict>,
    gil_proof: &mut Vec<&'static str>,
) -> PyResult<()> {
    m.add_class::<MutexHeldEventBus>()?;
    gil_proof.push("mutex_across_callback");
    bugs.set_item("mutex_across_callback", "MutexHeldEventBus")
}

//! Python class for `core::queue`: `WorkQueue`, a bounded, closable MPMC queue of Python
//! objects, and the `QueueClosed` exception.
//!
//! Each call first tries without blocking while attached (the core's critical sections are a
//! few instructions and never call into Python, so taking them attached is safe); only if it
//! would block does it wait detached, in slices (see `py::wait`). Items are `Py<PyAny>`: the
//! queue owns a strong reference while an item is queued, and no reference is ever dropped
//! while detached.

use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTimeoutError, PyValueError};
use pyo3::prelude::*;

use crate::core::queue;

create_exception!(
    ftlab,
    QueueClosed,
    PyException,
    "Raised by WorkQueue.put on a closed queue and by WorkQueue.get on a closed, drained queue."
);

/// Validates a capacity argument (shared with the seeded twin).
pub(crate) fn check_capacity(capacity: i64) -> PyResult<usize> {
    usize::try_from(capacity)
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| {
            PyValueError::new_err(format!("capacity must be at least 1, got {capacity}"))
        })
}

pub(crate) fn put_closed_error() -> PyErr {
    QueueClosed::new_err("put on a closed WorkQueue")
}

pub(crate) fn get_closed_error() -> PyErr {
    QueueClosed::new_err("WorkQueue is closed and drained")
}

pub(crate) fn timeout_error(what: &str, timeout: Option<Duration>) -> PyErr {
    let secs = timeout.map_or(0.0, |t| t.as_secs_f64());
    PyTimeoutError::new_err(format!("WorkQueue.{what} timed out after {secs}s"))
}

/// Generates a frozen `WorkQueue`-like pyclass around a core type with `WorkQueue`'s API, so the
/// seeded twins are the same binding around a broken core.
macro_rules! work_queue_class {
    (
        $(#[$attr:meta])*
        class $name:ident(core = $core:ty, new = $new:expr, module = $module:literal)
    ) => {
        $crate::py::frozen_class! {
            $(#[$attr])*
            class $name(module = $module) { inner: $core }
            getters {
                /// Whether the queue has been closed.
                closed: bool = inner.is_closed,
                /// The maximum number of queued items.
                capacity: usize = inner.capacity,
            }

            /// Creates an empty queue holding at most `capacity` (>= 1) items.
            #[new]
            fn new(capacity: i64) -> ::pyo3::PyResult<Self> {
                Ok($name {
                    inner: $new($crate::py::queue::check_capacity(capacity)?),
                })
            }

            /// Appends `item`, blocking while the queue is full, at most `timeout` seconds (None: no
            /// limit). Raises QueueClosed if the queue is closed, TimeoutError on timeout.
            #[pyo3(signature = (item, timeout = None))]
            fn put(&self, py: ::pyo3::Python<'_>, item: ::pyo3::Py<::pyo3::PyAny>, timeout: Option<f64>) -> ::pyo3::PyResult<()> {
                let timeout = $crate::py::wait::parse_timeout(timeout)?;
                let item = match self.inner.put_timeout(item, Some(::std::time::Duration::ZERO)) {
                    Ok(()) => return Ok(()),
                    Err($crate::core::queue::PutError::Closed(_)) => return Err($crate::py::queue::put_closed_error()),
                    Err($crate::core::queue::PutError::Timeout(item)) if timeout == Some(::std::time::Duration::ZERO) => {
                        drop(item);
                        return Err($crate::py::queue::timeout_error("put", timeout));
                    }
                    Err($crate::core::queue::PutError::Timeout(item)) => item,
                };
                let inner = &self.inner;
                let mut pending = Some(item);
                let outcome = $crate::py::wait::wait_detached(py, timeout, |slice| {
                    let item = pending.take()?;
                    match inner.put_timeout(item, Some(slice)) {
                        Ok(()) => Some(Ok(())),
                        Err($crate::core::queue::PutError::Closed(item)) => Some(Err(item)),
                        Err($crate::core::queue::PutError::Timeout(item)) => {
                            pending = Some(item);
                            None
                        }
                    }
                })?;
                match outcome {
                    Some(Ok(())) => Ok(()),
                    Some(Err(_item)) => Err($crate::py::queue::put_closed_error()),
                    None => Err($crate::py::queue::timeout_error("put", timeout)),
                }
            }

            /// Removes and returns the oldest item, blocking while the queue is empty, at most
            /// `timeout` seconds (None: no limit). Raises QueueClosed once the queue is closed and
            /// drained, TimeoutError on timeout.
            #[pyo3(signature = (timeout = None))]
            fn get(&self, py: ::pyo3::Python<'_>, timeout: Option<f64>) -> ::pyo3::PyResult<::pyo3::Py<::pyo3::PyAny>> {
                let timeout = $crate::py::wait::parse_timeout(timeout)?;
                match self.inner.get_timeout(Some(::std::time::Duration::ZERO)) {
                    Ok(item) => return Ok(item),
                    Err($crate::core::queue::GetError::Closed) => return Err($crate::py::queue::get_closed_error()),
                    Err($crate::core::queue::GetError::Timeout) if timeout == Some(::std::time::Duration::ZERO) => {
                        return Err($crate::py::queue::timeout_error("get", timeout))
                    }
                    Err($crate::core::queue::GetError::Timeout) => {}
                }
                let inner = &self.inner;
                let outcome = $crate::py::wait::wait_detached(py, timeout, |slice| match inner.get_timeout(Some(slice)) {
                    Ok(item) => Some(Ok(item)),
                    Err($crate::core::queue::GetError::Closed) => Some(Err(())),
                    Err($crate::core::queue::GetError::Timeout) => None,
                })?;
                match outcome {
                    Some(Ok(item)) => Ok(item),
                    Some(Err(())) => Err($crate::py::queue::get_closed_error()),
                    None => Err($crate::py::queue::timeout_error("get", timeout)),
                }
            }

            /// Closes the queue: later puts fail, gets drain what is left, blocked callers wake.
            fn close(&self) {
                self.inner.close();
            }

            /// The number of items queued right now.
            fn __len__(&self) -> usize {
                self.inner.len()
            }

            fn __repr__(&self) -> String {
                format!(
                    concat!(stringify!($name), "(capacity={}, len={}, closed={})"),
                    self.inner.capacity(),
                    self.inner.len(),
                    $crate::py::py_bool(self.inner.is_closed())
                )
            }
        }
    };
}
// Used by the seeded twins (`seeded/lost_wakeup_queue.rs`), which only exist with `seeded-bugs`.
#[cfg_attr(not(feature = "seeded-bugs"), allow(unused_imports))]
pub(crate) use work_queue_class;

work_queue_class! {
    /// A bounded multi-producer multi-consumer FIFO of Python objects that can be closed.
    ///
    /// `put` blocks while the queue is full, `get` while it is empty (both release the
    /// interpreter while blocked; TimeoutError if `timeout` seconds pass). After `close()`, `put`
    /// raises QueueClosed, `get` returns the remaining items and then raises QueueClosed, and
    /// every blocked caller wakes up. Every item put is returned by exactly one `get`.
    class WorkQueue(core = queue::WorkQueue<Py<PyAny>>, new = queue::WorkQueue::new, module = "ftlab")
}

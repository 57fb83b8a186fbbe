//! Seeded bug `queue_drop_or_duplicate`: `LossyWorkQueue`, the twin of `ftlab.WorkQueue`.
//!
//! Wraps `core::queue::broken::LossyWorkQueue`, whose `get` reads the head and removes it in
//! two critical sections: two consumers can receive the same item while the next one is lost.
//! Blocking is the same as `WorkQueue`'s: detached from the start, in timed slices with a
//! signal check between them (`py::wait::wait_detached`).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::queue::{broken, GetError, PutError};
use crate::py::queue::{check_capacity, get_closed_error, put_closed_error, timeout_error};
use crate::py::wait::{parse_timeout, wait_detached};
use crate::sync::Arc;

crate::py::frozen_class! {
    /// BROKEN twin of WorkQueue: under concurrent `get`s an item can be delivered twice and
    /// another never. Same API as WorkQueue.
    class LossyWorkQueue(module = "ftlab._seeded") {
        inner: broken::LossyWorkQueue<Arc<Py<PyAny>>>,
    }
    getters {
        /// Whether the queue has been closed.
        closed: bool = inner.is_closed,
        /// The maximum number of queued items.
        capacity: usize = inner.capacity,
    }

    /// Creates an empty queue holding at most `capacity` (>= 1) items.
    #[new]
    fn new(capacity: i64) -> PyResult<Self> {
        Ok(LossyWorkQueue {
            inner: broken::LossyWorkQueue::new(check_capacity(capacity)?),
        })
    }

    /// Appends `item` (correct); QueueClosed if closed, TimeoutError on timeout.
    #[pyo3(signature = (item, timeout = None))]
    fn put(&self, py: Python<'_>, item: Py<PyAny>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = parse_timeout(timeout)?;
        let inner = &self.inner;
        let mut pending = Some(Arc::new(item));
        let outcome = wait_detached(py, timeout, |slice| {
            let item = pending.take()?;
            match inner.put_timeout(item, Some(slice)) {
                Ok(()) => Some(true),
                Err(PutError::Closed(_item)) => Some(false),
                Err(PutError::Timeout(item)) => {
                    pending = Some(item);
                    None
                }
            }
        })?;
        match outcome {
            Some(true) => Ok(()),
            Some(false) => Err(put_closed_error()),
            None => Err(timeout_error("put", timeout)),
        }
    }

    /// Removes and returns the oldest item. BUG: may duplicate it and lose the next one.
    #[pyo3(signature = (timeout = None))]
    fn get(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        let timeout = parse_timeout(timeout)?;
        let inner = &self.inner;
        let outcome = wait_detached(py, timeout, |slice| match inner.get_timeout(Some(slice)) {
            Ok(item) => Some(Ok(item)),
            Err(GetError::Closed) => Some(Err(())),
            Err(GetError::Timeout) => None,
        })?;
        match outcome {
            Some(Ok(item)) => Ok(item.clone_ref(py)),
            Some(Err(())) => Err(get_closed_error()),
            None => Err(timeout_error("get", timeout)),
        }
    }

    /// Closes the queue (correct).
    fn close(&self) {
        self.inner.close();
    }

    /// The number of items queued right now.
    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

/// Adds the class to `m`, its bug name to `bugs`, and the bug to `gil_proof` (`get` runs detached, so consumers race on a GIL build too).
pub fn add(
    m: &Bound<'_, PyModule>,
    bugs: &Bound<'_, PyDict>,
    gil_proof: &mut Vec<&'static str>,
) -> PyResult<()> {
    m.add_class::<LossyWorkQueue>()?;
    gil_proof.push("queue_drop_or_duplicate");
    bugs.set_item("queue_drop_or_duplicate", "LossyWorkQueue")
}

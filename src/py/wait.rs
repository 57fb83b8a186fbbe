//! Blocking from Python: detached, in slices, interruptible.
//!
//! Every binding that can block (`Latch.wait`, `WorkQueue.put/get`, `OnceResource.get` while
//! another thread initialises) waits through [`wait_detached`]: the thread detaches from the
//! interpreter (`py.detach`) so it never holds the GIL (GIL build) or stalls a stop-the-world
//! pause (3.13t) while asleep, and it sleeps in slices of at most [`SLICE`], re-attaching
//! between slices to run `PyErr_CheckSignals`. So Ctrl-C or pytest-timeout's SIGALRM reach a
//! main thread blocked in ftlab within one slice, and a test with a timeout cannot hang forever.
//!
//! Timeouts follow `queue.Queue`: `None` waits without limit, a negative or NaN timeout is a
//! `ValueError`, `inf` (or anything too large to represent) means no limit.

use std::time::{Duration, Instant};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Longest time a blocked call stays detached before re-checking for signals.
pub const SLICE: Duration = Duration::from_millis(50);

/// Converts a Python `timeout` argument (seconds) into an optional limit.
pub fn parse_timeout(timeout: Option<f64>) -> PyResult<Option<Duration>> {
    match timeout {
        None => Ok(None),
        Some(t) if t.is_nan() || t < 0.0 => Err(PyValueError::new_err(format!(
            "'timeout' must be a non-negative number, got {t}"
        ))),
        // inf / values beyond Duration's range: no limit.
        Some(t) => Ok(Duration::try_from_secs_f64(t).ok()),
    }
}

/// Repeats `step(slice)` detached until it yields `Some`, or until `timeout` (overall) has
/// elapsed — then returns `Ok(None)`. `step` must block for at most the slice it is given and
/// return `None` when that slice ran out without a result. Between slices the thread
/// re-attaches and checks for signals (a pending `KeyboardInterrupt` is raised from here).
pub fn wait_detached<T, F>(
    py: Python<'_>,
    timeout: Option<Duration>,
    mut step: F,
) -> PyResult<Option<T>>
where
    T: Send,
    F: FnMut(Duration) -> Option<T> + Send,
{
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    loop {
        let slice = match deadline {
            None => SLICE,
            Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
        };
        if let Some(done) = py.detach(|| step(slice)) {
            return Ok(Some(done));
        }
        if let Some(d) = deadline {
            if Instant::now() >= d {
                return Ok(None);
            }
        }
        py.check_signals()?;
    }
}

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

use crate::sync::{AtomicU64, Ordering};

/// Default longest time a blocked call stays detached before re-checking for signals.
pub const SLICE: Duration = Duration::from_millis(50);

/// The slice in force, in microseconds (see [`set_wait_slice`]).
static SLICE_MICROS: AtomicU64 = AtomicU64::new(SLICE.as_micros() as u64);

/// The longest time a blocked call stays detached before re-checking for signals.
pub fn slice() -> Duration {
    Duration::from_micros(SLICE_MICROS.load(Ordering::Relaxed))
}

/// `ftlab._set_wait_slice(seconds)`: sets the wait slice of every blocking call (default
/// 0.05 s) and returns the previous one. A test hook, not API: a protocol that forgets a
/// notification makes its waiter return at the next slice boundary, up to one slice late.
/// With the default slice that is at most 50 ms, a delay a heavily loaded machine can also
/// produce; the wake-up-latency detectors set a long slice (1 s) so that a lost wake-up costs
/// far more than any scheduling delay while a correct wake-up still takes microseconds.
#[pyfunction]
#[pyo3(name = "_set_wait_slice")]
pub fn set_wait_slice(seconds: f64) -> PyResult<f64> {
    if !(seconds.is_finite() && (0.001..=60.0).contains(&seconds)) {
        return Err(PyValueError::new_err(format!(
            "the wait slice must be between 0.001 and 60 seconds, got {seconds}"
        )));
    }
    let previous = SLICE_MICROS.swap((seconds * 1e6) as u64, Ordering::Relaxed);
    Ok(previous as f64 / 1e6)
}

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
            None => slice(),
            Some(d) => d.saturating_duration_since(Instant::now()).min(slice()),
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

//! The anti-pattern, contained: a NON-frozen pyclass with `&mut self` methods.
//!
//! `UnsyncCounter` is what a first PyO3 class usually looks like: plain fields, `&mut self`
//! methods. PyO3 keeps such a class memory-safe by putting a runtime borrow flag in every
//! instance (an atomic on the free-threaded build): a `&mut self` call takes the flag
//! exclusively for the whole call, a `&self` call shares it. When a second thread calls in while
//! the flag is taken, PyO3 does not wait and does not corrupt anything: the second call fails
//! with `RuntimeError("Already borrowed")` (or `"Already mutably borrowed"` for `&self`
//! methods). Correct, but useless as a shared object: callers must catch and retry, or wrap the
//! object in their own lock.
//!
//! The window is made realistic on purpose: `add` reads the value, then *detaches* from the
//! interpreter for [`BORROW_WINDOW`] (standing in for any Rust work a method does with the GIL
//! released, which is exactly what well-behaved extensions do), then writes. The `&mut` borrow
//! is held across the detach, so on the GIL build another Python thread runs while the flag is
//! taken, and on 3.13t threads overlap anyway: concurrent callers reliably see the RuntimeError
//! on every interpreter. The borrow is what makes the read-detach-write sequence safe: no update
//! is ever lost, and the final value is exactly the sum of the successful `add`s.
//!
//! Do instead: `#[pyclass(frozen)]` with the state behind a lock or an atomic
//! (`MutexGuardedCounter`, `AtomicCounter` in `counter.rs`): `&self` methods only, and the
//! synchronization says exactly which section is exclusive.

use std::time::Duration;

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

/// How long `add` keeps its exclusive borrow while detached (a stand-in for real work).
pub const BORROW_WINDOW: Duration = Duration::from_micros(20);

/// ANTI-PATTERN (on purpose): a counter with `&mut self` methods and no synchronization.
///
/// Concurrent calls from several threads raise `RuntimeError("Already borrowed")` /
/// `RuntimeError("Already mutably borrowed")` instead of waiting; the state is never
/// corrupted. Use `MutexGuardedCounter` or `AtomicCounter` for shared counters.
#[pyclass(module = "ftlab")]
pub struct UnsyncCounter {
    value: i64,
}

#[pymethods]
impl UnsyncCounter {
    /// Creates a counter starting at `start` (default 0).
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: i64) -> Self {
        UnsyncCounter { value: start }
    }

    /// Adds `delta` (default 1) and returns the new value. Holds an exclusive borrow of the
    /// object while it detaches for a moment: a concurrent call raises RuntimeError.
    /// OverflowError if the result does not fit a signed 64-bit integer.
    #[pyo3(signature = (delta = 1))]
    fn add(&mut self, py: Python<'_>, delta: i64) -> PyResult<i64> {
        let current = self.value;
        py.detach(|| std::thread::sleep(BORROW_WINDOW));
        self.value = current.checked_add(delta).ok_or_else(|| {
            PyOverflowError::new_err(
                "UnsyncCounter.add: result does not fit a signed 64-bit integer",
            )
        })?;
        Ok(self.value)
    }

    /// The current value (a shared borrow: fails while an `add` is in progress).
    #[getter]
    fn value(&self) -> i64 {
        self.value
    }

    fn __repr__(&self) -> String {
        format!("UnsyncCounter(value={})", self.value)
    }
}

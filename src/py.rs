//! The Python bindings: thin `#[pyclass]` wrappers over `crate::core`, one file per concept.
//!
//! Rules every binding here keeps:
//! * Shared classes are `#[pyclass(frozen)]`: Python can hold and share them between threads
//!   and PyO3 never needs a runtime borrow flag; all mutation goes through the core's locks or
//!   atomics (the one exception is the documented anti-pattern in `anti_pattern.rs`).
//! * Anything that can block (waiting on a lock held across a long section, a queue, a rayon
//!   job) detaches from the interpreter first (`py.detach`), so it never stalls a GIL build or a
//!   stop-the-world pause on 3.13t.
//! * Rust panics become Python exceptions (PyO3's `PanicException`) — never an abort.

pub mod anti_pattern;
pub mod bank;
pub mod counter;
pub mod critical_cell;
pub mod event_bus;
pub mod frozen;
pub mod latch;
pub mod mapping;
pub mod once;
pub mod parallel;
pub mod per_thread;
pub mod queue;
pub mod registry;
#[cfg(feature = "seeded-bugs")]
pub mod seeded;
pub mod snapshot;
pub mod subinterpreters;
pub mod wait;

/// `True`/`False`, for `__repr__`s that print a bool the way Python does.
pub(crate) fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

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

/// Generates a frozen pyclass holding its core value(s) and the class's `#[pymethods]`.
///
/// Why: every binding here is the same header (`#[pyclass(frozen, module = ...)]`, a struct
/// around the core, one `#[pymethods]` block), and the pattern macros (`counter_class!`,
/// `latch_class!`, `work_queue_class!`, ...) would each spell it out again; with this one each
/// of them says only its methods. An optional `getters { doc name: Type = field.method, ... }`
/// table declares the read-only properties that only forward to a core method (most of them),
/// one line each instead of a four-line function.
macro_rules! frozen_class {
    (
        $(#[$attr:meta])*
        class $name:ident(module = $module:literal) { $($field:ident: $ty:ty),+ $(,)? }
        getters {
            $($(#[$gattr:meta])* $getter:ident: $gty:ty = $gfield:ident.$gmethod:ident),+ $(,)?
        }
        $($methods:tt)*
    ) => {
        $crate::py::frozen_class! {
            $(#[$attr])*
            class $name(module = $module) { $($field: $ty),+ }
            $(
                $(#[$gattr])*
                #[getter]
                fn $getter(&self) -> $gty {
                    self.$gfield.$gmethod()
                }
            )+
            $($methods)*
        }
    };
    (
        $(#[$attr:meta])*
        class $name:ident(module = $module:literal) { $($field:ident: $ty:ty),+ $(,)? }
        $($methods:tt)*
    ) => {
        $(#[$attr])*
        #[::pyo3::pyclass(frozen, module = $module)]
        pub struct $name {
            $($field: $ty),+
        }

        #[::pyo3::pymethods]
        impl $name {
            $($methods)*
        }
    };
}
pub(crate) use frozen_class;

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

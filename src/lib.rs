//! ftlab: concurrency patterns for free-threaded Python, as a PyO3 extension.
//!
//! This file holds only the `#[pymodule]` and what it exports. The synchronization
//! protocols live in [`core`] (pure Rust, checked by loom and proptest through the shim in
//! [`sync`]); the Python-facing classes live in `py` (thin bindings, one file per concept).
//! The module declares `gil_used = false`: importing it on 3.13t must not re-enable the GIL,
//! and the test suite fails if it does.

pub mod core;
pub mod sync;

#[cfg(feature = "python")]
mod py;

#[cfg(feature = "python")]
use pyo3::prelude::*;

/// ftlab's extension module.
#[cfg(feature = "python")]
#[pymodule(gil_used = false)]
fn ftlab(m: &Bound<'_, PyModule>) -> PyResult<()> {
    py::subinterpreters::ensure_main_interpreter(m.py())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<py::counter::MutexGuardedCounter>()?;
    m.add_class::<py::counter::AtomicCounter>()?;
    m.add_class::<py::frozen::Point>()?;
    m.add_class::<py::frozen::FrozenMap>()?;
    m.add_class::<py::anti_pattern::UnsyncCounter>()?;
    m.add_function(wrap_pyfunction!(py::parallel::word_count, m)?)?;
    m.add_function(wrap_pyfunction!(py::parallel::sum_of_squares, m)?)?;
    m.add_function(wrap_pyfunction!(py::parallel::trigger_panic, m)?)?;
    m.add_function(wrap_pyfunction!(py::wait::set_wait_slice, m)?)?;
    // The type Rust panics surface as (`pyo3_runtime.PanicException`, a BaseException
    // subclass), exported so callers can catch it by name.
    m.add(
        "PanicException",
        m.py().get_type::<pyo3::panic::PanicException>(),
    )?;
    m.add_class::<py::latch::Latch>()?;
    m.add_class::<py::latch::PublishSlot>()?;
    m.add_class::<py::queue::WorkQueue>()?;
    m.add("QueueClosed", m.py().get_type::<py::queue::QueueClosed>())?;
    m.add_class::<py::once::OnceResource>()?;
    m.add_class::<py::counter::ShardedCounter>()?;
    m.add_class::<py::bank::Bank>()?;
    m.add(
        "OverdraftError",
        m.py().get_type::<py::bank::OverdraftError>(),
    )?;
    m.add_class::<py::registry::Registry>()?;
    m.add_class::<py::event_bus::EventBus>()?;
    m.add_class::<py::snapshot::SnapshotMap>()?;
    m.add_class::<py::per_thread::PerThreadCounter>()?;
    #[cfg(feature = "seeded-bugs")]
    py::seeded::register(m)?;
    Ok(())
}

//! `ftlab._seeded`: the deliberately broken twins, for the stress suite's bug hunt.
//!
//! Compiled only with the cargo feature `seeded-bugs`, never in a default or release build.
//! Each twin has the same Python API as the correct class it shadows and wraps the Rust twin
//! in `src/core/<protocol>/broken.rs` — the very code the loom models reject — so a stress
//! check that flags the twin is checking the bug loom found. `BUGS` maps each bug name to its
//! class name; `TSAN_ONLY` names the bugs only a race detector can see; `GIL_PROOF` the bugs
//! the GIL cannot hide, which detectors must catch on GIL builds too. One file per bug in
//! `seeded/`; each exposes `add(module, bugs)`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

pub mod check_then_act;
pub mod double_once_init;
pub mod lock_order_inversion;
pub mod lost_race_publishes;
pub mod lost_snapshot_update;
pub mod lost_update;
pub mod lost_wakeup_latch;
pub mod lost_wakeup_once;
pub mod lost_wakeup_queue;
pub mod mutex_across_callback;
pub mod non_unique_thread_slot;
pub mod queue_drop_or_duplicate;
pub mod racy_statistics;
pub mod relaxed_publication;
pub mod torn_multi_key_update;
pub mod unsafe_shared_mut;

/// Builds `ftlab._seeded` and attaches it to `parent` (also registering it in `sys.modules`
/// so `import ftlab._seeded` works).
pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = parent.py();
    let m = PyModule::new(py, "_seeded")?;
    m.gil_used(false)?;
    let bugs = PyDict::new(py);
    let mut gil_proof = Vec::new();
    lost_update::add(&m, &bugs)?;
    unsafe_shared_mut::add(&m, &bugs)?;
    check_then_act::add(&m, &bugs)?;
    lock_order_inversion::add(&m, &bugs, &mut gil_proof)?;
    torn_multi_key_update::add(&m, &bugs)?;
    relaxed_publication::add(&m, &bugs, &mut gil_proof)?;
    double_once_init::add(&m, &bugs, &mut gil_proof)?;
    queue_drop_or_duplicate::add(&m, &bugs, &mut gil_proof)?;
    lost_wakeup_latch::add(&m, &bugs, &mut gil_proof)?;
    lost_wakeup_queue::add(&m, &bugs, &mut gil_proof)?;
    lost_wakeup_once::add(&m, &bugs, &mut gil_proof)?;
    mutex_across_callback::add(&m, &bugs, &mut gil_proof)?;
    lost_snapshot_update::add(&m, &bugs)?;
    lost_race_publishes::add(&m, &bugs)?;
    non_unique_thread_slot::add(&m, &bugs)?;
    let mut tsan_only = Vec::new();
    racy_statistics::add(&m, &bugs, &mut tsan_only)?;
    m.add("BUGS", bugs)?;
    // Bugs no invariant can see (data races that break nothing checked): only a race detector
    // (ThreadSanitizer, `ci/tsan`) catches them, so the invariant hunt does not require them.
    m.add("TSAN_ONLY", pyo3::types::PyTuple::new(py, tsan_only)?)?;
    // Bugs the GIL cannot hide: their twins race while detached or inside Python code (where
    // the GIL changes hands), deadlock, or never notify. The other twins race inside one call
    // that holds the GIL throughout, so on a GIL build nothing can interleave there and their
    // detectors pass by design. `ci/pytest-twins` and the hunt require these on GIL builds too.
    m.add("GIL_PROOF", pyo3::types::PyTuple::new(py, gil_proof)?)?;
    parent.add_submodule(&m)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("ftlab._seeded", &m)?;
    Ok(())
}

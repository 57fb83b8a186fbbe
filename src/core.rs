//! The pure-Rust core: every synchronization protocol ftlab exposes, with no `pyo3` import.
//!
//! Each submodule is one protocol built only on the primitives of [`crate::sync`], so the
//! same code runs under parking_lot/std in the extension and under loom in
//! `tests/loom_<protocol>.rs`. Sequential-model properties (proptest) sit beside the code
//! they check; their regressions are committed in `proptest-regressions/`.
//!
//! Each protocol's deliberately broken twins live in `<protocol>/broken.rs`, compiled only
//! under `cfg(ftlab_loom)` (so loom can be shown to reject them) or with the `seeded-bugs`
//! feature (so the stress hunt can be shown to find them).

pub mod bank;
pub mod counter;
pub mod frozen_map;
pub mod kernels;
pub mod latch;
pub mod once;
pub mod per_thread;
pub mod queue;
pub mod registry;
pub mod snapshot;
pub mod subscriptions;
pub mod wake;
pub mod wordcount;

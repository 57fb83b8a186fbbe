//! The pure-Rust core: every synchronization protocol ftlab exposes, with no `pyo3` import.
//!
//! Each submodule is one protocol built only on the primitives of [`crate::sync`], so the
//! same code runs under parking_lot/std in the extension and under loom in
//! `tests/loom_<protocol>.rs`. Sequential-model properties (proptest) sit beside the code
//! they check; their regressions are committed in `proptest-regressions/`.

pub mod counter;

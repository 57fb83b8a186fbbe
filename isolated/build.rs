//! Build script: expose the target interpreter's version and build flavour as cfgs
//! (`Py_3_12`, `Py_3_13`, `Py_GIL_DISABLED`, ...) so the module slots can be chosen per
//! interpreter, exactly as pyo3-ffi itself does.

fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}

/* A deliberately GIL-requiring extension: single-phase init and no Py_mod_gil slot, so on a
 * free-threaded CPython importing it re-enables the GIL with a RuntimeWarning. It exists only
 * to prove that ftlab's GIL guard (python-tests/gil_guard.py) and the stress harness's guard
 * can fail. Never imported by the normal suite. */
#include <Python.h>

static struct PyModuleDef gil_reenabler_def = {
    PyModuleDef_HEAD_INIT, "gil_reenabler",
    "Test-only module that does not declare free-threading support.", -1, NULL,
};

PyMODINIT_FUNC PyInit_gil_reenabler(void) { return PyModule_Create(&gil_reenabler_def); }

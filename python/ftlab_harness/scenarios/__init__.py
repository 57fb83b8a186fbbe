"""The built-in scenarios: one module per ftlab pattern (mirroring `src/py/<pattern>.rs`), plus
scenarios for third-party extensions (`rpds.py`). Every module here is loaded by
`ftlab-harness run`; none imports its target at import time."""

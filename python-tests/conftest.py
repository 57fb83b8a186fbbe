"""Shared pytest setup for ftlab's suite.

`gil_guard` is imported before ftlab so that, on a free-threaded interpreter, an import that
re-enables the GIL fails loudly; its hooks (re-exported below, so pytest registers them for
this directory) check `sys._is_gil_enabled()` at the start and end of the session.
"""

import gil_guard  # must come before `import ftlab`
from gil_guard import pytest_configure, pytest_report_header, pytest_sessionfinish  # noqa: F401

import ftlab  # noqa: F401,E402  (imported once, under the guard)

assert gil_guard  # keep linters quiet about the ordering import

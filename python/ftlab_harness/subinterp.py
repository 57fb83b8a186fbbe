"""One small adapter over CPython's sub-interpreter APIs, for the tests and the models benchmark.

CPython has shipped sub-interpreters under a different name in each release:

    3.12    `_xxsubinterpreters` (private): create(isolated=...), run_string(id, code, shared)
            which raises RunFailedError("<class 'X'>: msg").
    3.13    `_interpreters` (private; `test.support.interpreters` wraps it): create(config) with
            the named configs "isolated" / "legacy", exec(id, code, shared) which *returns* an
            exception summary (type.__name__, msg) instead of raising.
    3.14    `concurrent.interpreters` (public, PEP 734), a wrapper over the same `_interpreters`.

This module talks to the low-level module (`_interpreters` on 3.13+, `_xxsubinterpreters` on
3.12) because it is the one API that offers both configurations on every version:

    "isolated"  own GIL (PEP 684), own allocator, `check_multi_interp_extensions=True`: CPython
                itself refuses extensions that do not declare per-interpreter-GIL support.
    "legacy"    shares the main GIL and allocator, no extension check (the pre-3.12 behaviour):
                only the extension's own code can refuse.

Before 3.12 there is no per-interpreter GIL, and `available()` is False with a reason in
`MISSING_REASON`; callers skip (never error). Results come back from a sub-interpreter through a
temporary file of JSON lines (`run_collect`): only ints and strs cross the boundary as `shared`
values, which every version supports.

Stdlib only; safe to call from many threads at once (each interpreter is used by one thread at a
time, as CPython requires).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from typing import Any

__all__ = ["API", "MISSING_REASON", "RunFailed", "available", "create", "destroy", "run", "run_collect",
           "list_ids", "CONFIGS"]

CONFIGS = ("isolated", "legacy")

_low: Any = None
API: str | None = None
# 3.12's `_xxsubinterpreters` destroys an interpreter as soon as the last `InterpreterID` object
# returned by `create` is garbage collected: keep them here until `destroy`.
_ID_OBJECTS: dict[int, Any] = {}
_ID_LOCK = threading.Lock()
MISSING_REASON = ""

if sys.version_info < (3, 12):
    MISSING_REASON = f"Python {sys.version_info[0]}.{sys.version_info[1]} has no per-interpreter GIL (needs 3.12+)"
else:
    try:
        import _interpreters as _low  # type: ignore[no-redef]  # 3.13+, also what concurrent.interpreters (3.14) wraps

        API = "_interpreters"
    except ImportError:
        try:
            import _xxsubinterpreters as _low  # type: ignore[no-redef]  # 3.12

            API = "_xxsubinterpreters"
        except ImportError:
            MISSING_REASON = "this interpreter was built without the sub-interpreter modules"


class RunFailed(Exception):
    """Code run in a sub-interpreter raised: `type_name` and `msg` of that exception."""

    def __init__(self, type_name: str, msg: str) -> None:
        super().__init__(f"{type_name}: {msg}")
        self.type_name = type_name
        self.msg = msg


def available() -> bool:
    """True when sub-interpreters with their own GIL can be created here."""
    return _low is not None


def _require() -> None:
    if _low is None:
        raise RuntimeError(f"sub-interpreters unavailable: {MISSING_REASON}")


def create(config: str = "isolated") -> int:
    """Create a sub-interpreter ("isolated": own GIL; "legacy": shared GIL); returns its ID."""
    _require()
    if config not in CONFIGS:
        raise ValueError(f"config must be one of {CONFIGS}, not {config!r}")
    if API == "_interpreters":
        return int(_low.create(config))
    id_object = _low.create(isolated=(config == "isolated"))
    with _ID_LOCK:
        _ID_OBJECTS[int(id_object)] = id_object
    return int(id_object)


def destroy(iid: int) -> None:
    """Destroy a sub-interpreter (it must not be running code)."""
    _require()
    with _ID_LOCK:
        id_object = _ID_OBJECTS.pop(iid, iid)
    _low.destroy(id_object)


def list_ids() -> list[int]:
    """IDs of every live interpreter, main (0) included."""
    _require()
    out = []
    for entry in _low.list_all():
        out.append(int(entry[0] if isinstance(entry, tuple) else entry))
    return sorted(out)


_XX_PREFIX = "<class '"


def run(iid: int, code: str, shared: dict[str, int | str] | None = None) -> None:
    """Run `code` in the sub-interpreter's `__main__` (after setting the `shared` names there);
    raise RunFailed(type_name, msg) if it raised."""
    _require()
    if API == "_interpreters":
        failed = _low.exec(iid, code, shared=dict(shared or {}))
        if failed is not None:
            raise RunFailed(failed.type.__name__, failed.msg)
        return
    try:
        with _ID_LOCK:
            id_object = _ID_OBJECTS.get(iid, iid)
        _low.run_string(id_object, code, dict(shared or {}))
    except _low.RunFailedError as e:  # "<class 'ImportError'>: message"
        text = str(e)
        if text.startswith(_XX_PREFIX) and "'>: " in text:
            qualname, _, msg = text[len(_XX_PREFIX):].partition("'>: ")
            raise RunFailed(qualname.rsplit(".", 1)[-1], msg) from None
        raise RunFailed("Exception", text) from None


_EMIT_PRELUDE = (
    "import json as _sub_json\n"
    "def _emit(obj):\n"
    "    with open(_sub_out_path, 'a', encoding='utf-8') as _f:\n"
    "        _f.write(_sub_json.dumps(obj) + '\\n')\n"
)


def run_collect(iid: int, code: str, shared: dict[str, int | str] | None = None) -> list[Any]:
    """Like `run`, but `code` may call `_emit(obj)` (obj JSON-serialisable) any number of times;
    returns the emitted objects, in order."""
    fd, path = tempfile.mkstemp(prefix="ftlab-subinterp-", suffix=".jsonl")
    os.close(fd)
    try:
        run(iid, _EMIT_PRELUDE + code, dict(shared or {}, _sub_out_path=path))
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    finally:
        os.unlink(path)

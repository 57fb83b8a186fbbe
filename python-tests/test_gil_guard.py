"""The GIL guard must be able to fail: a module that re-enables the GIL is reported.

Each test runs a child pytest session on a tiny generated test file, with the guard plugin, and
checks the child's verdict. Only meaningful on a free-threaded interpreter started with the GIL
off; skipped elsewhere with the reason.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gil_guard

HERE = Path(__file__).parent

pytestmark = [
    pytest.mark.skipif(not gil_guard.guard_active(), reason="the guard is inert unless free-threaded with the GIL off"),
    pytest.mark.thread_unsafe(reason="compiles a C module and runs child pytest sessions"),
]


def run_child(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    gil_guard.build_gil_reenabler(tmp_path)
    (tmp_path / "test_child.py").write_text(textwrap.dedent(body))
    env = {"PYTHONPATH": f"{tmp_path}:{HERE}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "gil_guard", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(tmp_path / "test_child.py")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )


def test_guard_fails_a_test_that_imports_a_gil_module(tmp_path):
    res = run_child(tmp_path, """
        def test_imports_it():
            import gil_reenabler
    """)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "gil_reenabler" in out and "global interpreter lock" in out, out


def test_guard_fails_the_session_when_the_gil_comes_back_without_a_warning(tmp_path):
    # Silence the warning entirely: the end-of-session check must still catch the GIL.
    res = run_child(tmp_path, """
        import warnings

        def test_imports_it_silently():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import gil_reenabler
    """)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "gil_guard: the GIL was re-enabled during the tests" in out, out


def test_guard_passes_a_clean_session(tmp_path):
    res = run_child(tmp_path, """
        def test_clean():
            import json
            assert json.loads("1") == 1
    """)
    assert res.returncode == 0, res.stdout + res.stderr


def test_this_session_has_the_gil_off():
    assert not sys._is_gil_enabled()

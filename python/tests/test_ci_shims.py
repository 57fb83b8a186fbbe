"""The `ci/` entry points are thin shims: they run with any python3 (no venv, no install) from
any working directory, and bad input is one line on stderr with exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parent.parent.parent / "ci"
SHIMS = {"provision-python": "provision", "envs": "envs", "stress-matrix": "matrix", "pytest-twins": "twins"}


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          check=False)


@pytest.mark.parametrize("name, module", SHIMS.items())
def test_each_shim_only_calls_its_module(name, module):
    text = (CI / name).read_text()
    assert text.startswith("#!/usr/bin/env python3\n")
    assert f"from ftlab_ci.{module} import main" in text
    assert len(text.splitlines()) < 25


@pytest.mark.parametrize("name", SHIMS)
def test_help_from_another_directory(tmp_path, name):
    p = run(tmp_path, str(CI / name), "--help")
    assert p.returncode == 0 and "usage:" in p.stdout


@pytest.mark.parametrize("name, args, expect", [
    ("provision-python", ["3.77"], "provision-python: error: unknown interpreter label '3.77'"),
    ("envs", ["3.77"], "envs: error: unknown interpreter label '3.77'"),
    ("pytest-twins", ["3.77"], "pytest-twins: error: unknown configuration label '3.77'"),
    ("pytest-twins", ["3.13+gil"], "pytest-twins: error: unknown configuration label '3.13+gil'"),
])
def test_bad_label_is_one_line_and_exit_2(tmp_path, name, args, expect):
    p = run(tmp_path, str(CI / name), *args)
    assert p.returncode == 2
    assert p.stderr.strip().startswith(expect) and len(p.stderr.strip().splitlines()) == 1

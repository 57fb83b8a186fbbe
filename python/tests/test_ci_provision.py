"""ftlab_ci.provision: label handling, candidate search and bad input (nothing is built here)."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import pytest

from ftlab_ci import labels, provision

HERE = sys.version_info[:2]
HERE_LABEL = labels.label_for(f"{HERE[0]}.{HERE[1]}", bool(sysconfig.get_config_var("Py_GIL_DISABLED")))


def test_requested_labels_default_is_every_searched_label_plus_explicit_only_with_a_path():
    assert provision.requested_labels([], {}) == list(labels.SEARCHED)
    assert provision.requested_labels([], {"3.14t": "/x"}) == list(labels.SEARCHED) + ["3.14t"]
    assert provision.requested_labels(["3.13t"], {}) == ["3.13t"]


@pytest.mark.parametrize("given, msg", [(["3.77"], "unknown interpreter label '3.77'"),
                                        (["3.14t"], "only used from an explicit path")])
def test_requested_labels_bad_input(given, msg):
    with pytest.raises(provision.BadInput, match=msg):
        provision.requested_labels(given, {})


def test_main_bad_label_is_one_line_exit_2(capsys):
    assert provision.main(["3.77"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("provision-python: error: unknown interpreter label") and "\n" not in err


def test_main_malformed_python_option_exit_2(capsys):
    assert provision.main(["--python", "3.13t", "3.13t"]) == 2
    assert "LABEL=PATH" in capsys.readouterr().err


def test_probe_of_this_interpreter_and_of_a_non_python(tmp_path):
    info = provision.probe(sys.executable)
    assert info is not None and provision.label_of(info) == HERE_LABEL
    fake = tmp_path / "python3.13t"
    fake.write_text("#!/bin/sh\necho not python\n")
    fake.chmod(0o755)
    assert provision.probe(str(fake)) is None
    assert provision.probe(str(tmp_path / "missing")) is None


def test_check_explicit_rejects_the_wrong_build(tmp_path):
    other = "3.13" if HERE_LABEL.endswith("t") else "3.13t"
    with pytest.raises(provision.BadInput, match=f"{other} needs"):
        provision.check_explicit(other, sys.executable)
    with pytest.raises(provision.BadInput, match="does not exist"):
        provision.check_explicit("3.13t", str(tmp_path / "nope"))
    assert provision.check_explicit(HERE_LABEL, sys.executable)["source"] == "explicit"


def _exe(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    path.chmod(0o755)


def test_pyenv_candidates_match_the_build_kind(tmp_path, monkeypatch):
    root = tmp_path / "pyenv"
    for version, name in [("3.13.0", "python3.13"), ("3.13.5t", "python3.13t"), ("3.13.1", "python3.13"),
                          ("3.13-dev", "python3.13")]:
        _exe(root / "versions" / version / "bin" / name)
    monkeypatch.setenv("PYENV_ROOT", str(root))
    gil = [Path(p).parts[-3] for p in provision.candidates_in_pyenv("3.13")]
    ft = [Path(p).parts[-3] for p in provision.candidates_in_pyenv("3.13t")]
    assert gil == ["3.13.1", "3.13.0"] and ft == ["3.13.5t"]


def test_cache_candidates_follow_ftlab_cache(tmp_path, monkeypatch):
    _exe(tmp_path / "python" / "cpython-3.13.5t" / "bin" / "python3.13t")
    _exe(tmp_path / "python" / "cpython-3.13.5" / "bin" / "python3.13")
    monkeypatch.setenv("FTLAB_CACHE", str(tmp_path))
    assert [Path(p).parts[-3] for p in provision.candidates_in_cache("3.13t")] == ["cpython-3.13.5t"]
    assert [Path(p).parts[-3] for p in provision.candidates_in_cache("3.13")] == ["cpython-3.13.5"]


def test_upstream_tarballs_ignore_signatures(tmp_path):
    for name in ["python3.13_3.13.5.orig.tar.xz", "python3.13_3.13.5.orig.tar.xz.asc", "other.tar.xz"]:
        (tmp_path / name).write_text("")
    assert [p.name for p in provision.upstream_tarballs(tmp_path)] == ["python3.13_3.13.5.orig.tar.xz"]


def test_missing_optional_label_without_build_is_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("FTLAB_CACHE", str(tmp_path))
    found, missing = provision.provision(["3.9", "3.13t"], {}, allow_build=False)
    assert found == []
    assert missing[0] == ("3.9", "not found on PATH, under pyenv or in the cache")
    assert "disabled by --no-build" in missing[1][1]


def test_row_format():
    info = {"minor": "3.13", "free_threaded": True, "version": "3.13.5", "source": "cache", "path": "/p"}
    assert provision.row(info).split() == ["3.13t", "3.13.5", "yes", "cache", "/p"]


def test_explicit_paths_from_the_environment(monkeypatch):
    monkeypatch.setenv("FTLAB_PYTHON_3_14T", "/opt/py314t")
    assert provision.explicit_paths([])["3.14t"] == "/opt/py314t"
    assert os.environ["FTLAB_PYTHON_3_14T"] == "/opt/py314t"

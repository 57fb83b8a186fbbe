"""ftlab_ci.labels: the one definition of interpreter and configuration labels."""

from __future__ import annotations

import pytest

from ftlab_ci import labels


def test_searched_labels_are_the_gil_builds_then_the_free_threaded_ones():
    assert labels.SEARCHED == ("3.9", "3.10", "3.11", "3.12", "3.13", "3.13t")
    assert set(labels.REQUIRED) <= set(labels.SEARCHED)
    assert set(labels.QUICK) <= set(labels.SEARCHED)
    assert not set(labels.EXPLICIT_ONLY) & set(labels.SEARCHED)


@pytest.mark.parametrize("label, minor, ft", [("3.9", "3.9", False), ("3.13", "3.13", False),
                                               ("3.13t", "3.13", True), ("3.14t", "3.14", True)])
def test_interpreter_properties(label, minor, ft):
    i = labels.interpreter(label)
    assert (i.minor, i.free_threaded) == (minor, ft)
    assert labels.label_for(minor, ft) == label


def test_a_free_threaded_interpreter_has_two_configurations_a_gil_build_one():
    assert [c.name for c in labels.Interpreter("3.13t").configurations()] == ["3.13t", "3.13t+gil"]
    assert [c.python_gil for c in labels.Interpreter("3.13t").configurations()] == [None, "1"]
    assert [c.name for c in labels.Interpreter("3.12").configurations()] == ["3.12"]


def test_all_configurations_in_matrix_order():
    names = [c.name for c in labels.all_configurations()]
    assert names == ["3.9", "3.10", "3.11", "3.12", "3.13", "3.13t", "3.13t+gil", "3.14", "3.14t", "3.14t+gil"]


@pytest.mark.parametrize("text, label, gil", [("3.13", "3.13", None), (" 3.13t ", "3.13t", None),
                                              ("3.13t+gil", "3.13t", "1"), ("3.14t+gil", "3.14t", "1")])
def test_configuration_parsing(text, label, gil):
    c = labels.configuration(text)
    assert (c.label, c.python_gil) == (label, gil)


@pytest.mark.parametrize("bad", ["3.13+gil", "3.8", "3.13T", "", "pypy3.10", "3.13t+GIL"])
def test_bad_configuration_is_a_one_line_error_listing_the_known(bad):
    with pytest.raises(labels.BadLabel) as e:
        labels.configuration(bad)
    assert "\n" not in str(e.value) and "3.13t+gil" in str(e.value)


def test_bad_interpreter_label():
    with pytest.raises(labels.BadLabel, match=r"unknown interpreter label '3\.7'"):
        labels.interpreter("3.7")
    with pytest.raises(labels.BadLabel):
        labels.interpreter("3.14t", known=labels.SEARCHED)


def test_configuration_env_sets_or_removes_python_gil():
    base = {"PYTHON_GIL": "0", "PATH": "/bin"}
    assert labels.configuration("3.13t").env(base) == {"PATH": "/bin"}
    assert labels.configuration("3.13t+gil").env(base) == {"PATH": "/bin", "PYTHON_GIL": "1"}
    assert base == {"PYTHON_GIL": "0", "PATH": "/bin"}  # not mutated


def test_env_var_names():
    assert labels.env_var("3.13t") == "FTLAB_PYTHON_3_13T"
    assert labels.env_var("3.9") == "FTLAB_PYTHON_3_9"


def test_explicit_paths_from_env_and_cli_cli_wins():
    env = {"FTLAB_PYTHON_3_13T": "/env/py", "FTLAB_PYTHON_3_14": "/env/py314", "FTLAB_PYTHON_3_12": ""}
    got = labels.explicit_paths(["3.13t=/cli/py"], env)
    assert got == {"3.13t": "/cli/py", "3.14": "/env/py314"}


@pytest.mark.parametrize("item, msg", [("3.13t", "LABEL=PATH"), ("3.13t=", "LABEL=PATH"),
                                       ("3.7=/x", "unknown label '3.7'")])
def test_explicit_path_bad_input(item, msg):
    with pytest.raises(labels.BadLabel, match=msg):
        labels.explicit_path(item)


def test_split_list():
    assert labels.split_list(" 3.13, 3.13t,,") == ["3.13", "3.13t"]
    assert labels.split_list("") == []

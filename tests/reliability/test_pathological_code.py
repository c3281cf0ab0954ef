"""Valid but pathological code (issue 9, item 8): expressions hundreds of levels deep and
deeply nested definitions are analysed without RecursionError, in time linear in the code."""
from __future__ import annotations

import time

import pytest

from kale_like.analysis import facts
from kale_like.api import plan
from kale_like.notebook import notebook_from_node
from kale_like.planning import build_plan

from .input_harness import build_notebook, kale_like, write_notebook

DEPTH = 500


def _chain(depth: int) -> dict[str, str]:
    """Cell sources that nest ``depth`` levels, each binding ``out`` from ``x``."""
    return {
        "elif chain": "if x == 0:\n    out = 0\n" + "".join(f"elif x == {i}:\n    out = {i}\n" for i in range(1, depth))
                      + "else:\n    out = -1\n",
        "long sum": "out = " + " + ".join("x" for _ in range(depth)),
        "method chain": "out = str(x)" + ".strip()" * depth,
        "subscript chain": "out = [x]" + "[0:1]" * depth,
        "conditional chain": "out = " + " if x else ".join("x" for _ in range(depth)),
        "not chain": "out = " + "not " * depth + "x",
        "comparison chain": "out = " + " < ".join("x" for _ in range(depth)),
        "subscript target": "out = {}\nout" + "['k']" * depth + " = x",
        "attribute target": "out = object()\nout" + ".a" * depth + " += x",
        "deep call args": "out = " + "max(x, " * 190 + "x" + ")" * 190,
    }


@pytest.mark.parametrize("shape", list(_chain(DEPTH)))
def test_deep_expression_is_analysed(shape):
    source = _chain(DEPTH)[shape]
    found = build_plan(notebook_from_node(build_notebook("x = 3", source, "print(out)")), "cells")
    steps = {s.name: s for s in found.pipeline.steps}
    assert {i.name: i.producer for i in steps["cell_2"].inputs} == {"x": "cell_1"}
    assert {i.name: i.producer for i in steps["cell_3"].inputs}["out"] == "cell_2"
    assert not [f for f in found.findings if f.severity == "error"]


@pytest.mark.parametrize("kind", ["def", "lambda", "class"])
def test_each_nested_definition_is_summarised_once(kind, monkeypatch):
    """Depth 20 took over a minute: every level summarised the levels below it twice."""
    depth = 20
    if kind == "def":
        source = "".join("    " * i + f"def f{i}(a{i}):\n" for i in range(depth)) + "    " * depth + "return x\n"
    elif kind == "lambda":
        source = "f0 = " + "lambda: " * depth + "x"
    else:
        source = "".join("    " * (2 * i) + f"class C{i}:\n" + "    " * (2 * i + 1) + f"def m{i}(self):\n"
                         + "    " * (2 * i + 2) + "y = x\n" for i in range(depth))
    calls = []
    original = facts._summarise
    monkeypatch.setattr(facts, "_summarise", lambda *a: calls.append(a[0]) or original(*a))
    began = time.perf_counter()
    found = build_plan(notebook_from_node(build_notebook("x = 3", source)), "cells")
    assert len(calls) == len({id(node) for node in calls}) == depth
    assert time.perf_counter() - began < 20  # exponential work took minutes; linear takes milliseconds
    assert [s.name for s in found.pipeline.steps] == ["cell_1", "cell_2"]


def test_nesting_beyond_the_analyser_is_reported_and_kept_safe():
    """A lambda nested 400 deep exceeds what the analyser follows: the statement is
    treated as reading and changing everything, with a warning, never a crash."""
    source = "g = " + "lambda: " * 400 + "x"
    found = build_plan(notebook_from_node(build_notebook("x = 3", source, "print(g)")), "cells")
    notes = [f for f in found.findings if f.code == "too-deep"]
    assert [(n.severity, n.cell, n.line) for n in notes] == [("warning", 2, 1)]
    steps = {s.name: s for s in found.pipeline.steps}
    assert "x" in {i.name for i in steps["cell_2"].inputs}
    assert "cell_2" in steps["cell_3"].upstream


@pytest.mark.parametrize("source", ["x = " + " + ".join(["1"] * 5000), "x = " + "-" * 20000 + "1",
                                    "x = y" + ".real" * 6000])
def test_code_python_cannot_parse_is_a_finding(source):
    found = build_plan(notebook_from_node(build_notebook(source, "print(1)")), "cells")
    errors = [f for f in found.findings if f.severity == "error"]
    assert [(f.code, f.cell) for f in errors] == [("syntax-error", 1)]
    assert "too deeply" in errors[0].message


@pytest.mark.parametrize("command", ["validate", "graph"])
def test_cli_answers_for_deep_notebooks(tmp_path, command):
    cells = ["x = 3", *_chain(DEPTH).values(), "g = " + "lambda: " * 300 + "x"]
    path = write_notebook(tmp_path / "deep.ipynb", *cells)
    result = kale_like(command, str(path))
    assert result.returncode == 0, result.stderr
    assert "RecursionError" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.kfp
def test_deep_notebook_compiles(tmp_path):
    pytest.importorskip("kfp")
    path = write_notebook(tmp_path / "deep.ipynb", "x = 3", _chain(DEPTH)["long sum"], "print(out)")
    result = kale_like("compile", str(path), "-o", str(tmp_path / "deep.yaml"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "deep.yaml").exists()


def test_api_plan_of_deep_notebook_file(tmp_path):
    path = write_notebook(tmp_path / "deep.ipynb", "x = 3", _chain(DEPTH)["method chain"], "print(out)")
    assert [s.name for s in plan(path, "cells").pipeline.steps] == ["cell_1", "cell_2", "cell_3"]

"""``api.analyze`` reads a file (the CLI) or a notebook's data already in memory (the
server's unsaved drafts, an ``nbformat.NotebookNode``): both give the same answer."""
from __future__ import annotations

import nbformat
from nbformat import v3

from kale_like import api

from notebook_builder import build_notebook

CELLS = (("import math\nx = math.pi", ["step:make"]), ("y = x * 2", ["step:double"]), ("print(y)", ["step:show"]))


def test_a_notebook_node_is_analysed_as_its_file(tmp_path):
    path = tmp_path / "report.ipynb"
    nbformat.write(build_notebook(*CELLS), path)
    from_file = api.analyze(path)
    from_node = api.analyze(nbformat.read(path, as_version=4), path=str(path))
    assert from_node == from_file
    assert from_node["pipeline"]["name"] == "report" and len(from_node["steps"]) == 3


def test_a_notebook_node_without_a_path_still_gets_a_name():
    analysis = api.analyze(build_notebook(*CELLS))
    assert analysis["pipeline"]["name"] and [s["name"] for s in analysis["steps"]] == ["make", "double", "show"]


def test_bad_data_is_one_diagnostic_naming_the_file():
    for data in ({"cells": "nope"}, build_notebook(("# nothing", "markdown")), build_notebook(("x = 1", ["limit:cpu"]))):
        analysis = api.analyze(data, path="/work/nb/draft.ipynb")
        [error] = analysis["diagnostics"]
        assert error["severity"] == "error" and analysis["steps"] == []
        assert "draft.ipynb" in error["message"] or error["cell"] == 1, error


def test_an_old_format_node_is_upgraded_as_a_file_would_be(tmp_path):
    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell(input="x = 1"),
                                                                v3.new_code_cell(input="print(x)")])])
    old.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(old, version=3), encoding="utf-8")
    assert api.analyze(dict(old), path=str(path), split="cells") == api.analyze(path, split="cells")
    assert len(api.analyze(path, split="cells")["steps"]) == 2

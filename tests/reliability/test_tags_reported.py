"""Tags are reported, never silently dropped or merged (issue 9, item 10)."""
from __future__ import annotations

import pytest

from kale_like.errors import TagError
from kale_like.notebook import notebook_from_node
from kale_like.planning import build_plan

from .input_harness import assert_one_clear_error, build_notebook, kale_like, notebook_node, write_json


def _plan(*cells):
    return build_plan(notebook_from_node(build_notebook(*cells)), "auto")


@pytest.mark.parametrize("tag", [5, 1.5, True, None, ["step:a"], {"step": "a"}])
def test_a_tag_that_is_not_a_string_names_its_cell(tag):
    node = build_notebook("x = 1", ("y = x", ["step:b"]))
    node.cells[1].metadata["tags"] = ["step:b", tag]
    with pytest.raises(TagError) as raised:
        build_plan(notebook_from_node(node))
    assert raised.value.location.cell == 2 and "not a string" in raised.value.message


def test_non_string_tag_on_the_command_line(tmp_path):
    node = notebook_node("x = 1", ("y = x", ["step:b"]))
    node["cells"][1]["metadata"]["tags"] = ["step:b", 7]
    result = kale_like("validate", "nb.ipynb", cwd=write_json(tmp_path / "nb.ipynb", node).parent)
    assert_one_clear_error(result, "cell 2", "tag 7 is not a string")


@pytest.mark.parametrize("cells, name, cell, earlier", [
    ([("a = 1", ["step:a"]), ("b = a", ["step:b"]), ("c = 2", ["step:a"])], "a", 3, "cell 1"),
    ([("a = 1", ["block:a"]), ("a2 = 2", []), ("b = a", ["block:b"]), ("c = 2", ["block:a"])], "a", 4, "cells 1, 2"),
    ([("a = 1", ["step:a"]), ("b = 1", ["step:b"]), ("c = 1", ["step:c"]), ("d = b", ["step:b"])], "b", 4, "cell 2"),
])
def test_a_step_named_in_two_places_is_reported_with_its_cells(cells, name, cell, earlier):
    found = _plan(*cells)
    notes = [f for f in found.findings if f.code == "step-in-two-places"]
    assert len(notes) == 1
    assert (notes[0].severity, notes[0].cell, notes[0].step) == ("warning", cell, name)
    assert f"{earlier} and cell {cell}" in notes[0].message


@pytest.mark.parametrize("cells", [
    [("a = 1", ["step:a"]), ("a2 = a", ["step:a"]), ("b = a2", ["step:b"])],      # repeated on adjacent cells
    [("a = 1", ["step:a"]), ("import os", ["imports"]), ("c = a", ["step:a"])],   # only shared code between
    [("a = 1", ["step:a"]), ("", ["step:b"]), ("c = a", ["step:a"])],             # an empty cell between
])
def test_one_step_in_one_place_is_not_reported(cells):
    assert not [f for f in _plan(*cells).findings if f.code == "step-in-two-places"]


def test_the_warning_reaches_validate(tmp_path):
    node = notebook_node(("a = 1", ["step:a"]), ("b = a", ["step:b"]), ("c = 2", ["step:a"]))
    result = kale_like("validate", "nb.ipynb", cwd=write_json(tmp_path / "nb.ipynb", node).parent)
    assert "step 'a' is named in two separate places" in result.stdout
    assert "cell 3" in result.stdout

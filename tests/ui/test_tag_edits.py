"""End to end in Chromium: editing tags without breaking the graph, the split choice,
step colours and long names (issue 10, items 2, 3 and 5)."""
from __future__ import annotations

import itertools

import pytest

from .conftest import Lab
from .helpers import dag_node, open_notebook, rename, shot, tag_bar
from .notebooks import LONG_NAME

pytestmark = pytest.mark.ui


def cell_color(page, cell: int) -> str:
    node = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(cell - 1)
    return node.evaluate("n => getComputedStyle(n).getPropertyValue('--kale-like-step-color')").strip()


def test_invalid_tag_fix_rename_skip_and_popups(page, lab: Lab):
    panel = open_notebook(page, lab, "tag_edits.ipynb")
    invalid = tag_bar(page, 3).get_by_role("note", name="Invalid tag step:clean data")
    invalid.wait_for()
    shot(page, "10-invalid-tag.png")
    invalid.get_by_role("button").click()  # "Fix: step:clean_data"
    assert tag_bar(page, 3).get_by_label("Step name").input_value() == "clean_data"
    assert tag_bar(page, 3).get_by_role("note").count() == 0
    dag_node(panel, "clean_data").wait_for(timeout=15_000)

    # renaming a step at its first cell renames what depends on it: the graph stays whole
    rename(tag_bar(page, 1), "fetch")
    dag_node(panel, "fetch").wait_for(timeout=15_000)
    panel.locator('[data-edge="fetch->train"]').wait_for(state="attached")
    assert dag_node(panel, "load").count() == 0
    assert "fetch" in tag_bar(page, 2).get_by_role("button", name="Depends on").inner_text()
    assert panel.get_by_text("No steps yet").count() == 0

    # Skip and back gives the step its name and dependency back
    role = tag_bar(page, 2).get_by_label("Cell role")
    role.select_option("skip")
    dag_node(panel, "train").wait_for(state="detached", timeout=15_000)
    assert tag_bar(page, 2).get_by_label("Step name").count() == 0
    role.select_option("step")
    assert tag_bar(page, 2).get_by_label("Step name").input_value() == "train"
    assert "fetch" in tag_bar(page, 2).get_by_role("button", name="Depends on").inner_text()
    panel.locator('[data-edge="fetch->train"]').wait_for(state="attached", timeout=15_000)

    # the depends-on popup closes on Escape and on a click outside it
    depends = tag_bar(page, 2).get_by_role("button", name="Depends on")
    menu = tag_bar(page, 2).get_by_role("group", name="Earlier steps")
    depends.click()
    menu.wait_for()
    page.keyboard.press("Escape")
    menu.wait_for(state="detached")
    depends.click()
    menu.wait_for()
    panel.get_by_role("heading", name="Pipeline").click()
    menu.wait_for(state="detached")

    # neighbouring steps never share a colour; a long name is cut with an ellipsis, whole on hover
    colors = [cell_color(page, n) for n in (1, 2, 3, 4)]
    assert all(colors) and all(a != b for a, b in itertools.pairwise(colors)), colors
    long = panel.locator(f'li.kale-like-step[data-step="{LONG_NAME}"] .kale-like-name')
    assert long.get_attribute("title") == LONG_NAME
    assert long.evaluate("n => n.scrollWidth > n.clientWidth")
    chip = tag_bar(page, 4).locator(".kale-like-chip")
    assert chip.get_attribute("title") == f"step {LONG_NAME}"
    assert chip.evaluate("n => n.scrollWidth > n.clientWidth")
    shot(page, "11-tags-edited.png")


def test_untagged_notebook_offers_the_split_choice(page, lab: Lab):
    panel = open_notebook(page, lab, "untagged.ipynb")
    enable = panel.get_by_role("checkbox", name="Enable")
    assert not enable.is_checked()
    enable.check()
    effect = panel.get_by_label("Split in effect")
    effect.wait_for(timeout=15_000)
    # only a title heading: auto makes one step per code cell, not one step
    assert "one step per cell" in effect.inner_text()
    for step in ("cell_2", "cell_3", "cell_4"):
        dag_node(panel, step).wait_for()
    panel.get_by_label("Split cells into steps by").select_option("headings")
    dag_node(panel, "an_untagged_notebook").wait_for(timeout=15_000)
    assert dag_node(panel, "cell_3").count() == 0
    assert "markdown headings" in effect.inner_text()
    shot(page, "12-split-choice.png")

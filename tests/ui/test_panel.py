"""End to end in Chromium: the panel, the tag editor, the DAG preview and Compile and Run."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from .conftest import ARTIFACTS, Lab
from .helpers import RUN_TIMEOUT_MS, dag_node, open_notebook

pytestmark = pytest.mark.ui


def test_tag_a_cell_see_the_dag_update_then_compile_and_run(page, lab: Lab):
    panel = open_notebook(page, lab, "pipeline_demo.ipynb")
    assert panel.get_by_role("checkbox", name="Enable").is_checked()
    dag_node(panel, "summarize").wait_for()
    assert dag_node(panel, "squares").count() == 0

    last_cell = page.locator(".jp-NotebookPanel .jp-CodeCell").nth(2)
    last_cell.scroll_into_view_if_needed()
    bar = last_cell.get_by_role("group", name="Pipeline tags of cell 4")
    bar.get_by_label("Cell role").select_option("step")
    name = bar.get_by_label("Step name")
    name.fill("")
    name.press_sequentially("squares")  # key by key: notebook shortcuts (a, s, r, …) must not fire
    name.press("Enter")
    assert page.locator(".jp-NotebookPanel .jp-CodeCell").count() == 3

    bar.get_by_role("button", name="Step settings").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Memory limit").fill("1Gi")
    dialog.get_by_label("Retries").fill("2")
    dialog.get_by_role("button", name="Save").click()
    dialog.wait_for(state="detached")

    dag_node(panel, "squares").wait_for(timeout=15_000)
    panel.locator('[data-edge="load->squares"]').wait_for(state="attached")
    assert last_cell.evaluate("n => getComputedStyle(n).getPropertyValue('--kale-like-step-color')").strip()
    page.screenshot(path=str(ARTIFACTS / "01-tagged-and-dag.png"))

    panel.get_by_role("button", name="Compile and Run").click()
    status = panel.get_by_role("status", name="Run status")
    status.get_by_text("Run succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    steps = panel.locator("li.kale-like-step")
    assert sorted(steps.evaluate_all("els => els.map(e => e.dataset.step)")) == ["load", "squares", "summarize"]
    assert set(steps.evaluate_all("els => els.map(e => e.dataset.state)")) == {"succeeded"}
    assert dag_node(panel, "squares").get_attribute("data-state") == "succeeded"
    status.get_by_role("button", name="Open executed notebook").wait_for()

    panel.screenshot(path=str(ARTIFACTS / "panel-after-run.png"))
    page.screenshot(path=str(ARTIFACTS / "02-run-succeeded.png"))
    docs = os.environ.get("KALE_LIKE_DOCS_SCREENSHOT")
    if docs:
        shutil.copy(ARTIFACTS / "02-run-succeeded.png", docs)

    if lab.root is not None:
        saved = json.loads((lab.root / "pipeline_demo.ipynb").read_text())
        # saved before the run, in the grammar the CLI reads
        assert saved["cells"][3]["metadata"]["tags"] == ["step:squares", "limit:memory:1Gi", "retries:2"]


def test_a_failing_step_shows_its_cell(page, lab: Lab):
    panel = open_notebook(page, lab, "failing_demo.ipynb")
    dag_node(panel, "explode").wait_for()
    panel.get_by_role("button", name="Compile and Run").click()
    status = panel.get_by_role("status", name="Run status")
    status.get_by_text("Run failed").wait_for(timeout=RUN_TIMEOUT_MS)
    assert "explode" in status.inner_text()
    assert "boom: y is 6" in status.inner_text()
    assert panel.locator('li.kale-like-step[data-step="explode"]').get_attribute("data-state") == "failed"

    failed = page.locator(".jp-NotebookPanel .jp-Cell.kale-like-failed-cell")
    failed.wait_for()
    assert failed.count() == 1
    assert "raise ValueError" in failed.inner_text()
    status.get_by_role("button", name="cell 2, line 2").click()
    assert "jp-mod-active" in (failed.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "03-run-failed.png"))

"""What the browser tests do again and again: open a notebook with the panel, find things in it."""
from __future__ import annotations

from .conftest import ARTIFACTS, Lab

RUN_TIMEOUT_MS = 120_000


def open_notebook(page, lab: Lab, name: str):
    # ?reset: a fresh workspace, so that notebooks earlier tests opened are not restored
    page.goto(lab.url(f"lab/tree/{name}?reset"))
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.wait_for(timeout=60_000)
    tab = page.locator('.jp-SideBar.jp-mod-left li[data-id="kale-like-panel"]')
    tab.wait_for()
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    panel = page.locator("#kale-like-panel")
    panel.get_by_text(name).first.wait_for()
    return panel


def dag_node(panel, step: str):
    return panel.get_by_role("group", name="Pipeline graph").locator(f'[data-step="{step}"]')


def tag_bar(page, cell: int):
    """The tag bar of notebook cell ``cell`` (1-based, counting every cell)."""
    return page.locator(".jp-NotebookPanel:visible").get_by_role("group", name=f"Pipeline tags of cell {cell}")


def rename(bar, name: str) -> None:
    field = bar.get_by_label("Step name")
    field.fill("")
    field.press_sequentially(name)  # key by key: notebook shortcuts (a, s, r, …) must not fire
    field.press("Enter")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def run_status(panel):
    return panel.get_by_role("status", name="Run status")

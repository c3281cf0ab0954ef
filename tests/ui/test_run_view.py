"""End to end in Chromium: reading a failed run as Jupyter shows errors (items 1 and 4)."""
from __future__ import annotations

import os

import pytest

from .conftest import ARTIFACTS, Lab
from .helpers import RUN_TIMEOUT_MS, open_notebook, run_status, shot

pytestmark = pytest.mark.ui


def test_failed_run_shows_the_traceback_as_jupyter_does(page, lab: Lab):
    panel = open_notebook(page, lab, "library_error.ipynb")
    panel.get_by_role("button", name="Compile and Run").click()
    status = run_status(panel)
    status.get_by_text("Run failed").wait_for(timeout=RUN_TIMEOUT_MS)

    traceback = status.get_by_role("region", name="Traceback")
    traceback.locator(".jp-OutputArea-output").wait_for()
    text = traceback.inner_text()
    assert "\x1b[" not in text and "[91m" not in text and "[39m" not in text
    # coloured by JupyterLab's ANSI renderer, as in a notebook
    assert traceback.locator("span[class*='ansi-']").count() > 5
    # the user's frames first; the json internals folded away below
    assert "Cell In[3], line 4" in text and "Cell In[3], line 2" in text
    assert "json/" not in text and "decoder.py" not in text
    assert text.rstrip().splitlines()[-1].startswith("JSONDecodeError")
    library = status.locator("details", has_text="in libraries")
    assert library.locator("summary").inner_text().endswith("in libraries")
    library.locator("summary").click()
    assert "json/" in status.get_by_role("region", name="Library frames").inner_text()

    # the cell link puts the cursor on the failing line, in edit mode
    status.get_by_role("button", name="cell 3, line 4").click()
    failed = page.locator(".jp-NotebookPanel:visible .jp-Cell.kale-like-failed-cell")
    failed.wait_for()
    page.locator(".jp-NotebookPanel:visible .jp-Notebook.jp-mod-editMode").wait_for()
    assert "jp-mod-active" in (failed.get_attribute("class") or "")
    assert page.locator(".jp-StatusBar-Widget", has_text="Ln 4, Col 1").count() == 1
    shot(page, "20-run-failed-traceback.png")
    docs = os.environ.get("KALE_LIKE_DOCS_DIR")
    if docs:
        page.screenshot(path=os.path.join(docs, "panel-failed-run.png"))

    # the whole traceback in a tab as wide as the window
    status.get_by_role("button", name="Open traceback in a tab").click()
    tab = page.locator(".kale-like-traceback-tab")
    tab.locator(".jp-OutputArea-output").wait_for()
    assert "json/" in tab.inner_text() and "Cell In[3]" in tab.inner_text()
    page.get_by_role("tab", name="Traceback: explode").wait_for()

    # the partial executed notebook it wrote
    status.get_by_role("button", name="Open the partial executed notebook").click()
    page.get_by_role("tab", name="library_error.executed.ipynb").wait_for(timeout=30_000)
    shot(page, "21-partial-executed-notebook.png")
    assert (ARTIFACTS / "21-partial-executed-notebook.png").exists()
    if lab.root is not None:
        assert (lab.root / "library_error.executed.ipynb").exists()

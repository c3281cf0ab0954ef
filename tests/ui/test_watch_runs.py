"""End to end in Chromium: watching runs (issue 10, items 7–10): live step output,
Cancel, outputs back in the open notebook, the run history across a reload, re-run,
and a Kubeflow run followed step by step (against the KFP contract server)."""
from __future__ import annotations

import os

import pytest

from .conftest import Lab
from .helpers import RUN_TIMEOUT_MS, dag_node, open_notebook, run_status, shot

pytestmark = pytest.mark.ui


def notebook_tab(page, name: str):
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)


def test_live_output_survives_a_reload_and_cancel_says_cancelled(page, lab: Lab):
    panel = open_notebook(page, lab, "slow_output.ipynb")
    panel.get_by_role("button", name="Compile and Run").click()
    output = panel.get_by_role("log", name="Output of step ticking")
    output.get_by_text("tick 2").wait_for(timeout=RUN_TIMEOUT_MS)
    assert "Running" in run_status(panel).inner_text()
    assert panel.locator('li.kale-like-step[data-step="ticking"]').get_attribute("data-state") == "running"
    shot(page, "30-live-output.png")

    # a browser reload: the panel finds the run in the history and follows it again
    page.reload()
    panel = open_notebook(page, lab, "slow_output.ipynb")
    output = panel.get_by_role("log", name="Output of step ticking")
    output.get_by_text("tick 0").wait_for(timeout=30_000)  # replayed from the start
    seen = output.inner_text().count("tick")
    page.wait_for_function(
        f"() => (document.querySelector('[aria-label=\"Output of step ticking\"]')?.innerText.match(/tick/g) || []).length > {seen}",
        timeout=30_000)  # …and still live
    history = panel.get_by_role("list", name="Recent runs")
    history.locator("li[data-state='running']").wait_for()

    panel.get_by_role("button", name="Cancel", exact=True).click()
    status = run_status(panel)
    status.get_by_text("Run cancelled").wait_for(timeout=60_000)
    assert "Cancelled" in status.inner_text()
    assert "undefined" not in status.inner_text() and "In cell ," not in status.inner_text()
    assert panel.locator('li.kale-like-step[data-step="ticking"]').get_attribute("data-state") == "cancelled"
    history.locator("li[data-state='cancelled']").wait_for(timeout=15_000)
    shot(page, "31-cancelled.png")


def test_outputs_back_history_reload_and_rerun(page, lab: Lab):
    panel = open_notebook(page, lab, "outputs_back.ipynb")
    # JupyterLab writes the kernel's language_info into the notebook once the kernel is up:
    # wait for that edit, so that the save at Run leaves the notebook clean.
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").wait_for(timeout=60_000)
    panel.get_by_label("Parameter n").fill("7")
    panel.get_by_role("button", name="Compile and Run").click()
    status = run_status(panel)
    status.get_by_text("Run succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    answer = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").nth(2)
    assert answer.locator(".jp-OutputArea-output").count() == 0
    assert "jp-mod-dirty" not in (notebook_tab(page, "outputs_back.ipynb").get_attribute("class") or "")

    # offered, not done: only on the click do the outputs (and the unsaved mark) appear
    status.get_by_role("button", name="Show outputs in this notebook").click()
    answer.locator(".jp-OutputArea-output", has_text="49").wait_for()
    page.locator(".jp-NotebookPanel:visible .jp-CodeCell").nth(1).locator(".jp-OutputArea-output",
                                                                           has_text="n is 7").wait_for()
    assert "jp-mod-dirty" in (notebook_tab(page, "outputs_back.ipynb").get_attribute("class") or "")
    shot(page, "32-outputs-back.png")

    history = panel.get_by_role("list", name="Recent runs")
    first = history.locator("li").first
    first.get_by_text("n=7").wait_for(timeout=15_000)
    assert "make succeeded" in first.inner_text() and "answer succeeded" in first.inner_text()
    # re-run with the recorded parameters, not what the form says now
    panel.get_by_label("Parameter n").fill("3")
    first.get_by_role("button", name="Re-run").click()
    history.locator("li").nth(1).wait_for(timeout=15_000)
    status.get_by_text("Run succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(
        "() => document.querySelectorAll('[aria-label=\"Recent runs\"] li[data-state=\"succeeded\"]').length >= 2",
        timeout=30_000)
    assert [li.count("n=7") for li in history.locator("li").all_inner_texts()][:2] == [1, 1]

    # a reload: the history comes back from the server (it is kept on disk)
    page.reload()
    panel = open_notebook(page, lab, "outputs_back.ipynb")
    history = panel.get_by_role("list", name="Recent runs")
    history.locator("li").nth(1).wait_for(timeout=30_000)
    assert history.locator("li[data-state='succeeded']").count() >= 2
    history.locator("li").first.get_by_role("button", name="executed notebook").wait_for()
    shot(page, "33-run-history.png")
    docs = os.environ.get("KALE_LIKE_DOCS_DIR")
    if docs:
        panel.get_by_role("region", name="Runs").scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(docs, "panel-run-history.png"))


@pytest.fixture
def fake_kfp():
    pytest.importorskip("kfp")
    from fake_kfp import FakeKfp

    fake = FakeKfp(run_states=["PENDING"] + ["RUNNING"] * 6 + ["SUCCEEDED"],
                   task_states=[{}, {"make": "RUNNING"}, {"make": "RUNNING"},
                                {"make": "SUCCEEDED", "double": "RUNNING"}, {"make": "SUCCEEDED", "double": "RUNNING"},
                                {"make": "SUCCEEDED", "double": "RUNNING"}, {"make": "SUCCEEDED", "double": "RUNNING"},
                                {"make": "SUCCEEDED", "double": "SUCCEEDED"}])
    url = fake.start()
    yield fake, url
    fake.stop()


def test_a_kubeflow_run_shows_each_steps_state_and_its_page(page, lab: Lab, fake_kfp):
    fake, url = fake_kfp
    panel = open_notebook(page, lab, "on_kubeflow.ipynb")
    panel.get_by_role("combobox", name="Backend").select_option("kfp")
    panel.get_by_label("KFP host").fill(url)
    panel.get_by_role("button", name="Compile and Run").click()
    status = run_status(panel)
    status.get_by_text("Running on Kubeflow Pipelines").wait_for(timeout=RUN_TIMEOUT_MS)
    link = status.get_by_role("link", name="Open the run in Kubeflow Pipelines")
    link.wait_for(timeout=30_000)
    assert "/#/runs/details/" in (link.get_attribute("href") or "")
    page.wait_for_function(
        "() => document.querySelector('#kale-like-panel li.kale-like-step[data-step=\"double\"]')?.dataset.state"
        " === 'running'", timeout=30_000)
    assert panel.locator('li.kale-like-step[data-step="make"]').get_attribute("data-state") == "succeeded"
    shot(page, "34-kubeflow-running.png")
    status.get_by_text("Run succeeded on Kubeflow Pipelines").wait_for(timeout=60_000)
    assert dag_node(panel, "double").get_attribute("data-state") == "succeeded"
    assert any(r.route == "/apis/v2beta1/runs/{run_id}" for r in fake.requests)
    history = panel.get_by_role("list", name="Recent runs")
    history.locator("li").first.get_by_role("link", name="Kubeflow run page").wait_for(timeout=15_000)
    panel.get_by_role("combobox", name="Backend").select_option("local")  # leave the user setting as it was

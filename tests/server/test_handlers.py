"""The REST API under /kale-like/, through a real jupyter_server (pytest-jupyter's jp_fetch)."""
from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.parse

import pytest
import tornado.httpclient

from .conftest import FAILING, SLOW, TWO_STEPS, notebook_json
from notebook_builder import build_notebook

NO_TOKEN = {"Authorization": ""}


async def call(jp_fetch, method: str, *parts: str, body=None, **kwargs):
    """jp_fetch that returns (status, json) instead of raising on 4xx/5xx."""
    if method == "POST" and body is None:
        body = {}
    try:
        response = await jp_fetch("kale-like", *parts, method=method,
                                  body=None if body is None else json.dumps(body), **kwargs)
    except tornado.httpclient.HTTPClientError as error:
        response = error.response
    text = response.body.decode() if response.body else ""
    return response.code, (json.loads(text) if text.startswith(("{", "[")) else text)


async def events_of(jp_fetch, run_id: str, after: int | None = None) -> list[dict]:
    """Follow a run's server-sent events to the end of the stream."""
    chunks: list[bytes] = []
    params = {} if after is None else {"after": str(after)}
    response = await jp_fetch("kale-like", "runs", run_id, "events", params=params,
                              streaming_callback=chunks.append, request_timeout=120)
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = []
    for block in b"".join(chunks).decode().split("\n\n"):
        data = [line[5:].strip() for line in block.splitlines() if line.startswith("data:")]
        if data:
            events.append(json.loads("\n".join(data)))
    return events


async def start_run(jp_fetch, path: str, **body):
    status, run = await call(jp_fetch, "POST", "runs", body={"path": path, **body})
    assert status == 202, run
    return run


ENDPOINTS = [("GET", ("info",)), ("POST", ("analyze",)), ("POST", ("compile",)), ("GET", ("runs",)),
             ("POST", ("runs",)), ("GET", ("runs", "0123456789ab")), ("GET", ("runs", "0123456789ab", "events")),
             ("POST", ("runs", "0123456789ab", "cancel"))]


@pytest.mark.parametrize("method, parts", ENDPOINTS)
async def test_every_endpoint_refuses_requests_without_a_token(jp_fetch, write_notebook, method, parts):
    write_notebook("demo.ipynb", TWO_STEPS)
    body = {"path": "demo.ipynb"} if method == "POST" else None
    status, _ = await call(jp_fetch, method, *parts, body=body, headers=NO_TOKEN)
    assert status == 403


async def test_cookie_login_needs_the_xsrf_header_for_writes(jp_fetch, jp_auth_header, write_notebook):
    token = jp_auth_header["Authorization"].split()[-1]
    write_notebook("demo.ipynb", TWO_STEPS)
    login = await jp_fetch("login", method="GET", headers=NO_TOKEN)
    xsrf = _cookies(login)["_xsrf"]
    try:
        await jp_fetch("login", method="POST", headers={**NO_TOKEN, "Cookie": f"_xsrf={xsrf}"},
                       body=urllib.parse.urlencode({"_xsrf": xsrf, "password": token}),
                       follow_redirects=False)
    except tornado.httpclient.HTTPClientError as redirect:
        session = _cookies(redirect.response)
    cookie = "; ".join(f"{k}={v}" for k, v in {**session, "_xsrf": xsrf}.items())
    status, _ = await call(jp_fetch, "GET", "info", headers={**NO_TOKEN, "Cookie": cookie})
    assert status == 200  # the cookie alone authenticates reads
    status, body = await call(jp_fetch, "POST", "analyze", body={"path": "demo.ipynb"},
                              headers={**NO_TOKEN, "Cookie": cookie})
    assert status == 403 and "xsrf" in body["message"].lower()
    status, body = await call(jp_fetch, "POST", "analyze", body={"path": "demo.ipynb"},
                              headers={**NO_TOKEN, "Cookie": cookie, "X-XSRFToken": xsrf})
    assert status == 200, body


def _cookies(response) -> dict[str, str]:
    found = {}
    for header in response.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0].strip('"')
    return found


async def test_info_names_the_backends(jp_fetch):
    status, info = await call(jp_fetch, "GET", "info")
    assert status == 200
    assert "local" in info["backends"] and info["version"]


async def test_analyze_the_saved_notebook(jp_fetch, write_notebook):
    write_notebook("sub/demo.ipynb", TWO_STEPS)
    status, analysis = await call(jp_fetch, "POST", "analyze", body={"path": "sub/demo.ipynb"})
    assert status == 200, analysis
    assert [s["name"] for s in analysis["steps"]] == ["make", "double"]
    assert analysis["steps"][1]["inputs"] == [{"name": "x", "producer": "make"}]
    assert analysis["steps"][1]["cells"] == [2]
    assert ["make", "double"] in analysis["edges"]


async def test_analyze_unsaved_content_follows_tag_edits(jp_fetch, write_notebook):
    write_notebook("demo.ipynb", TWO_STEPS)
    edited = notebook_json(("x = 2", ["step:make"]), ("y = x * 3", ["step:double"]), ("z = y + x", ["step:total"]))
    status, analysis = await call(jp_fetch, "POST", "analyze", body={"path": "demo.ipynb", "content": edited})
    assert status == 200, analysis
    assert [s["name"] for s in analysis["steps"]] == ["make", "double", "total"]
    assert analysis["pipeline"]["name"]  # named after the file, not the temp copy's folder
    assert not [p for p in os.listdir(os.path.dirname(__file__)) if p.startswith("kale-like-draft")]


async def test_analyze_reports_a_bad_tag_as_a_diagnostic_on_its_cell(jp_fetch, write_notebook):
    write_notebook("bad.ipynb", notebook_json(("x = 1", ["step:make"]), ("y = x", ["limit:memory:lots"])))
    status, analysis = await call(jp_fetch, "POST", "analyze", body={"path": "bad.ipynb"})
    assert status == 200
    [diagnostic] = [d for d in analysis["diagnostics"] if d["severity"] == "error"]
    assert diagnostic["cell"] == 2 and "limit:memory:lots" in diagnostic["message"]


TRAVERSALS = ["../outside.ipynb", "sub/../../outside.ipynb", "/etc/outside.ipynb", "..\\outside.ipynb",
              "C:/outside.ipynb", "notes.txt", ""]


@pytest.mark.parametrize("endpoint", ["analyze", "compile", "runs"])
@pytest.mark.parametrize("path", TRAVERSALS)
async def test_paths_outside_the_root_are_refused(jp_fetch, jp_root_dir, endpoint, path):
    (jp_root_dir.parent / "outside.ipynb").write_text(json.dumps(TWO_STEPS))
    status, body = await call(jp_fetch, "POST", endpoint, body={"path": path})
    assert status == 400, body
    assert body["message"]


async def test_a_symlink_out_of_the_root_is_refused(jp_fetch, jp_root_dir):
    outside = jp_root_dir.parent / "outside.ipynb"
    outside.write_text(json.dumps(TWO_STEPS))
    (jp_root_dir / "link.ipynb").symlink_to(outside)
    status, body = await call(jp_fetch, "POST", "analyze", body={"path": "link.ipynb"})
    assert status == 400 and "outside the server root" in body["message"]


@pytest.mark.parametrize("path", ["missing.ipynb", ".hidden/demo.ipynb"])
async def test_missing_or_hidden_notebooks_are_404(jp_fetch, write_notebook, path):
    write_notebook(".hidden/demo.ipynb", TWO_STEPS)
    status, body = await call(jp_fetch, "POST", "analyze", body={"path": path})
    assert status == 404, body


async def test_user_errors_are_400_with_the_diagnostic_and_bugs_500(jp_fetch, write_notebook, monkeypatch):
    from kale_like import api
    from kale_like.errors import Location, NotebookError

    write_notebook("demo.ipynb", TWO_STEPS)

    def user_error(path, split="auto"):
        raise NotebookError("the notebook has no code to run", Location(cell=4))
    monkeypatch.setattr(api, "analyze", user_error)
    status, body = await call(jp_fetch, "POST", "analyze", body={"path": "demo.ipynb"})
    assert status == 400
    assert body["diagnostic"]["cell"] == 4 and body["error"] == "NotebookError"

    def bug(path, split="auto"):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(api, "analyze", bug)
    status, body = await call(jp_fetch, "POST", "analyze", body={"path": "demo.ipynb"})
    assert status == 500
    assert body["message"] == "ZeroDivisionError: division by zero" and "Traceback" not in str(body)


@pytest.mark.parametrize("body", [[1, 2], {"path": "demo.ipynb", "parameters": [1]},
                                  {"path": "demo.ipynb", "backend": "cloud"}, {"path": "demo.ipynb", "jobs": 0}])
async def test_malformed_run_requests_are_400(jp_fetch, write_notebook, body):
    write_notebook("demo.ipynb", TWO_STEPS)
    status, reply = await call(jp_fetch, "POST", "runs", body=body)
    assert status == 400, reply


@pytest.fixture
def fake_kfp(monkeypatch):
    """The contract server the KFP tests use, with per-step task states; polled quickly."""
    pytest.importorskip("kfp")
    from kale_like.server import kfp_status

    from fake_kfp import FakeKfp

    monkeypatch.setattr(kfp_status, "POLL_SECONDS", 0.05)
    servers = []

    def make(run_states, task_states):
        fake = FakeKfp(run_states=run_states, task_states=task_states)
        servers.append(fake)
        return fake, fake.start()
    yield make
    for fake in servers:
        fake.stop()


async def test_a_kubeflow_run_reports_each_step_through_kfp_client_and_links_its_page(
        jp_fetch, write_notebook, fake_kfp, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fake, url = fake_kfp(
        ["PENDING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"],
        [{}, {"root-driver": "RUNNING", "make": "RUNNING"},
         {"make": "SUCCEEDED", "double-driver": "SUCCEEDED", "double": "RUNNING"},
         {"make": "SUCCEEDED", "double": "RUNNING"},
         {"make": "SUCCEEDED", "double": "SUCCEEDED"}])
    write_notebook("demo.ipynb", TWO_STEPS)
    run = await start_run(jp_fetch, "demo.ipynb", backend="kfp", parameters={},
                          kfp={"host": url, "token": "t0k", "namespace": ""})
    events = await events_of(jp_fetch, run["id"])
    steps = [(e["step"], e["state"]) for e in events if e["type"] == "step"]
    assert steps == [("make", "running"), ("make", "succeeded"), ("double", "running"), ("double", "succeeded")]
    submitted = next(e for e in events if e["type"] == "submitted")
    assert submitted["url"].endswith(f"/#/runs/details/{submitted['run_id']}")
    finished = events[-1]
    assert finished["ok"] is True and finished["output_url"] == submitted["url"] and finished["output_path"] is None
    assert all(r.headers.get("authorization") == "Bearer t0k" for r in fake.requests if r.route)
    assert sum(r.route == "/apis/v2beta1/runs/{run_id}" for r in fake.requests) == 5
    status, history = await call(jp_fetch, "GET", "runs", params={"path": "demo.ipynb"})
    assert status == 200
    assert history[0]["kfp_run_id"] == submitted["run_id"] and history[0]["state"] == "succeeded"
    assert history[0]["steps"]["double"]["state"] == "succeeded"


@pytest.mark.parametrize("final, state", [("FAILED", "failed"), ("CANCELED", "cancelled")])
async def test_a_kubeflow_run_that_does_not_succeed_says_so(jp_fetch, write_notebook, fake_kfp, tmp_path,
                                                           monkeypatch, final, state):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _, url = fake_kfp(["RUNNING", final], [{"make": "RUNNING"}, {"make": final, "double": "SKIPPED"}])
    write_notebook("demo.ipynb", TWO_STEPS)
    run = await start_run(jp_fetch, "demo.ipynb", backend="kfp", kfp={"host": url})
    events = await events_of(jp_fetch, run["id"])
    assert events[-1]["ok"] is False and final in events[-1]["error"]["message"]
    assert [(e["step"], e["state"]) for e in events if e["type"] == "step"][-2:] == [("make", state), ("double", "skipped")]


async def test_cancelling_a_kubeflow_run_terminates_it_on_the_server(jp_fetch, write_notebook, fake_kfp, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fake, url = fake_kfp(["RUNNING"], [{"make": "RUNNING"}])  # runs until terminated
    write_notebook("demo.ipynb", TWO_STEPS)
    run = await start_run(jp_fetch, "demo.ipynb", backend="kfp", kfp={"host": url})
    for _ in range(200):
        _, now = await call(jp_fetch, "GET", "runs", run["id"])
        if now["steps"].get("make", {}).get("state") == "running":
            break
        await asyncio.sleep(0.05)
    await call(jp_fetch, "POST", "runs", run["id"], "cancel")
    events = await events_of(jp_fetch, run["id"])
    assert any(r.route == "/apis/v2beta1/runs/{run_id}:terminate" for r in fake.requests)
    assert ("make", "cancelled") in [(e["step"], e["state"]) for e in events if e["type"] == "step"]
    _, final = await call(jp_fetch, "GET", "runs", run["id"])
    assert final["state"] == "cancelled"


async def test_a_kubeflow_submission_that_fails_ends_the_run_with_its_message(jp_fetch, write_notebook,
                                                                             monkeypatch):
    from kale_like import api
    from kale_like.errors import KaleLikeError

    def submit(path, **kwargs):
        raise KaleLikeError("cannot reach Kubeflow Pipelines at http://127.0.0.1:9", hint="check the KFP host")
    monkeypatch.setattr(api, "submit", submit, raising=False)
    write_notebook("demo.ipynb", TWO_STEPS)
    run = await start_run(jp_fetch, "demo.ipynb", backend="kfp", kfp={"host": "http://127.0.0.1:9"})
    finished = (await events_of(jp_fetch, run["id"]))[-1]
    assert finished["ok"] is False and "cannot reach" in finished["error"]["message"]
    status, body = await call(jp_fetch, "POST", "runs", body={"path": "demo.ipynb", "backend": "kfp", "kfp": "x"})
    assert status == 400 and "'kfp'" in body["message"]


async def test_a_real_local_run_streams_progress_and_writes_the_executed_notebook(jp_fetch, write_notebook,
                                                                                 jp_root_dir):
    write_notebook("demo.ipynb", TWO_STEPS)
    run = await start_run(jp_fetch, "demo.ipynb")
    assert run["path"] == "demo.ipynb" and run["state"] in ("running", "succeeded")

    events = await events_of(jp_fetch, run["id"])
    assert events[0]["type"] == "plan" and events[0]["steps"] == ["make", "double"]
    assert [e["seq"] for e in events] == list(range(len(events)))
    states = {(e["step"], e["state"]) for e in events if e["type"] == "step"}
    assert {("make", "running"), ("make", "succeeded"), ("double", "succeeded")} <= states
    finished = events[-1]
    assert finished["type"] == "finished" and finished["ok"] is True, finished
    assert finished["output_path"] == "demo.executed.ipynb"
    executed = json.loads((jp_root_dir / "demo.executed.ipynb").read_text())
    assert "6" in json.dumps(executed["cells"][1]["outputs"])

    status, snapshot = await call(jp_fetch, "GET", "runs", run["id"])
    assert status == 200 and snapshot["state"] == "succeeded"
    assert snapshot["steps"] == {"make": {"state": "succeeded", "elapsed": snapshot["steps"]["make"]["elapsed"]},
                                 "double": {"state": "succeeded", "elapsed": snapshot["steps"]["double"]["elapsed"]}}
    status, runs = await call(jp_fetch, "GET", "runs")
    assert status == 200 and runs[0]["id"] == run["id"]

    later = await events_of(jp_fetch, run["id"], after=len(events) - 2)
    assert [e["seq"] for e in later] == [len(events) - 1]


async def test_a_failing_step_reports_its_step_cell_and_error(jp_fetch, write_notebook):
    write_notebook("failing.ipynb", FAILING)
    run = await start_run(jp_fetch, "failing.ipynb")
    events = await events_of(jp_fetch, run["id"])
    finished = events[-1]
    assert finished["ok"] is False
    error = finished["error"]
    assert error["step"] == "explode" and error["cell"] == 2 and error["line"] == 2
    assert "boom" in error["message"]
    assert ("explode", "failed") in {(e["step"], e["state"]) for e in events if e["type"] == "step"}
    status, snapshot = await call(jp_fetch, "GET", "runs", run["id"])
    assert status == 200 and snapshot["state"] == "failed"


async def test_a_run_reading_an_undefined_name_is_refused_unless_forced(jp_fetch, write_notebook):
    write_notebook("typo.ipynb", notebook_json(("x = 2", ["step:make"]), ("print(xx)", ["step:report"])))
    run = await start_run(jp_fetch, "typo.ipynb")
    events = await events_of(jp_fetch, run["id"])
    error = events[-1]["error"]
    assert events[-1]["ok"] is False and not [e for e in events if e["type"] == "step"]  # nothing started
    assert error["where"] == "step 'report', cell 2, line 1"
    assert "undefined name 'xx'" in error["message"] and "--force" in error["message"]
    forced = await start_run(jp_fetch, "typo.ipynb", force=True)
    events = await events_of(jp_fetch, forced["id"])
    assert events[-1]["ok"] is False and "NameError" in events[-1]["error"]["message"]
    assert events[-1]["error"]["where"] == "step 'report', cell 2, line 1"


async def test_cancel_stops_a_run_and_a_second_run_of_the_same_notebook_waits(jp_fetch, write_notebook):
    write_notebook("slow.ipynb", SLOW)
    run = await start_run(jp_fetch, "slow.ipynb")
    status, body = await call(jp_fetch, "POST", "runs", body={"path": "slow.ipynb"})
    assert status == 409 and body["run"] == run["id"]

    await _wait_for_state(jp_fetch, run["id"], "sleepy", "running")
    # The local backend learns the step's pid a moment after "running"; a cancel before
    # that leaves the process to the 30 s zygote shutdown (reported to the engine owner).
    await asyncio.sleep(1.0)
    started = time.monotonic()
    status, _ = await call(jp_fetch, "POST", "runs", run["id"], "cancel")
    assert status == 200
    events = await events_of(jp_fetch, run["id"])
    assert time.monotonic() - started < 30
    assert events[-1]["type"] == "finished" and events[-1]["ok"] is False
    status, snapshot = await call(jp_fetch, "GET", "runs", run["id"])
    assert snapshot["state"] == "cancelled"
    assert snapshot["steps"]["after"]["state"] in ("cancelled", "skipped", "waiting")


async def _wait_for_state(jp_fetch, run_id: str, step: str, state: str) -> None:
    for _ in range(200):
        _, snapshot = await call(jp_fetch, "GET", "runs", run_id)
        if snapshot["steps"].get(step, {}).get("state") == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"step {step} never became {state}: {snapshot}")


async def test_unknown_runs_are_404(jp_fetch):
    for method, parts in [("GET", ("runs", "0123456789ab")), ("GET", ("runs", "0123456789ab", "events")),
                          ("POST", ("runs", "0123456789ab", "cancel"))]:
        status, body = await call(jp_fetch, method, *parts)
        assert status == 404 and "no run" in body["message"]


async def test_compile_returns_the_ir_yaml(jp_fetch, write_notebook):
    from kale_like import api

    if not hasattr(api, "compile"):
        pytest.skip("kale_like.api.compile has not landed yet")
    pytest.importorskip("kfp")
    write_notebook("demo.ipynb", TWO_STEPS)
    status, body = await call(jp_fetch, "POST", "compile", body={"path": "demo.ipynb"}, request_timeout=120)
    assert status == 200, body
    assert body["filename"] == "demo.yaml"
    assert "pipelineInfo" in body["yaml"] and "make" in body["yaml"]


async def test_server_shutdown_cancels_runs_in_progress(jp_fetch, jp_serverapp, write_notebook):
    from kale_like.server import _unload_jupyter_server_extension

    write_notebook("slow.ipynb", SLOW)
    run = await start_run(jp_fetch, "slow.ipynb")
    _unload_jupyter_server_extension(jp_serverapp)
    assert jp_serverapp.web_app.settings["kale_like_runs"].get(run["id"]).cancel.is_set()
    events = await events_of(jp_fetch, run["id"])
    assert events[-1]["type"] == "finished" and events[-1]["ok"] is False


async def test_unsaved_content_is_analysed_in_memory(jp_fetch, write_notebook, monkeypatch):
    """No draft file: every way to make a temporary file fails, and the analysis still answers."""
    import tempfile

    def refuse(*args, **kwargs):
        raise AssertionError("the analysis of unsaved content wrote a temporary file")

    for name in ("mkdtemp", "mkstemp", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, refuse)
    write_notebook("sub/demo.ipynb", TWO_STEPS)
    edited = notebook_json(("x = 2", ["step:make"]), ("y = x * 3", ["step:double"]), ("z = y", ["step:last"]))
    status, analysis = await call(jp_fetch, "POST", "analyze", body={"path": "sub/demo.ipynb", "content": edited})
    assert status == 200, analysis
    assert [s["name"] for s in analysis["steps"]] == ["make", "double", "last"]
    assert analysis["pipeline"]["name"] == "demo"


@pytest.mark.parametrize("content, words", [
    (notebook_json(("x = 1", ["step:make"]), ("y = x", ["cache:maybe"])), "cache: takes 'enabled' or 'disabled'"),
    (build_notebook(("# only a heading", "markdown")), "no code"),
])
async def test_unsaved_content_errors_name_the_notebook_the_browser_sent(jp_fetch, write_notebook, content, words):
    write_notebook("sub/demo.ipynb", TWO_STEPS)
    status, analysis = await call(jp_fetch, "POST", "analyze", body={"path": "sub/demo.ipynb", "content": content})
    assert status == 200, analysis
    [error] = [d for d in analysis["diagnostics"] if d["severity"] == "error"]
    assert words in error["message"]
    assert "/tmp" not in json.dumps(analysis) and "kale-like-draft" not in json.dumps(analysis)

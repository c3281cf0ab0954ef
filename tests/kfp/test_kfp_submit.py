"""Submission through kfp.Client, against a fake v2beta1 server speaking the published contract."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from kale_like import api
from kale_like.kfp.submit import SubmitError, resolve_target

from fake_kfp import FakeKfp, published_routes
from kfp_harness import REPO, write_notebook

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

QUICKSTART = REPO / "examples" / "quickstart.ipynb"


@pytest.fixture
def server():
    fake = FakeKfp()
    url = fake.start()
    yield fake, url
    fake.stop()


def test_fake_server_routes_come_from_the_installed_client():
    routes = published_routes()
    assert ("POST", "/apis/v2beta1/pipelines/upload") in routes and ("GET", "/apis/v2beta1/runs/{run_id}") in routes
    assert len(routes) >= 40


def test_submit_uploads_creates_experiment_and_run_with_parameters(server):
    fake, url = server
    result = api.submit(QUICKSTART, host=url, token="s3cr3t", experiment="nightly", run_name="first",
                        parameters={"C": 0.25, "n_samples": 100})
    assert fake.calls() == [
        ("GET", "/apis/v2beta1/healthz"),                    # our one-shot probe
        ("GET", "/apis/v2beta1/healthz"),                    # kfp.Client's own
        ("GET", "/apis/v2beta1/pipelines"),                  # get_pipeline_id(name)
        ("POST", "/apis/v2beta1/pipelines/upload"),
        ("GET", "/apis/v2beta1/pipelines/{pipeline_id}/versions"),
        ("GET", "/apis/v2beta1/experiments"),                # get ...
        ("POST", "/apis/v2beta1/experiments"),               # ... or create
        ("POST", "/apis/v2beta1/runs"),
    ]
    assert all(r.headers["authorization"] == "Bearer s3cr3t" for r in fake.requests)
    lookup = json.loads(fake.requests[2].query["filter"][0])
    assert lookup["predicates"][0]["key"] == "display_name" and lookup["predicates"][0]["stringValue"] == "quickstart"
    upload = fake.requests[3]
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert upload.query["name"] == ["quickstart"]
    filename, content = upload.files["uploadfile"]
    assert filename.endswith(".yaml") and yaml.safe_load(content)["pipelineInfo"]["name"] == "quickstart"
    assert fake.requests[6].json()["display_name"] == "nightly"
    assert fake.requests[7].json() == {
        "display_name": "first", "experiment_id": result.experiment_id,
        "pipeline_version_reference": {"pipeline_id": result.pipeline_id, "pipeline_version_id": result.version_id},
        "runtime_config": {"parameters": {"C": 0.25, "n_samples": 100}}}
    assert result.run_url == f"{url}/#/runs/details/{result.run_id}"


def test_second_submit_adds_a_version_and_reuses_the_experiment(server):
    fake, url = server
    api.submit(QUICKSTART, host=url, experiment="exp")
    first = len(fake.requests)
    second = api.submit(QUICKSTART, host=url, experiment="exp")
    calls = fake.calls()[first:]
    assert ("POST", "/apis/v2beta1/pipelines/upload_version") in calls
    assert ("POST", "/apis/v2beta1/pipelines/upload") not in calls
    assert ("POST", "/apis/v2beta1/experiments") not in calls
    upload = next(r for r in fake.requests[first:] if r.route == "/apis/v2beta1/pipelines/upload_version")
    assert upload.query["pipelineid"] == [second.pipeline_id] and "uploadfile" in upload.files


def test_upload_only_stops_after_the_upload(server):
    fake, url = server
    result = api.submit(QUICKSTART, host=url, upload_only=True)
    assert result.run_id is None and not any(r.route == "/apis/v2beta1/runs" for r in fake.requests)


@pytest.mark.parametrize("states, final", [(["PENDING", "RUNNING", "SUCCEEDED"], "SUCCEEDED"),
                                           (["RUNNING", "CANCELING", "CANCELED"], "CANCELED"),
                                           (["RUNNING", "FAILED"], "FAILED")])
def test_wait_polls_until_a_final_state_including_canceled(states, final):
    fake = FakeKfp(run_states=states)
    url = fake.start()
    seen: list[str] = []
    try:
        result = api.submit(QUICKSTART, host=url, wait=True, poll_interval=0.01, on_status=seen.append)
    finally:
        fake.stop()
    assert result.state == final and seen == list(dict.fromkeys(states))
    assert sum(r.route == "/apis/v2beta1/runs/{run_id}" for r in fake.requests) == len(states)


def test_wait_gives_up_after_the_timeout():
    fake = FakeKfp(run_states=["RUNNING"])
    url = fake.start()
    try:
        with pytest.raises(SubmitError, match="still RUNNING"):
            api.submit(QUICKSTART, host=url, wait=True, poll_interval=0.01, timeout=0.05)
    finally:
        fake.stop()


def test_cookie_and_service_account_token(server, tmp_path):
    fake, url = server
    api.submit(QUICKSTART, host=url, cookies="authservice_session=abc", upload_only=True)
    assert all(r.headers.get("cookie") == "authservice_session=abc" for r in fake.requests)
    token = tmp_path / "token"
    token.write_text("from-the-volume\n")
    target = resolve_target(url, env={"KF_PIPELINES_SA_TOKEN_PATH": str(token)})
    assert target.token_path == str(token)


def test_host_from_flag_then_metadata_then_environment():
    env = {"KF_PIPELINES_ENDPOINT": "http://env:8888", "KF_PIPELINES_TOKEN": "t"}
    assert resolve_target("http://flag/", notebook_host="http://meta", env=env).host == "http://flag"
    assert resolve_target(None, notebook_host="http://meta", env=env).host == "http://meta"
    assert resolve_target(None, env=env).host == "http://env:8888"
    assert resolve_target(None, env=env).token == "t"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kale_like", *args], capture_output=True, text=True, timeout=120)


def test_unreachable_server_is_one_clear_line():
    result = _cli("submit", str(QUICKSTART), "--host", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kale-like: error: cannot reach Kubeflow Pipelines at http://127.0.0.1:9 to connect: connection refused "
        "(check --host (or KF_PIPELINES_ENDPOINT) and that the server is running)"]


def test_refusal_is_one_clear_line(tmp_path):
    fake = FakeKfp()
    url = fake.start()
    fake.get_healthz = lambda request: (401, {"message": "missing credentials"})
    try:
        result = _cli("submit", str(QUICKSTART), "--host", url)
    finally:
        fake.stop()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"kale-like: error: Kubeflow Pipelines at {url} refused to answer its health check: HTTP 401 "
        f"missing credentials (check --token / --cookie)"]


def test_cli_submit_wait_prints_the_run_link(server, tmp_path):
    fake, url = server
    path = write_notebook(tmp_path, ("k = 1", ["parameters"]), "print(k)")
    result = _cli("submit", str(path), "--host", url, "-p", "k", "5", "--wait", "--poll-interval", "0.05",
                  "--run-name", "r")
    assert result.returncode == 0, result.stderr
    run = next(r for r in fake.requests if r.route == "/apis/v2beta1/runs")
    assert run.json()["runtime_config"] == {"parameters": {"k": 5}}
    assert f"{url}/#/runs/details/" in result.stderr and "run finished: SUCCEEDED" in result.stderr

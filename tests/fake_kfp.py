"""A Kubeflow Pipelines v2beta1 REST server on 127.0.0.1, built from the installed ``kfp_server_api``.

The route table is read from ``kfp_server_api/api/*.py`` (every path and method the
generated client can call) and responses are ``kfp_server_api.models`` objects
serialized the way the client deserializes them, so the server speaks the
published contract rather than our guess of it. It records every request (method,
path, query, headers, body, uploaded files) for tests to assert on.
"""
from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import kfp_server_api
from kfp_server_api import models

ROUTE = re.compile(r"'(/apis/v2beta1/[^']*)',\s*'(GET|POST|PUT|PATCH|DELETE)'")


def published_routes() -> list[tuple[str, str]]:
    """(method, path template) for every route of the installed generated client."""
    folder = Path(kfp_server_api.__file__).parent / "api"
    routes = []
    for module in sorted(folder.glob("*.py")):
        routes += [(method, path) for path, method in ROUTE.findall(module.read_text())]
    return routes


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("([^/:]+)" if p.startswith("{") else re.escape(p) for p in parts) + "$")


@dataclass
class Request:
    method: str
    path: str
    route: str | None
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)   # field -> (filename, content)

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


class FakeKfp:
    """State of the fake server: pipelines, versions, experiments, runs; and the requests seen."""

    def __init__(self, run_states: list[str] | None = None, task_states: list[dict[str, str]] | None = None) -> None:
        self.routes = [(m, t, _pattern(t)) for m, t in published_routes()]
        self.requests: list[Request] = []
        self.pipelines: dict[str, models.V2beta1Pipeline] = {}
        self.versions: dict[str, list[models.V2beta1PipelineVersion]] = {}
        self.experiments: dict[str, models.V2beta1Experiment] = {}
        self.runs: dict[str, dict] = {}
        self.run_states = list(run_states or ["PENDING", "RUNNING", "SUCCEEDED"])
        # per poll, {task display name: runtime state}: the run's task details (per-step status)
        self.task_states = list(task_states or [])
        self._ids = itertools.count(1)
        self._serializer = kfp_server_api.ApiClient()
        self.server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_DELETE(self) -> None:
                fake._serve(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.route or r.path) for r in self.requests]

    # --- dispatch -------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        route, params = self._route(method, url.path)
        request = Request(method, url.path, route, parse_qs(url.query),
                          {k.lower(): v for k, v in handler.headers.items()}, body)
        if "multipart/form-data" in handler.headers.get("Content-Type", ""):
            request.files = _multipart(handler.headers["Content-Type"], body)
        self.requests.append(request)
        action = getattr(self, _handler_name(method, route), None) if route else None
        if action is None:
            return _reply(handler, 404 if route is None else 501, {"message": f"no route {method} {url.path}"})
        status, payload = action(request, *params)
        _reply(handler, status, self._serializer.sanitize_for_serialization(payload))

    def _route(self, method: str, path: str) -> tuple[str | None, tuple[str, ...]]:
        for route_method, template, pattern in self.routes:
            found = pattern.match(path)
            if route_method == method and found:
                return template, found.groups()
        return None, ()

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids)}"

    # --- the routes the submit flow uses ------------------------------------------------------
    def get_healthz(self, request: Request):
        return 200, models.V2beta1GetHealthzResponse(multi_user=False)

    def get_pipelines(self, request: Request):
        wanted = _filter_value(request, "display_name")
        found = [p for p in self.pipelines.values() if wanted is None or p.display_name == wanted]
        return 200, models.V2beta1ListPipelinesResponse(pipelines=found or None, total_size=len(found))

    def post_pipelines_upload(self, request: Request):
        name = request.query.get("name", ["pipeline"])[0]
        pipeline = models.V2beta1Pipeline(pipeline_id=self._id("pipeline"), display_name=name,
                                          description=request.query.get("description", [None])[0])
        self.pipelines[pipeline.pipeline_id] = pipeline
        self._add_version(pipeline.pipeline_id, name)
        return 200, pipeline

    def post_pipelines_upload_version(self, request: Request):
        pipeline_id = request.query["pipelineid"][0]
        if pipeline_id not in self.pipelines:
            return 404, {"message": f"pipeline {pipeline_id} not found"}
        return 200, self._add_version(pipeline_id, request.query.get("name", ["version"])[0])

    def get_pipelines_pipeline_id_versions(self, request: Request, pipeline_id: str):
        versions = list(reversed(self.versions.get(pipeline_id, [])))
        return 200, models.V2beta1ListPipelineVersionsResponse(pipeline_versions=versions or None,
                                                               total_size=len(versions))

    def get_experiments(self, request: Request):
        wanted = _filter_value(request, "display_name")
        found = [e for e in self.experiments.values() if wanted is None or e.display_name == wanted]
        return 200, models.V2beta1ListExperimentsResponse(experiments=found or None, total_size=len(found))

    def post_experiments(self, request: Request):
        body = request.json()
        experiment = models.V2beta1Experiment(experiment_id=self._id("experiment"), display_name=body["display_name"],
                                              description=body.get("description"), namespace=body.get("namespace"))
        self.experiments[experiment.experiment_id] = experiment
        return 200, experiment

    def post_runs(self, request: Request):
        body = request.json()
        run_id = self._id("run")
        self.runs[run_id] = {"body": body, "polls": 0}
        return 200, models.V2beta1Run(run_id=run_id, display_name=body.get("display_name"),
                                      experiment_id=body.get("experiment_id"), state="PENDING")

    def get_runs_run_id(self, request: Request, run_id: str):
        if run_id not in self.runs:
            return 404, {"message": f"run {run_id} not found"}
        run = self.runs[run_id]
        poll = run["polls"]
        state = self.run_states[min(poll, len(self.run_states) - 1)]
        tasks = dict(self.task_states[min(poll, len(self.task_states) - 1)]) if self.task_states else {}
        if run.get("terminated"):
            state = "CANCELED"
            tasks = {name: "CANCELED" if task in ("RUNNING", "PENDING") else task for name, task in tasks.items()}
        run["polls"] += 1
        details = models.V2beta1RunDetails(task_details=[
            models.V2beta1PipelineTaskDetail(run_id=run_id, task_id=f"task-{i}", display_name=name, state=task)
            for i, (name, task) in enumerate(tasks.items())])
        return 200, models.V2beta1Run(run_id=run_id, display_name=run["body"].get("display_name"), state=state,
                                      run_details=details)

    def post_runs_run_id_terminate(self, request: Request, run_id: str):
        if run_id not in self.runs:
            return 404, {"message": f"run {run_id} not found"}
        self.runs[run_id]["terminated"] = True
        return 200, {}

    def _add_version(self, pipeline_id: str, name: str) -> models.V2beta1PipelineVersion:
        version = models.V2beta1PipelineVersion(pipeline_id=pipeline_id, pipeline_version_id=self._id("version"),
                                                display_name=name)
        self.versions.setdefault(pipeline_id, []).append(version)
        return version


def _handler_name(method: str, route: str | None) -> str:
    words = re.sub(r"[{}]", "", (route or "").replace("/apis/v2beta1/", ""))
    return f"{method.lower()}_" + re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def _filter_value(request: Request, key: str) -> str | None:
    raw = request.query.get("filter", [None])[0]
    if not raw:
        return None
    for predicate in json.loads(raw).get("predicates", []):
        if predicate.get("key") == key:
            return predicate.get("string_value", predicate.get("stringValue"))
    return None


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    files = {}
    for part in message.iter_parts():
        files[part.get_param("name", header="content-disposition")] = (
            part.get_filename(), part.get_payload(decode=True))
    return files


def _reply(handler: BaseHTTPRequestHandler, status: int, payload) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)

"""REST API under ``/kale-like/``: thin tornado handlers over ``kale_like.api``.

====================================  =============================================================
``GET  /kale-like/info``              version and the backends this server can run
``POST /kale-like/analyze``           ``{path, split?, content?}`` → steps, edges, diagnostics
``POST /kale-like/compile``           ``{path, split?}`` → ``{filename, yaml}`` (KFP IR)
``POST /kale-like/runs``              ``{path, split?, parameters?, backend?, jobs?, cache?, kfp?}``
                                      → 202 and the run's status; the run goes on in a thread
                                      (``backend: kfp`` submits, ``kfp`` = ``{host, namespace, token}``)
``GET  /kale-like/runs``              the runs this server knows, newest first
``GET  /kale-like/runs/ID``           one run's status (the polling fallback)
``GET  /kale-like/runs/ID/events``    server-sent events, one per run event; ``?after=N`` or
                                      ``Last-Event-ID`` resumes
``POST /kale-like/runs/ID/cancel``    ask the run to stop
====================================  =============================================================

Every method is ``@tornado.web.authenticated`` and, being a ``jupyter_server``
``APIHandler``, XSRF-checked for cookie-authenticated writes. Errors go through
:func:`kale_like.server.errors.error_response` only.
"""
from __future__ import annotations

import asyncio
import json
import os
from dataclasses import replace
from importlib import metadata
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.iostream import StreamClosedError

from ..backends import RunResult, backend_infos, backend_names, find_backend
from ..contract import PlanEvent, RunError, SubmittedEvent
from .errors import error_response
from .history import history_dir
from .offload import DEFAULT_SECONDS, MAX_CODE_CHARACTERS, Offload, code_characters
from .paths import api_path_of, check_api_path, draft_content, relative_text, resolve_notebook
from .runs import RunRegistry, failure_of
from .wording import panel_diagnostics

_HEARTBEAT_SECONDS = 15.0


def _api() -> Any:
    # Imported on first use so that loading the extension never pays for the engine.
    from .. import api
    return api


class KaleLikeHandler(APIHandler):
    """Base: JSON bodies in, JSON out, every error through the one mapper."""

    @property
    def runs(self) -> RunRegistry:
        return self.settings["kale_like_runs"]

    @property
    def offload(self) -> Offload:
        return self.settings["kale_like_offload"]

    def body(self) -> dict[str, Any]:
        try:
            text = self.request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise tornado.web.HTTPError(400, f"the request body is not UTF-8 text (byte {exc.start})") from None
        if not text.strip():
            return {}
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise tornado.web.HTTPError(400, f"the request body is not valid JSON ({exc})") from None
        except RecursionError:
            raise tornado.web.HTTPError(400, "the request body's JSON nests too deeply") from None
        if not isinstance(body, dict):
            raise tornado.web.HTTPError(400, "the request body must be a JSON object")
        return body

    async def notebook_path(self, body: dict[str, Any]) -> str:
        """The notebook's OS path; remembered so that error messages show the API path instead."""
        os_path = await resolve_notebook(self.contents_manager, body.get("path"))
        self._known_paths[os_path] = "/".join(check_api_path(body.get("path")))
        return os_path

    @property
    def _known_paths(self) -> dict[str, str]:
        if not hasattr(self, "_kale_like_paths"):
            self._kale_like_paths: dict[str, str] = {}
        return self._kale_like_paths

    def relative(self, text: str) -> str:
        return relative_text(text, getattr(self.contents_manager, "root_dir", None), self._known_paths)

    def split_of(self, body: dict[str, Any]) -> str:
        split = body.get("split") or "auto"
        if not isinstance(split, str):
            raise tornado.web.HTTPError(400, "'split' must be a string")
        return split

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info and exc_info[1] is not None:
            status_code, payload = error_response(exc_info[1])
            self.set_status(status_code)
        else:
            payload = {"message": self._reason}
        self.finish(self.relative(json.dumps(payload)))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        status, _ = error_response(value)
        if status >= 500:
            super().log_exception(typ, value, tb)
        else:
            self.log.info("kale_like: %s %s -> %d: %s", self.request.method, self.request.uri, status, value)


class InfoHandler(KaleLikeHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        try:
            version = metadata.version("kale_like")
        except metadata.PackageNotFoundError:
            version = "unknown"
        self.finish(json.dumps({"version": version, "backends": backend_names(available_only=True),
                                "backend_choices": [b.to_json() for b in backend_infos()]}))


class AnalyzeHandler(KaleLikeHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body()
        os_path = await self.notebook_path(body)
        split = self.split_of(body)
        if body.get("content") is None:
            result = await self.offload.call(_api().analyze, os_path, split)
        else:
            if code_characters(body["content"]) > MAX_CODE_CHARACTERS:
                raise tornado.web.HTTPError(413, f"the notebook holds more than {MAX_CODE_CHARACTERS:,} characters "
                                                 "of code, more than the panel analyses")
            # what is in the editor, not what was last saved: the DAG follows tag edits at once
            result = await self.offload.call(_api().analyze, draft_content(body["content"]), split, os_path)
        self.finish(self.relative(json.dumps(panel_diagnostics(result), default=str)))


class CompileHandler(KaleLikeHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body()
        os_path = await self.notebook_path(body)
        split = self.split_of(body)
        yaml_text = await self.offload.call(_compile_to_text, os_path, split)
        stem = os.path.splitext(os.path.basename(os_path))[0]
        self.finish(json.dumps({"filename": f"{stem}.yaml", "yaml": yaml_text}))


def _compile_to_text(os_path: str, split: str) -> str:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kale-like-compile-") as folder:
        target = os.path.join(folder, "pipeline.yaml")
        compiled = _api().compile(os_path, output=target, split=split)
        with open(getattr(compiled, "package_path", None) or target, encoding="utf-8") as handle:
            return handle.read()


class RunsHandler(KaleLikeHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        if path is None:
            self.finish(json.dumps([run.status() for run in self.runs.newest_first()], default=str))
            return
        # One notebook's recent runs, from memory and from the records earlier servers left.
        api_path = "/".join(check_api_path(path))
        os_path = await resolve_notebook(self.contents_manager, path)
        runs = await asyncio.to_thread(self.runs.history_of, api_path, history_dir(os_path))
        self.finish(json.dumps(runs, default=str))

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body()
        os_path = await self.notebook_path(body)
        options = _run_options(body, self.split_of(body))
        runner = _without_server_paths(_runner(_api(), os_path, options, _kfp_options(body)), self.relative)
        api_path = "/".join(check_api_path(body.get("path")))
        run = self.runs.start(api_path, options["backend"], runner, self._describe_output,
                              records=history_dir(os_path),
                              request={"parameters": options["parameters"], "split": options["split"]})
        self.set_status(202)
        self.finish(json.dumps(run.status(), default=str))

    def _describe_output(self, output: str | None) -> dict[str, Any]:
        """Where the panel can link to: the executed notebook, or the KFP run page."""
        if output and output.startswith(("http://", "https://")):
            return {"output_url": output, "output_path": None}
        return {"output_url": None, "output_path": api_path_of(self.contents_manager, output)}


def _run_options(body: dict[str, Any], split: str) -> dict[str, Any]:
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise tornado.web.HTTPError(400, "'parameters' must be an object of name: value")
    from ..parameters import check_names

    check_names(parameters)  # before the run starts: a refused name is a 400, never a cell
    backend = body.get("backend") or "local"
    known = backend_names(available_only=True)
    if not isinstance(backend, str) or backend not in known:
        raise tornado.web.HTTPError(400, f"unknown backend '{backend}' (use {' or '.join(repr(k) for k in known)})")
    jobs = body.get("jobs")
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise tornado.web.HTTPError(400, "'jobs' must be a positive whole number")
    return {"split": split, "parameters": parameters, "jobs": jobs,
            "cache": bool(body.get("cache", True)), "backend": backend, "force": bool(body.get("force", False))}


def _runner(api: Any, os_path: str, options: dict[str, Any], kfp: dict[str, str]) -> Any:
    """Bind one request to the API: a run reports step events; a remote backend's run is
    submitted (``api.submit``) and ends, from the panel's point of view, with its run page."""
    info = find_backend(options["backend"])
    if info is not None and info.remote:
        def submit(on_event: Any, cancel: Any) -> Any:
            return _submit_and_follow(api, os_path, options, kfp, on_event, cancel)
        return submit

    def execute(on_event: Any, cancel: Any) -> Any:
        return api.run(os_path, on_event=on_event, cancel=cancel, **options)
    return execute


def _submit_and_follow(api: Any, os_path: str, options: dict[str, Any], kfp: dict[str, str],
                       on_event: Any, cancel: Any) -> Any:
    """Submit to Kubeflow Pipelines, then follow the run's steps until it ends."""
    from ..kfp.submit import connect, resolve_target, translated_errors
    from . import kfp_status

    found = api.plan(os_path, options["split"], options["parameters"])
    steps = list(found.pipeline.order)
    on_event(PlanEvent(tuple(steps), tuple(found.pipeline.edges())).to_json())
    submission = api.submit(os_path, parameters=options["parameters"], split=options["split"], **kfp)
    url = getattr(submission, "run_url", None)
    on_event(SubmittedEvent(submission.run_id, url).to_json())
    target = resolve_target(kfp.get("host"), notebook_host=found.notebook.settings.kfp_host,
                            token=kfp.get("token"), namespace=kfp.get("namespace"))
    with translated_errors(target, "report the run's state"):
        state = kfp_status.follow(connect(target), submission.run_id, steps, on_event, cancel)
    failure = None if state == "SUCCEEDED" else RunError(
        f"the Kubeflow Pipelines run ended {state}; its page has the logs")
    return RunResult(ok=state == "SUCCEEDED", output=url, failure=failure)


def _without_server_paths(runner: Any, relative: Any) -> Any:
    """The run's outcome as the browser sees it: an error's paths relative to the server root."""
    def run(on_event: Any, cancel: Any) -> RunResult:
        try:
            result = runner(on_event, cancel)
        except Exception as exc:  # noqa: BLE001 - reported as the run's end, like _execute does
            return RunResult(ok=False, failure=_relative_error(failure_of(exc), relative))
        failure = result.failure and _relative_error(result.failure, relative)
        return replace(result, failure=failure)
    return run


def _relative_error(error: RunError, relative: Any) -> RunError:
    return replace(error, **{key: relative(value) for key, value in vars(error).items() if isinstance(value, str)})


def _kfp_options(body: dict[str, Any]) -> dict[str, str]:
    """KFP connection settings from the panel (JupyterLab settings, never the notebook)."""
    kfp = body.get("kfp") or {}
    if not isinstance(kfp, dict):
        raise tornado.web.HTTPError(400, "'kfp' must be an object {host, namespace, token}")
    options = {}
    for key in ("host", "namespace", "token"):
        value = kfp.get(key)
        if value not in (None, ""):
            if not isinstance(value, str):
                raise tornado.web.HTTPError(400, f"'kfp.{key}' must be a string")
            options[key] = value
    return options


class RunHandler(KaleLikeHandler):
    @tornado.web.authenticated
    def get(self, run_id: str) -> None:
        self.finish(json.dumps(self.runs.get(run_id).status(), default=str))


class RunCancelHandler(KaleLikeHandler):
    @tornado.web.authenticated
    def post(self, run_id: str) -> None:
        run = self.runs.get(run_id)
        run.cancel.set()
        self.finish(json.dumps(run.status(), default=str))


class RunEventsHandler(KaleLikeHandler):
    """Server-sent events: ``id: N`` and ``data: {event}`` per run event, then the stream ends."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        run = self.runs.get(run_id)
        cursor = self._first_seq()
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        try:
            while True:
                events = run.events_since(cursor)
                for event in events:
                    self.write(f"id: {event['seq']}\ndata: {json.dumps(event, default=str)}\n\n")
                cursor += len(events)
                if run.finished and not run.events_since(cursor):
                    break
                if events:
                    await self.flush()
                if not await run.wait(cursor, _HEARTBEAT_SECONDS):
                    self.write(": keep-alive\n\n")
                    await self.flush()
        except StreamClosedError:
            return
        self.finish(set_content_type="text/event-stream; charset=utf-8")

    def _first_seq(self) -> int:
        raw = self.get_query_argument("after", None) or self.request.headers.get("Last-Event-ID")
        if raw in (None, ""):
            return 0
        try:
            return int(raw) + 1
        except ValueError:
            raise tornado.web.HTTPError(400, "'after' must be an event number") from None


def setup_handlers(web_app: Any, runs: RunRegistry) -> None:
    """Register the handlers under ``<base_url>/kale-like/``."""
    web_app.settings["kale_like_runs"] = runs
    web_app.settings["kale_like_offload"] = Offload(
        seconds=float(web_app.settings.get("kale_like_analysis_seconds", DEFAULT_SECONDS)))
    base = url_path_join(web_app.settings.get("base_url", "/"), "kale-like")
    run_id = r"(?P<run_id>[0-9a-f]{12})"
    web_app.add_handlers(".*$", [
        (url_path_join(base, "info"), InfoHandler),
        (url_path_join(base, "analyze"), AnalyzeHandler),
        (url_path_join(base, "compile"), CompileHandler),
        (url_path_join(base, "runs"), RunsHandler),
        (url_path_join(base, "runs", run_id), RunHandler),
        (url_path_join(base, "runs", run_id, "events"), RunEventsHandler),
        (url_path_join(base, "runs", run_id, "cancel"), RunCancelHandler),
    ])

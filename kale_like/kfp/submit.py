"""Submit a compiled pipeline to Kubeflow Pipelines with ``kfp.Client``.

Upload the pipeline (or a new version of it), get or create the experiment,
create the run, and — when asked — poll until the run reaches a final state
(``wait_for_run_completion`` never returns on CANCELED, so we poll ourselves).
Where to connect and how to authenticate is read once, in :func:`resolve_target`.
A server that cannot be reached or refuses a request becomes one
:class:`SubmitError` line, never a traceback.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from ..errors import KaleLikeError

FINAL_STATES = ("SUCCEEDED", "FAILED", "SKIPPED", "CANCELED")
SA_TOKEN_PATH = "/var/run/secrets/kubeflow/pipelines/token"


class SubmitError(KaleLikeError):
    """Kubeflow Pipelines could not be reached, or refused a request."""


@dataclass(frozen=True)
class SubmitTarget:
    host: str | None               # None: in-cluster discovery by kfp.Client
    token: str | None = None       # sent as "Authorization: Bearer …"
    cookies: str | None = None     # a raw Cookie header, e.g. "authservice_session=…"
    token_path: str | None = None  # a service-account token file, re-read on every request
    namespace: str | None = None
    ui_host: str | None = None

    @property
    def where(self) -> str:
        return self.host or "the in-cluster endpoint"


@dataclass
class Submission:
    pipeline_id: str
    version_id: str | None
    experiment_id: str | None = None
    run_id: str | None = None
    run_url: str | None = None
    state: str | None = None


def resolve_target(host: str | None = None, *, notebook_host: str | None = None, token: str | None = None,
                   cookies: str | None = None, namespace: str | None = None, ui_host: str | None = None,
                   env: dict[str, str] | None = None) -> SubmitTarget:
    """Flag, then notebook metadata, then ``KF_PIPELINES_ENDPOINT``; token from flag or
    ``KF_PIPELINES_TOKEN``, else a service-account token file when one is mounted."""
    env = dict(os.environ if env is None else env)
    host = host or notebook_host or env.get("KF_PIPELINES_ENDPOINT") or None
    token = token or env.get("KF_PIPELINES_TOKEN") or None
    token_path = None
    if not token and not cookies:
        candidate = env.get("KF_PIPELINES_SA_TOKEN_PATH") or SA_TOKEN_PATH
        token_path = candidate if os.path.isfile(candidate) else None
    return SubmitTarget(host=host.rstrip("/") if host else None, token=token, cookies=cookies,
                        token_path=token_path, namespace=namespace, ui_host=ui_host)


def submit_package(package_path: str, target: SubmitTarget, *, pipeline_name: str, description: str = "",
                   experiment: str = "Default", run_name: str | None = None, arguments: dict | None = None,
                   upload_only: bool = False, wait: bool = False, timeout: float = 24 * 3600,
                   poll_interval: float = 5.0, on_status: Callable[[str], None] | None = None) -> Submission:
    client = _connect(target)
    with _translated(target, "upload the pipeline"):
        submission = _upload(client, package_path, pipeline_name, description)
    if upload_only:
        return submission
    with _translated(target, "create the run"):
        found = client.create_experiment(experiment, namespace=target.namespace)
        submission.experiment_id = found.experiment_id
        run = client.run_pipeline(experiment_id=found.experiment_id, job_name=run_name or _run_name(pipeline_name),
                                  pipeline_id=submission.pipeline_id, version_id=submission.version_id,
                                  params=dict(arguments or {}))
    submission.run_id = run.run_id
    ui = (target.ui_host or os.environ.get("KF_PIPELINES_UI_ENDPOINT") or target.host or "").rstrip("/")
    submission.run_url = f"{ui}/#/runs/details/{run.run_id}"
    submission.state = str(getattr(run, "state", None) or "PENDING")
    if wait:
        submission.state = poll_run(client, target, run.run_id, timeout, poll_interval, on_status)
    return submission


def poll_run(client: Any, target: SubmitTarget, run_id: str, timeout: float, interval: float,
             on_status: Callable[[str], None] | None = None) -> str:
    """Poll the run until it is SUCCEEDED, FAILED, SKIPPED or CANCELED; return that state."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        with _translated(target, "report the run's state"):
            state = str(client.get_run(run_id).state or "PENDING")
        if state != last and on_status is not None:
            on_status(state)
        last = state
        if state in FINAL_STATES:
            return state
        if time.monotonic() >= deadline:
            raise SubmitError(f"run {run_id} is still {state} after {timeout:.0f} s",
                              hint="it keeps running on the cluster; follow it in the KFP UI")
        time.sleep(interval)


def connect(target: SubmitTarget) -> Any:
    """A ``kfp.Client`` for ``target``, as submitting uses it (the panel follows runs with it)."""
    return _connect(target)


def translated_errors(target: SubmitTarget, action: str) -> Any:
    """A context in which kfp/HTTP errors become one :class:`SubmitError` line."""
    return _translated(target, action)


def _connect(target: SubmitTarget) -> Any:
    try:
        import kfp
    except ImportError:
        raise SubmitError("submitting needs the kfp SDK", hint="pip install 'kale_like[kfp]'") from None
    if target.host:
        _probe(target)
    credentials = None
    if target.token_path:
        from kfp.client import ServiceAccountTokenVolumeCredentials

        credentials = ServiceAccountTokenVolumeCredentials(target.token_path)
    with _translated(target, "connect"), _quiet():
        return kfp.Client(host=target.host, existing_token=target.token, cookies=target.cookies,
                          credentials=credentials, ui_host=target.ui_host,
                          **({"namespace": target.namespace} if target.namespace else {}))


def _probe(target: SubmitTarget) -> None:
    """One GET of the health endpoint with the same credentials, so that a server that is down
    or refuses us is reported at once (kfp.Client would retry for half a minute, logging tracebacks)."""
    import urllib.error
    import urllib.request

    headers = {"Accept": "application/json"}
    token = target.token
    if not token and target.token_path:
        with open(target.token_path, encoding="utf-8") as handle:
            token = handle.read().strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if target.cookies:
        headers["Cookie"] = target.cookies
    request = urllib.request.Request(f"{target.host}/apis/v2beta1/healthz", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30):
            return
    except urllib.error.HTTPError as exc:
        raise _submit_error(_Refusal(exc.code, exc.read()), target, "answer its health check") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _submit_error(exc, target, "connect") from None


class _Refusal(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status, self.body, self.reason = status, body, ""


def _upload(client: Any, package_path: str, name: str, description: str) -> Submission:
    with _quiet():
        pipeline_id = client.get_pipeline_id(name)
        if pipeline_id is None:
            pipeline = client.upload_pipeline(package_path, pipeline_name=name, description=description or None)
            versions = client.list_pipeline_versions(pipeline.pipeline_id, page_size=1, sort_by="created_at desc")
            found = (versions.pipeline_versions or [None])[0]
            return Submission(pipeline.pipeline_id, found.pipeline_version_id if found else None)
        version = client.upload_pipeline_version(package_path, pipeline_version_name=_run_name(name),
                                                 pipeline_id=pipeline_id, description=description or None)
        return Submission(pipeline_id, version.pipeline_version_id)


def _run_name(pipeline_name: str) -> str:
    return f"{pipeline_name} {datetime.now(timezone.utc).strftime('%Y-%m-%d %H-%M-%S')}"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """kfp.Client prints links, warns about server versions and logs retries; we report in our own words."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


@contextlib.contextmanager
def _translated(target: SubmitTarget, action: str) -> Iterator[None]:
    try:
        with _quiet():
            yield
    except KaleLikeError:
        raise
    except Exception as exc:
        raise _submit_error(exc, target, action) from None


def _submit_error(exc: Exception, target: SubmitTarget, action: str) -> SubmitError:
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status:
        detail = _server_message(getattr(exc, "body", None)) or str(getattr(exc, "reason", "") or "")
        hint = "check --token / --cookie" if status in (401, 403) else None
        return SubmitError(f"Kubeflow Pipelines at {target.where} refused to {action}: HTTP {status} {detail}".rstrip(),
                           hint=hint)
    reason = _root_cause(exc)
    return SubmitError(f"cannot reach Kubeflow Pipelines at {target.where} to {action}: {reason}",
                       hint="check --host (or KF_PIPELINES_ENDPOINT) and that the server is running")


def _server_message(body: Any) -> str:
    import json

    try:
        data = json.loads(body) if isinstance(body, (str, bytes)) else {}
    except ValueError:
        return str(body)[:200]
    return str(data.get("message") or data.get("error") or "")[:200] if isinstance(data, dict) else ""


def _root_cause(exc: BaseException) -> str:
    seen = exc
    # urllib's URLError / urllib3's MaxRetryError -> the OSError underneath
    while isinstance(reason := getattr(seen, "reason", None), BaseException):
        seen = reason
    text = str(seen)
    if "Connection refused" in text or isinstance(seen, ConnectionRefusedError):
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return text.split(": ", 1)[-1][:200] if text else type(exc).__name__


def submit_plan(found: Any, *, host: str | None = None, experiment: str | None = None,
                pipeline_name: str | None = None, run_name: str | None = None, parameters: dict | None = None,
                upload_only: bool = False, wait: bool = False, timeout: float = 24 * 3600,
                poll_interval: float = 5.0, token: str | None = None, cookies: str | None = None,
                namespace: str | None = None, ui_host: str | None = None, options: Any = None,
                on_status: Callable[[str], None] | None = None) -> Submission:
    """Compile a plan (a :class:`kale_like.planning.Plan`) and submit it; ``parameters`` become
    the run's arguments (the compiled defaults are the notebook's)."""
    import tempfile
    from dataclasses import replace

    from .compile import compile_plan
    from .inputs import run_arguments
    from .options import CompileOptions

    overrides = dict(parameters or {})
    target = resolve_target(host, notebook_host=found.notebook.settings.kfp_host, token=token, cookies=cookies,
                            namespace=namespace, ui_host=ui_host)
    with tempfile.TemporaryDirectory(prefix="kale_like-submit-") as folder:
        options = replace(options or CompileOptions(), parameters=overrides)
        compiled = compile_plan(found, os.path.join(folder, "pipeline.yaml"), options)
        arguments = run_arguments(compiled.parameters, overrides)
        return submit_package(
            compiled.package_path, target, pipeline_name=pipeline_name or compiled.pipeline_name,
            description=found.pipeline.description, experiment=experiment or found.pipeline.experiment or "Default",
            run_name=run_name, arguments=arguments, upload_only=upload_only, wait=wait, timeout=timeout,
            poll_interval=poll_interval, on_status=on_status)

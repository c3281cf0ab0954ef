"""The Jupyter surface of kale_like: the JupyterLab extension's paths and the server extension.

Only the standard library is imported here, so ``import kale_like`` stays cheap; tornado
and jupyter_server are imported when Jupyter actually loads the extension.
"""
from __future__ import annotations

from typing import Any


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    # "src" is relative to the top-level ``kale_like`` package, where these hooks are re-exported.
    return [{"src": "labextension", "dest": "kale-like"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    # This module, not the package, so that jupyter_server also finds the unload hook below.
    return [{"module": "kale_like.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    import atexit

    from ..backends.local import zygote_client  # noqa: F401 - its exit hook must run after ours
    from .handlers import setup_handlers
    from .runs import RunRegistry

    runs = RunRegistry()
    setup_handlers(server_app.web_app, runs)
    # jupyter_server calls no unload hook for a function-style extension when it stops,
    # so the process exit is where running pipelines are stopped (SIGTERM and Ctrl-C on
    # the server both end in a normal exit; a SIGKILL is handled by the warm parents).
    atexit.register(shutdown, runs)
    server_app.log.info("kale_like: server extension loaded at %s",
                        server_app.web_app.settings.get("base_url", "/") + "kale-like/")


def _unload_jupyter_server_extension(server_app: Any) -> None:
    runs = server_app.web_app.settings.get("kale_like_runs")
    if runs is not None:
        shutdown(runs)
    offload = server_app.web_app.settings.get("kale_like_offload")
    if offload is not None:
        offload.shutdown()  # queued analyses are dropped; one already running ends on its own


def shutdown(runs: Any) -> None:
    """Stop every run of this server and every process they started, parked ones included."""
    from ..backends.local.zygote_client import stop_all

    runs.stop_all(timeout=5.0)
    stop_all()

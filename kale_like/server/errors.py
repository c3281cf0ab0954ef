"""The one place where anything a handler raises becomes an HTTP status and a JSON body.

User errors (:class:`~kale_like.errors.KaleLikeError`) are 400 with the diagnostic the
panel shows next to the cell; tornado's own ``HTTPError`` keeps its status; anything
else is a bug and becomes 500 with its one-line message. A body never carries a
traceback (the server log has it) nor a server-side absolute path (see
:func:`kale_like.server.paths.relative_text`).
"""
from __future__ import annotations

from typing import Any

from tornado import web

from ..errors import KaleLikeError
from .offload import Overloaded
from .runs import RunConflict, UnknownRun
from .wording import panel_words


def diagnostic_of(exc: KaleLikeError) -> dict[str, Any]:
    """The error as one analysis diagnostic (the shape ``api.analyze`` returns)."""
    where = exc.location
    return {
        "severity": "error",
        "message": panel_words(exc.message if not exc.hint else f"{exc.message} ({exc.hint})"),
        "cell": getattr(where, "cell", None),
        "line": getattr(where, "line", None),
        "step": getattr(where, "step", None),
        "where": str(where) if where else None,
    }


def error_response(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """Map an exception raised while serving a request to ``(status, body)``."""
    if isinstance(exc, KaleLikeError):
        return 400, {"message": panel_words(exc.render()), "diagnostic": diagnostic_of(exc),
                     "error": type(exc).__name__}
    if isinstance(exc, UnknownRun):
        return 404, {"message": f"no run with id '{exc.args[0]}' (runs are kept in memory "
                                "until the server restarts)"}
    if isinstance(exc, Overloaded):
        return 503, {"message": str(exc)}
    if isinstance(exc, RunConflict):
        return 409, {"message": str(exc), "run": exc.run_id}
    if isinstance(exc, web.HTTPError):
        message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        return exc.status_code, {"message": message or exc.reason or "error"}
    return 500, {"message": f"{type(exc).__name__}: {exc}", "error": "InternalError",
                 "hint": "this is a bug in kale_like; the Jupyter server log has the details"}


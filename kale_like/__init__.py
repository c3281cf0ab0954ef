"""kale_like: turn a Jupyter notebook into a pipeline.

The public API is loaded lazily so that ``import kale_like`` (and the CLI's
start-up) stays cheap.
"""
from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["analyze", "plan", "run", "compile", "submit", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("analyze", "plan", "run", "compile", "submit"):
        from . import api

        return getattr(api, name)
    raise AttributeError(name)

# Jupyter hooks (labextension paths, server extension); kale_like.server imports only the stdlib.
from .server import (  # noqa: E402,F401
    _jupyter_labextension_paths,
    _jupyter_server_extension_points,
    _load_jupyter_server_extension,
)

"""The ``kale_like`` papermill engine: ``from kale_like.papermill.engine import KaleLikeEngine``.

papermill imports every registered engine while its ``papermill.engines`` module loads,
so papermill is imported here before the engine class: the entry point then finds
:mod:`._engine` complete, whichever of papermill and kale_like was imported first.
"""
from __future__ import annotations

from ..errors import KaleLikeError

try:
    import papermill.engines  # noqa: F401  (registers the entry points, ._engine among them)
except ImportError as exc:
    raise KaleLikeError("the papermill engine needs papermill",
                        hint="pip install 'kale_like[papermill]'") from exc

from ._engine import EngineSettings, KaleLikeEngine, read_settings

__all__ = ["EngineSettings", "KaleLikeEngine", "read_settings"]

"""papermill's parameters, applied to a Kale ``pipeline-parameters`` cell.

papermill knows one parameters cell: the first tagged ``parameters``. It injects its
``injected-parameters`` cell right after that cell, or at the top of the notebook when
there is none, and warns ``Passed unknown parameter: NAME`` for every value the
parameters cell does not assign. A notebook written for Kale keeps its defaults in a
``pipeline-parameters`` cell instead; left alone, papermill would inject at the top and
that cell would then reset every value.

With the kale_like engine the Kale cell stands in for papermill's: papermill's first
call into the engine (``nb_kernel_name``, from ``parameterize_notebook``, before it picks
the place) finds it tagged ``parameters`` for the time of the run, so papermill's own
code places the injected cell after it; the tag is taken off before anything is
executed or saved. papermill's unknown-parameter check runs earlier still, with no
engine hook, so a logging filter drops that warning for names the Kale cell assigns
(and only for runs with this engine). Names it does not assign are still reported by
papermill itself, in its own words.
"""
from __future__ import annotations

import logging
import sys
from types import FrameType
from typing import Any

PAPERMILL_TAG = "parameters"
KALE_TAG = "pipeline-parameters"
ADOPTED = "kale_like_adopted_parameters_tag"  # cell metadata key, only while papermill parameterizes
UNKNOWN_PREFIX = "Passed unknown parameter: "


def _tags(cell: Any) -> list:
    return cell.get("metadata", {}).get("tags") or []


def kale_cell(nb: Any) -> Any | None:
    """The cell papermill would treat as the parameters cell under this engine, if it is Kale's."""
    if any(PAPERMILL_TAG in _tags(cell) for cell in nb.cells):
        return None
    return next((cell for cell in nb.cells if cell.get("cell_type") == "code" and KALE_TAG in _tags(cell)), None)


def adopt(nb: Any) -> None:
    """Tag the Kale parameters cell ``parameters`` so papermill injects after it."""
    cell = kale_cell(nb)
    if cell is None:
        return
    cell.setdefault("metadata", {}).setdefault("tags", []).append(PAPERMILL_TAG)
    cell.metadata[ADOPTED] = True


def release(nb: Any) -> None:
    """Take the borrowed tag off again: the executed notebook keeps the user's tags."""
    for cell in nb.cells:
        if cell.get("metadata", {}).pop(ADOPTED, None):
            cell.metadata["tags"].remove(PAPERMILL_TAG)


def known_names(nb: Any, kernel_name: str | None, language: str | None) -> set[str]:
    """The names papermill's translator finds in the Kale cell, as it inspects a parameters cell."""
    from papermill.translators import papermill_translators
    from papermill.utils import nb_kernel_name, nb_language

    cell = kale_cell(nb)
    if cell is None:
        return set()
    translator = papermill_translators.find_translator(nb_kernel_name(nb, kernel_name), nb_language(nb, language))
    try:
        return {parameter.name for parameter in translator.inspect(cell)}
    except NotImplementedError:
        return set()


class KaleParametersAreKnown(logging.Filter):
    """Drops papermill's unknown-parameter warning for names a Kale parameters cell assigns."""

    def __init__(self, engine_name: str):
        super().__init__()
        self.engine_name = engine_name

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(UNKNOWN_PREFIX):
            return True
        run = _papermill_call()
        if run is None or run.get("engine_name") != self.engine_name or run.get("nb") is None:
            return True
        name = message[len(UNKNOWN_PREFIX):]
        return name not in known_names(run["nb"], run.get("kernel_name"), run.get("language"))


def _papermill_call() -> dict[str, Any] | None:
    """The arguments of the ``papermill.execute_notebook`` call that is logging, if any.

    The warning is logged from inside that function, with the notebook and the engine
    name as its locals; nothing else tells a log record which run it belongs to.
    """
    from papermill import execute

    code = execute.execute_notebook.__code__
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code is not code:
        frame = frame.f_back
    return dict(frame.f_locals) if frame is not None else None


def install_filter(engine_name: str) -> None:
    """Once per process: papermill logs through its ``papermill`` logger."""
    logger = logging.getLogger("papermill")
    if not any(isinstance(f, KaleParametersAreKnown) for f in logger.filters):
        logger.addFilter(KaleParametersAreKnown(engine_name))

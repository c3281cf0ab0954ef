"""What a cell did to Python's warning registry, in order, for the merged notebook.

Python shows a warning once per location until the warning filters change (any
``simplefilter``/``filterwarnings``/``resetwarnings``, and every ``catch_warnings``
block, which libraries such as scikit-learn open internally, clears the registry).
One kernel runs every cell in one process; a pipeline runs them in several, so the
merge (``backends/local/warnings_once.py``) replays these events in notebook order to
decide which repeated warnings the kernel would have shown.
"""
from __future__ import annotations

import warnings
from typing import Any

_events: list[Any] = []
_installed = False


def install() -> None:
    """Record filter changes ("M") and shown warnings (["W", file, line, category, message])."""
    global _installed
    if _installed:
        return
    _installed = True
    # The two private hooks CPython's warnings module calls (typeshed does not list them).
    mutated = warnings._filters_mutated  # type: ignore[attr-defined]
    show = warnings._showwarnmsg  # type: ignore[attr-defined]

    def filters_mutated() -> None:
        _events.append("M")
        mutated()

    def showwarnmsg(msg: Any) -> None:
        _events.append(["W", str(msg.filename), str(msg.lineno), msg.category.__name__, str(msg.message)])
        show(msg)

    warnings._filters_mutated = filters_mutated  # type: ignore[attr-defined]
    warnings._showwarnmsg = showwarnmsg  # type: ignore[attr-defined]


def take() -> list[Any]:
    """The events since the last call."""
    taken = list(_events)
    _events.clear()
    return taken

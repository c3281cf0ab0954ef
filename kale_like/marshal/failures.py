"""Turning a failed save or load into one :class:`MarshalError` that names the variable.

Runs only after something went wrong, so it may spend time finding out *which*
variable and *which part* of it is at fault.
"""
from __future__ import annotations

import pickle
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import MarshalError
from .model import MarshalContext
from .stream import DamagedGroup, probe
from .travel import find_untravelable, type_label

_MAIN_ATTRIBUTE = re.compile(r"Can't get attribute '([^']+)' on <module '([^']+)'")
_MAX_DETAIL = 300
_CUSTOM_HINT = ("hint: give its class __getstate__ (or __reduce__) that leaves out what cannot "
                "be saved, or create the value in the step that uses it")


def variables_phrase(names: Sequence[str]) -> str:
    quoted = ", ".join(f"'{name}'" for name in names)
    return f"variable {quoted}" if len(names) == 1 else f"variables {quoted}"


def save_failure(values: Mapping[str, object], context: MarshalContext,
                 error: BaseException) -> MarshalError:
    """Neither the chosen codec nor dill could save ``values``; say which one and why."""
    for name, value in values.items():
        found = find_untravelable(value, name)
        if found is not None:
            path, part, problem = found
            return MarshalError(
                f"variable '{name}' ({type_label(value)}) cannot be passed to another step: "
                f"{path} is a {type_label(part)}, and {problem.reason}",
                context.location(name), problem.hint(path))
    name = _culprit(values)
    hint = _CUSTOM_HINT
    if isinstance(error, RecursionError):
        hint = "hint: the value is nested too deeply to save; flatten it, or save it in parts"
    return MarshalError(
        f"variable '{name}' ({type_label(values[name])}) cannot be passed to another step: "
        f"neither pickle nor dill can save it ({_detail(error)})",
        context.location(name), hint)


def write_failure(values: Mapping[str, object], context: MarshalContext, directory: Path,
                  error: OSError) -> MarshalError:
    names = list(values)
    return MarshalError(
        f"{variables_phrase(names)} could not be written to {directory}: {_detail(error)}",
        context.location(names[0]) if names else None,
        "hint: check free disk space and permissions of the pipeline's data directory")


def load_failure(directory: Path, meta: Mapping[str, Any], error: BaseException,
                 skew: Sequence[str]) -> MarshalError:
    who = f"{variables_phrase(meta.get('names', []))} saved by step '{meta.get('step', '?')}'"
    reason, hint = _load_reason(meta, error)
    if hint is None and skew:
        hint = f"hint: {'; '.join(skew)}; use the same versions in both steps"
    return MarshalError(f"{who} cannot be loaded from {directory}: {reason}", None, hint)


def _load_reason(meta: Mapping[str, Any], error: BaseException) -> tuple[str, str | None]:
    if isinstance(error, ModuleNotFoundError) and error.name:
        package = error.name.partition(".")[0]
        version = dict(meta.get("libraries", {})).get(package)
        had = f" (the saving step had {package} {version})" if version else ""
        return (f"module '{error.name}' is not installed in this step's environment",
                f"hint: install the package that provides '{package}'{had}")
    match = _MAIN_ATTRIBUTE.search(str(error)) if isinstance(error, AttributeError) else None
    if match and match.group(2) == "__main__":
        return (f"the notebook class or function '{match.group(1)}' is not defined in this step",
                "hint: the step must run the cell with its def/class statement before "
                "loading; keep definitions in cells tagged `functions` or above their use")
    if match:
        return (f"'{match.group(1)}' no longer exists in module '{match.group(2)}'", None)
    if isinstance(error, (DamagedGroup, pickle.UnpicklingError, EOFError)):
        return (f"its files are damaged or incomplete ({_detail(error)})",
                "hint: run the step that produced it again")
    return _detail(error), None


def _culprit(values: Mapping[str, object]) -> str:
    """The first variable dill cannot save on its own (the group may fail only as a whole)."""
    names = list(values)
    if len(names) == 1:
        return names[0]
    for name in names:
        try:
            probe(values[name], use_dill=True)
        except Exception:
            return name
    return names[0]


def _detail(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."

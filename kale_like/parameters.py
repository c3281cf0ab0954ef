"""Parameter values from the command line, parsed the way papermill parses them."""
from __future__ import annotations

import keyword
from typing import Any

from .errors import ParameterError


def parse_value(text: str) -> Any:
    """papermill's rule: True/False/None, then int, then float, else the string itself."""
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def collect(values: list[list[str]] | None, raw: list[list[str]] | None, files: list[str] | None,
            yaml_texts: list[str] | None) -> dict[str, Any]:
    """Merge -f files, -y strings, -p and -r pairs (later wins, as in papermill)."""
    import yaml

    params: dict[str, Any] = {}
    for path in files or []:
        try:
            with open(path, encoding="utf-8") as handle:
                loaded = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError(f"cannot read parameters file {path}: {exc}") from None
        params.update(_mapping(loaded, path))
    for text in yaml_texts or []:
        try:
            params.update(_mapping(yaml.safe_load(text) or {}, "-y"))
        except yaml.YAMLError as exc:
            raise ParameterError(f"-y is not valid YAML: {exc}") from None
    for name, value in values or []:
        params[_name(name)] = parse_value(value)
    for name, value in raw or []:
        params[_name(name)] = value
    return params


def _mapping(value: Any, origin: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParameterError(f"parameters from {origin} must be a mapping of names to values")
    return {_name(str(k)): v for k, v in value.items()}


def check_name(name: Any) -> str:
    """The one rule for a parameter name, on every surface (CLI, API, server, papermill,
    sweeps): a Python identifier that is not a keyword. The name becomes an assignment
    target in the injected-parameters cell, so anything else would be code."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        shown = repr(name) if isinstance(name, str) else f"{type(name).__name__} {name!r}"
        why = "a keyword" if isinstance(name, str) and keyword.iskeyword(name) else "not a Python identifier"
        raise ParameterError(f"{shown[:80]} is not a valid parameter name ({why})",
                             hint="parameter names are Python identifiers such as alpha or n_rows")
    return name


def check_names(parameters: Any) -> dict[str, Any]:
    """``parameters`` as a dict whose names all pass :func:`check_name`."""
    if not isinstance(parameters, dict):
        raise ParameterError("parameters must be a mapping of names to values")
    for name in parameters:
        check_name(name)
    return parameters


_name = check_name

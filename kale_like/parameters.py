"""Parameter values from the command line, parsed the way papermill parses them."""
from __future__ import annotations

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


def _name(name: str) -> str:
    if not name.isidentifier():
        raise ParameterError(f"'{name}' is not a valid parameter name (it must be a Python identifier)")
    return name

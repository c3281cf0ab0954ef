"""Reading ``.ipynb`` files (and papermill's in-memory notebooks) into the notebook model."""
from __future__ import annotations

import json
import os
from typing import Any

from ..errors import Location, NotebookError
from .model import Cell, Notebook
from .settings import read_settings
from .tags import parse_tags


def load_notebook(path: str | os.PathLike) -> Notebook:
    """Read a notebook file (v4, or older versions upgraded) into a :class:`Notebook`.

    v4 files are parsed with the standard library: importing nbformat costs seconds
    on machines where jsonschema's format checkers are installed, and ``kale-like
    validate`` must answer in a fraction of that. Older versions go through
    nbformat, which upgrades them. Errors name the path as the caller gave it.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise NotebookError(f"{path}: no such file")
    if os.path.isdir(path):
        raise NotebookError(f"{path}: is a directory, not a notebook")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise NotebookError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return notebook_from_data(parse_json(text, path), path, text)


def notebook_from_data(node: Any, path: str, text: str | None = None) -> Notebook:
    """A notebook's JSON data (parsed, or an ``nbformat.NotebookNode``) as a :class:`Notebook`,
    named ``path`` (its file name names the pipeline; its folder holds local modules).
    Older versions are upgraded through nbformat, as when read from a file; ``text`` is the
    data as read, if it was."""
    if not isinstance(node, dict) or not isinstance(node.get("cells", []), list):
        raise NotebookError(f"{path}: not a valid notebook: expected an object with a 'cells' list")
    if node.get("nbformat") != 4:
        node = _upgraded(text if text is not None else json.dumps(node), path)
    return notebook_from_node(node, path)


def parse_json(text: str, where: str) -> Any:
    """``json.loads`` with every way it fails as one :class:`NotebookError`."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise NotebookError(f"{where}: not a valid notebook: the file is not JSON ({exc})") from None
    except RecursionError:
        raise NotebookError(f"{where}: not a valid notebook: its JSON nests too deeply") from None


def _upgraded(text: str, path: str) -> Any:
    from ..nbformat_loader import load_nbformat
    nbformat = load_nbformat()

    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises a mix of json, validation and key errors
        raise NotebookError(f"{path}: not a valid notebook: {_first_line(exc)}") from None


def notebook_from_node(node: Any, path: str | None = None) -> Notebook:
    """Build a :class:`Notebook` from an in-memory ``nbformat.NotebookNode`` (or plain JSON data).

    Everything kale_like later relies on is checked here, so that a malformed notebook
    is one error naming the cell, never a crash deeper in.
    """
    where = path or "notebook"
    if not isinstance(node, dict):
        raise NotebookError(f"{where}: not a valid notebook: expected a JSON object")
    meta = node.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise NotebookError(f"{where}: not a valid notebook: 'metadata' must be an object")
    language = _kernel_language(meta or {}, where)
    if language != "python":
        raise NotebookError(f"{where}: the kernel language is '{language}'; kale_like runs Python notebooks only")
    raw_cells = node.get("cells", [])
    if not isinstance(raw_cells, list):
        raise NotebookError(f"{where}: not a valid notebook: 'cells' must be a list")
    cells = tuple(_cell(raw, index, where) for index, raw in enumerate(raw_cells))
    if not any(c.cell_type == "code" and c.source.strip() for c in cells):
        raise NotebookError(f"{where}: the notebook has no code to run")
    try:
        settings = read_settings(meta)
        _check_text(settings, f"{where}: notebook metadata")
    except NotebookError as exc:
        raise NotebookError(f"{where}: {exc.message}", hint=exc.hint) from None
    return Notebook(path=path, cells=cells, settings=settings, kernel_language=language)


def _cell(raw: Any, index: int, where: str) -> Cell:
    number = index + 1
    if not isinstance(raw, dict) or raw.get("cell_type") not in ("code", "markdown", "raw"):
        raise NotebookError(f"{where}: cell {number} is malformed (no valid cell_type)")
    cell_type = raw["cell_type"]
    meta = raw.get("metadata") or {}
    if not isinstance(meta, dict):
        raise NotebookError(f"{where}: cell {number}: metadata must be an object")
    tags = meta.get("tags") or []
    if not isinstance(tags, (list, tuple)):
        raise NotebookError(f"{where}: cell {number}: metadata.tags must be a list")
    source = raw.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise NotebookError(f"{where}: cell {number}: the source must be text (a string or a list of strings)")
    cell_id = raw.get("id")
    if cell_id is not None and not isinstance(cell_id, str):
        raise NotebookError(f"{where}: cell {number}: the id must be a string")
    _check_text((source, tags, cell_id), f"{where}: cell {number}")
    parsed = parse_tags(tags, number) if cell_type == "code" else parse_tags([], number)
    count = raw.get("execution_count") if cell_type == "code" else None
    return Cell(index=index, cell_type=cell_type, source=source, tags=parsed, cell_id=cell_id,
                execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None)


def _check_text(value: Any, where: str) -> None:
    """Refuse lone surrogates (``"\\ud800"`` is valid JSON but no valid text): nothing could
    write them to a file, a YAML document or a step process later."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise NotebookError(f"{where}: holds an invalid character ({exc.object[exc.start]!a}, "
                                    "a lone surrogate)") from None
        elif isinstance(item, dict):
            todo += [*item.keys(), *item.values()]
        elif isinstance(item, (list, tuple)):
            todo += list(item)
        elif hasattr(item, "__dataclass_fields__"):
            todo += [getattr(item, name) for name in item.__dataclass_fields__]


def _kernel_language(meta: dict[str, Any], where: str) -> str:
    info = meta.get("language_info") or {}
    spec = meta.get("kernelspec") or {}
    for key, value in (("language_info", info), ("kernelspec", spec)):
        if not isinstance(value, dict):
            raise NotebookError(f"{where}: not a valid notebook: metadata.{key} must be an object")
    language = info.get("name") or spec.get("language") or "python"
    if not isinstance(language, str):
        raise NotebookError(f"{where}: not a valid notebook: the kernel language must be a string")
    return language.lower()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["load_notebook", "notebook_from_node", "parse_json", "Location"]

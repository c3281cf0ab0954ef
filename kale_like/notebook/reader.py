"""Reading ``.ipynb`` files: the only module that touches nbformat on the way in."""
from __future__ import annotations

import json
import os
from typing import Any

from ..errors import Location, NotebookError
from .model import Cell, Notebook, NotebookSettings
from .tags import parse_tags


def load_notebook(path: str | os.PathLike) -> Notebook:
    """Read a notebook file (v4, or older versions upgraded) into a :class:`Notebook`.

    v4 files are parsed with the standard library: importing nbformat costs seconds
    on machines where jsonschema's format checkers are installed, and ``kale-like
    validate`` must answer in a fraction of that. Older versions go through
    nbformat, which upgrades them.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise NotebookError(f"{path}: no such file")
    if os.path.isdir(path):
        raise NotebookError(f"{path}: is a directory, not a notebook")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{path}: not a text file ({exc.reason})") from None
    try:
        node = json.loads(text)
    except ValueError as exc:
        raise NotebookError(f"{path}: not a valid notebook: the file is not JSON ({exc})") from None
    if not isinstance(node, dict) or not isinstance(node.get("cells", []), list):
        raise NotebookError(f"{path}: not a valid notebook: expected an object with a 'cells' list")
    if node.get("nbformat") != 4:
        node = _upgraded(text, path)
    return notebook_from_node(node, path)


def _upgraded(text: str, path: str) -> Any:
    from kale_like.notebook.nbformat_loader import load_nbformat
    nbformat = load_nbformat()

    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises a mix of json, validation and key errors
        raise NotebookError(f"{path}: not a valid notebook: {_first_line(exc)}") from None


def notebook_from_node(node: Any, path: str | None = None) -> Notebook:
    """Build a :class:`Notebook` from an in-memory ``nbformat.NotebookNode``."""
    where = path or "notebook"
    language = _kernel_language(node)
    if language != "python":
        raise NotebookError(f"{where}: the kernel language is '{language}'; kale_like runs Python notebooks only")
    cells = []
    for index, raw in enumerate(node.get("cells", [])):
        if not isinstance(raw, dict) or raw.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookError(f"{where}: cell {index + 1} is malformed (no valid cell_type)")
        cell_type = raw["cell_type"]
        tags = raw.get("metadata", {}).get("tags", []) or []
        if not isinstance(tags, (list, tuple)):
            raise NotebookError(f"{where}: cell {index + 1}: metadata.tags must be a list")
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        parsed = parse_tags(tags, index + 1) if cell_type == "code" else parse_tags([], index + 1)
        cells.append(Cell(index=index, cell_type=cell_type, source=source, tags=parsed,
                          cell_id=raw.get("id")))
    if not any(c.cell_type == "code" and c.source.strip() for c in cells):
        raise NotebookError(f"{where}: the notebook has no code to run")
    return Notebook(path=path, cells=tuple(cells), settings=_settings(node.get("metadata", {})),
                    kernel_language=language)


def _kernel_language(node: Any) -> str:
    meta = node.get("metadata", {}) or {}
    info = meta.get("language_info", {}) or {}
    spec = meta.get("kernelspec", {}) or {}
    language = info.get("name") or spec.get("language") or "python"
    return str(language).lower()


def _settings(meta: dict[str, Any]) -> NotebookSettings:
    ours = dict(meta.get("kubeflow_notebook", {}) or {})
    ours.update(meta.get("kale_like", {}) or {})
    volumes = ours.get("volumes", []) or []
    if not isinstance(volumes, list):
        raise NotebookError("notebook metadata: kale_like.volumes must be a list")
    volumes, minikf_only = _without_minikf_settings(ours, volumes)
    defaults = ours.get("step_defaults", {}) or {}
    if not isinstance(defaults, dict):
        raise NotebookError("notebook metadata: kale_like.step_defaults must be a mapping")
    return NotebookSettings(
        pipeline_name=ours.get("pipeline_name"),
        description=ours.get("pipeline_description", ours.get("description", "")) or "",
        experiment=ours.get("experiment_name", (ours.get("experiment") or {}).get("name")
                            if isinstance(ours.get("experiment"), dict) else ours.get("experiment")),
        base_image=ours.get("docker_image", ours.get("base_image")) or None,
        kfp_host=ours.get("kfp_host") or None,
        step_defaults=defaults,
        volumes=tuple(volumes),
        minikf_only=tuple(minikf_only),
    )


# Kale's metadata flags that ask MiniKF's Rok to snapshot the notebook's volumes.
MINIKF_FLAGS = {"snapshot_volumes": "snapshot the notebook's volumes before the run",
                "autosnapshot": "snapshot every step's volumes after it runs"}


def _without_minikf_settings(meta: dict[str, Any], volumes: list[Any]) -> tuple[list[Any], list[str]]:
    """Drop the settings only MiniKF can honour, with a sentence for each saying what happens.

    Kale accepts them anywhere and MiniKF acts on them; elsewhere there is no Rok to
    clone or snapshot with, so refusing the notebook would only block a run that works.
    """
    kept, notes = [], []
    for number, volume in enumerate(volumes):
        if isinstance(volume, dict) and volume.get("type") == "clone":
            notes.append(f"notebook metadata: volumes[{number}] ('{volume.get('name', '')}' at "
                         f"{volume.get('mount_point', '?')}) is a MiniKF clone of the notebook's volume; "
                         "kale_like does not clone volumes, so it is left out and steps run without it "
                         "(list an existing claim with type 'pvc' to mount it)")
        else:
            kept.append(volume)
    for flag, meaning in MINIKF_FLAGS.items():
        if meta.get(flag):
            notes.append(f"notebook metadata: {flag} asks MiniKF to {meaning}; ignored (no snapshot is taken)")
    return kept, notes


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["load_notebook", "notebook_from_node", "Location"]

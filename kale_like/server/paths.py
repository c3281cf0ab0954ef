"""Turning a notebook path from the browser into a file on disk, inside the server root.

Paths arrive as contents-API paths (relative, ``/``-separated). Anything absolute, with
a ``..`` segment, hidden (unless the contents manager allows it) or leading outside the
root through a symlink is refused before any file is touched.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from typing import Any

from jupyter_core.utils import ensure_async
from tornado import web

_DRIVE = re.compile(r"^[A-Za-z]:")


def check_api_path(path: Any) -> list[str]:
    """Validate a contents-API path and return its segments."""
    if not isinstance(path, str) or not path.strip():
        raise web.HTTPError(400, "a notebook 'path' is required")
    if "\x00" in path or path.startswith(("/", "\\", "~")) or _DRIVE.match(path):
        raise web.HTTPError(400, "absolute paths are refused: give the path relative to the server root")
    parts = [p for p in re.split(r"[\\/]+", path) if p not in ("", ".")]
    if ".." in parts:
        raise web.HTTPError(400, "paths with '..' are refused: the notebook must be inside the server root")
    if not parts or not parts[-1].endswith(".ipynb"):
        raise web.HTTPError(400, f"'{path}' is not a notebook (.ipynb)")
    return parts


def _inside(child: str, root: str) -> bool:
    return os.path.commonpath([child, root]) == root


async def resolve_notebook(contents_manager: Any, path: Any) -> str:
    """Return the OS path of the notebook at API ``path``; 400/404 if refused or missing."""
    parts = check_api_path(path)
    api_path = "/".join(parts)
    if not getattr(contents_manager, "allow_hidden", False) and await ensure_async(
            contents_manager.is_hidden(api_path)):
        raise web.HTTPError(404, f"no notebook at '{api_path}'")
    if not await ensure_async(contents_manager.file_exists(api_path)):
        raise web.HTTPError(404, f"no notebook at '{api_path}'")
    root = getattr(contents_manager, "root_dir", None)
    if not root:
        return await _materialize(contents_manager, api_path)
    real_root = os.path.realpath(root)
    os_path = os.path.realpath(os.path.join(real_root, *parts))
    if not _inside(os_path, real_root):
        raise web.HTTPError(400, "the notebook resolves to a file outside the server root")
    return os_path


async def _materialize(contents_manager: Any, api_path: str) -> str:
    """For contents managers that are not plain files: copy the notebook to a temp file."""
    model = await ensure_async(contents_manager.get(api_path, content=True, type="notebook"))
    folder = tempfile.mkdtemp(prefix="kale-like-")
    os_path = os.path.join(folder, api_path.rsplit("/", 1)[-1])
    with open(os_path, "w", encoding="utf-8") as handle:
        json.dump(model["content"], handle)
    return os_path


def api_path_of(contents_manager: Any, os_path: str | None) -> str | None:
    """The contents-API path of a file under the root, or None when it is elsewhere."""
    root = getattr(contents_manager, "root_dir", None)
    if not os_path or not root:
        return None
    real_root, real = os.path.realpath(root), os.path.realpath(os_path)
    if not _inside(real, real_root):
        return None
    return os.path.relpath(real, real_root).replace(os.sep, "/")


def draft_content(content: Any) -> dict[str, Any]:
    """Unsaved notebook ``content`` from the editor, checked to be a notebook's JSON (else a 400)."""
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        raise web.HTTPError(400, "'content' must be a notebook (a JSON object with 'cells')")
    return content


def relative_text(text: str, root: str | None, known: dict[str, str] | None = None) -> str:
    """``text`` with server-side absolute paths taken out: notebook paths become the
    contents-API paths the browser sent, anything else under the root becomes relative
    to it, and other places of this machine (temp folders, the home, Python's prefix)
    keep only their last part."""
    for os_path, api_path in sorted((known or {}).items(), key=lambda item: -len(item[0])):
        text = text.replace(os_path, api_path)
    for folder in _roots(root):
        text = text.replace(folder + os.sep, "")
    for folder in _private_places():
        text = re.sub(re.escape(folder) + r"[^\s'\"]*", lambda found: os.path.basename(found.group()) or ".", text)
    return text


def _roots(root: str | None) -> list[str]:
    return sorted({os.path.realpath(root), os.path.abspath(root)}, key=len, reverse=True) if root else []


def _private_places() -> list[str]:
    places = {tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir()), os.path.expanduser("~"),
              sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    return sorted((p for p in places if p and p != os.sep), key=len, reverse=True)

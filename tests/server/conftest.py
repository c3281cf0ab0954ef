"""Fixtures for the server extension tests: a jupyter_server with kale_like loaded
(pytest-jupyter's ``jp_*`` fixtures) and small notebooks written into its root."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("jupyter_server")
pytest.importorskip("pytest_jupyter")

from pytest_jupyter.jupyter_server import *

from notebook_builder import build_notebook


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"kale_like": True}}}


def notebook_json(*cells: tuple[str, list[str]]) -> dict:
    """A v4 notebook with one code cell per ``(source, tags)``, from the shared builder."""
    return build_notebook(*cells)


TWO_STEPS = notebook_json(("x = 2", ["step:make"]), ("y = x * 3\nprint(y)", ["step:double"]))
FAILING = notebook_json(("x = 2", ["step:make"]), ("y = x * 3\nraise ValueError('boom')", ["step:explode"]))
SLOW = notebook_json(("import time\ntime.sleep(60)\nx = 1", ["step:sleepy"]), ("print(x)", ["step:after"]))


@pytest.fixture
def write_notebook(jp_root_dir: Path):
    def write(name: str, content: dict) -> str:
        path = jp_root_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content), encoding="utf-8")
        return name
    return write

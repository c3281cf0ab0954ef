"""A real jupyter_server with kale_like loaded (pytest-jupyter's jp_* fixtures)."""
from __future__ import annotations

import pytest

pytest.importorskip("pytest_jupyter")

from pytest_jupyter.jupyter_server import *  # noqa: E402,F401,F403 - the jp_* fixtures and their hooks


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"kale_like": True}}}

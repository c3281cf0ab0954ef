"""Fixtures for the papermill tests (helpers live in pm_harness)."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("papermill")

from papermill.engines import papermill_engines  # noqa: E402

from kale_like.papermill import ENGINE_NAME  # noqa: E402
from kale_like.papermill.engine import KaleLikeEngine  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def kale_like_engine() -> str:
    """Register the engine in-process; the entry point needs an install (see test_entry_point)."""
    papermill_engines.register(ENGINE_NAME, KaleLikeEngine)
    return ENGINE_NAME


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own cache, so runs never see another test's results."""
    cache = tmp_path / "kale_like_cache"
    monkeypatch.setenv("KALE_LIKE_WORKDIR", str(cache))
    return cache



"""The ``papermill.engine`` entry point: declared in pyproject, and found by papermill once installed."""
from __future__ import annotations

import importlib
import importlib.metadata as metadata
import subprocess
import sys

import pytest

from kale_like.papermill import ENGINE_NAME, ENTRY_POINT

from pm_harness import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _load(target: str):
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def test_pyproject_declares_the_engine():
    with open(REPO / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    assert project["entry-points"]["papermill.engine"] == {ENGINE_NAME: ENTRY_POINT}
    assert any(r.startswith("papermill") for r in project["optional-dependencies"]["test"])
    from papermill.engines import Engine

    assert issubclass(_load(ENTRY_POINT), Engine)


def test_installed_metadata_resolves_the_engine():
    """Holds after ``pip install -e '.[test]'`` (what CI does)."""
    try:
        metadata.distribution("kale_like")
    except metadata.PackageNotFoundError:
        pytest.skip("kale_like is importable but not installed, so it has no entry points")
    found = [e for e in metadata.entry_points(group="papermill.engine") if e.name == ENGINE_NAME]
    assert [e.value for e in found] == [ENTRY_POINT], "reinstall: pip install -e '.[test]'"
    from papermill.engines import PapermillEngines

    engines = PapermillEngines()
    engines.register_entry_points()
    assert engines.get_engine(ENGINE_NAME) is _load(ENTRY_POINT)


IMPORT_ORDERS = {
    "the engine first": "from kale_like.papermill.engine import KaleLikeEngine\nimport papermill.engines as pe",
    "papermill first": "import papermill.engines as pe\nfrom kale_like.papermill.engine import KaleLikeEngine",
    "papermill's execute first": "import papermill\nimport papermill.engines as pe\n"
                                 "from kale_like.papermill.engine import KaleLikeEngine",
    "the package first": "import kale_like.papermill\nfrom kale_like.papermill.engine import KaleLikeEngine\n"
                         "import papermill.engines as pe",
}


@pytest.mark.parametrize("order", sorted(IMPORT_ORDERS))
def test_engine_imports_in_any_order(order):
    """papermill loads entry points while ``papermill.engines`` imports; importing our engine module first
    once handed it a half-made module (AttributeError from papermill's entry-point loader)."""
    code = IMPORT_ORDERS[order] + "\nassert pe.papermill_engines.get_engine('kale_like') is KaleLikeEngine\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]

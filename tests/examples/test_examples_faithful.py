"""Each example computes, as a pipeline, what it computes top to bottom in a kernel
(the faithfulness harness: nbclient against ``kale-like run``, cell by cell)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faithfulness.harness import assert_faithful

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))

pytestmark = pytest.mark.kernel


def test_every_example_is_checked():
    assert {"quickstart.ipynb", "classifier.ipynb", "exploration.ipynb", "report.ipynb",
            "from_kale.ipynb"} <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_example_matches_the_kernel(tmp_path: Path, name: str):
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("*.executed.ipynb", "*.sweep", "__pycache__"))
    assert_faithful(folder / name, split="auto")

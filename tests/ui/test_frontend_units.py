"""The front end's unit tests (vitest: model, tag grammar, tag editor, DAG layout, requests),
run from pytest so one ``python -m pytest`` covers every group. ``jlpm test`` runs them alone."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_frontend_unit_tests_pass():
    jlpm = shutil.which("jlpm")
    if jlpm is None or not (ROOT / "node_modules" / ".bin" / "vitest").exists():
        pytest.skip("no jlpm or node_modules: build the extension first (pip install -e . runs jlpm install)")
    result = subprocess.run([jlpm, "test"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout

"""The lint configuration in pyproject.toml (``[tool.ruff]``) holds for the whole tree, so the
suite's one command also keeps unused imports, undefined names and over-complex functions out."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "kale_like", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr

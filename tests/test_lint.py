"""The lint configuration holds for the whole tree, so the suite's one command also keeps it:
ruff (``[tool.ruff]`` in pyproject.toml: unused imports, undefined names, over-complex
functions) and mypy (``[tool.mypy]``: kale_like/ type-checks) for the Python, and eslint (``eslint.config.mjs``) plus prettier
(``.prettierrc.json``) for the panel's TypeScript, through package.json's ``*:check`` scripts."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "kale_like", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing(tmp_path: Path):
    # A fresh cache: an old one can hide errors in modules whose dependencies changed.
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def _jlpm_script(name: str) -> subprocess.CompletedProcess[str]:
    """Run a package.json script with the linters `pip install -e .` installed (its build runs
    `jlpm install`, so a fresh clone set up by .ci/run has them in node_modules). Missing
    linters fail the test rather than skip it: a skipped check let unformatted files in."""
    jlpm = shutil.which("jlpm")
    tool = name.split(":")[0]
    assert jlpm is not None, "no jlpm on PATH (it comes with jupyterlab: pip install -e '.[test]')"
    assert (ROOT / "node_modules" / ".bin" / tool).exists(), \
        f"no node_modules/.bin/{tool} in {ROOT}: run `jlpm install` there (pip install -e . does)"
    return subprocess.run([jlpm, name], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("script", ["eslint:check", "prettier:check"])
def test_typescript_lint_finds_nothing(script: str):
    result = _jlpm_script(script)
    assert result.returncode == 0, f"`jlpm {script}` found problems (`jlpm lint` fixes what it can):\n" \
                                   + result.stdout[-6000:] + result.stderr[-3000:]

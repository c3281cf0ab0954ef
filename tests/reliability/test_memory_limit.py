"""Issue 9 item 10 (memory): ``limit:memory`` is enforced on local runs too; a step over its
limit fails with a message naming the step and the limit, and nothing else is affected."""
from __future__ import annotations

from pathlib import Path

import pytest

import kale_like
from kale_like.runtime.memory import quantity_bytes

from .proc_harness import cli, outputs, write_notebook

ALLOCATE_600MB = "import numpy as np\nbig = np.ones(600 * 2**20 // 8)\nprint(big.nbytes)"


def _run(tmp_path: Path, *cells, metadata: dict | None = None):
    nb = write_notebook(tmp_path / "nb.ipynb", *cells, metadata=metadata)
    return cli("run", str(nb), "--workdir", str(tmp_path / "w"), "--out", str(tmp_path / "o.ipynb"))


def _failure_line(stderr: str) -> str:
    [line] = [line for line in stderr.splitlines() if line.startswith("kale-like: failed at")]
    return line


def test_numpy_array_over_the_limit_fails_the_step_with_the_limit_named(tmp_path: Path) -> None:
    result = _run(tmp_path, (ALLOCATE_600MB, ["step:big", "limit:memory:300Mi"]))
    assert result.returncode == 1, result.stderr
    line = _failure_line(result.stderr)
    assert "step 'big'" in line and "limit of 300Mi (limit:memory:300Mi)" in line and "MemoryError" in line
    assert "raise the step's limit:memory tag" in result.stderr


def test_python_objects_over_the_limit_fail_the_same_way(tmp_path: Path) -> None:
    result = _run(tmp_path, ("items = [str(i) for i in range(20_000_000)]", ["step:many", "limit:memory:256Mi"]))
    assert result.returncode == 1
    assert "step 'many'" in _failure_line(result.stderr) and "limit of 256Mi" in result.stderr


def test_a_step_within_its_limit_runs(tmp_path: Path) -> None:
    result = _run(tmp_path, (ALLOCATE_600MB, ["step:big", "limit:memory:1.5Gi"]))
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path / "o.ipynb")[0] == f"{600 * 2**20}\n"


def test_the_limit_stays_with_its_step(tmp_path: Path) -> None:
    # The unlimited step allocates what the limited one may not: the limit did not leak
    # into the warm parent or the other steps.
    result = _run(tmp_path, (ALLOCATE_600MB, ["step:free"]),
                  ("small = list(range(10))\nprint(len(small))", ["step:limited", "limit:memory:400Mi"]),
                  (ALLOCATE_600MB.replace("big", "again"), ["step:free_again"]))
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path / "o.ipynb") == [f"{600 * 2**20}\n", "10\n", f"{600 * 2**20}\n"]


def test_step_defaults_limit_applies_to_every_step(tmp_path: Path) -> None:
    result = _run(tmp_path, ("x = 1", ["step:first"]), (ALLOCATE_600MB, ["step:second"]),
                  metadata={"step_defaults": {"limits": {"memory": "300Mi"}}})
    assert result.returncode == 1
    assert "step 'second'" in _failure_line(result.stderr) and "limit of 300Mi" in result.stderr


def test_a_process_the_step_starts_is_limited_too(tmp_path: Path) -> None:
    code = ("import subprocess, sys\n"
            "done = subprocess.run([sys.executable, '-c', 'bytearray(600 * 2**20)'], capture_output=True, text=True)\n"
            "print(done.returncode != 0, 'MemoryError' in done.stderr)")
    result = _run(tmp_path, (code, ["step:spawner", "limit:memory:300Mi"]))
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path / "o.ipynb")[0] == "True True\n"


def test_api_error_names_step_and_limit(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", (ALLOCATE_600MB, ["step:big", "limit:memory:200M"]))
    result = kale_like.run(str(nb), workdir=str(tmp_path / "w"), out=str(tmp_path / "o.ipynb"))
    assert not result.ok
    assert result.error["step"] == "big" and "limit:memory:200M" in result.error["message"]


@pytest.mark.parametrize("text,expected", [("512Mi", 512 * 2**20), ("1.5Gi", int(1.5 * 2**30)), ("2G", 2 * 10**9),
                                           ("100k", 100_000), ("1048576", 2**20)])
def test_quantities(text: str, expected: int) -> None:
    assert quantity_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "2GB", "-1Gi", "lots"])
def test_bad_quantities_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        quantity_bytes(text)

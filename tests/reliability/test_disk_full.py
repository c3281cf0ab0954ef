"""Issue 9 item 6: a full disk says "no space left in DIR" (exit status 1) and leaves no partial files;
a SIGTERM during the final write leaves no temporary notebook.

The full disk is real: a small tmpfs mounted for the test (root only, as on CI).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kale_like
from kale_like.files import TEMP_PREFIX

from .proc_harness import cli, outputs, write_notebook

BIG_VALUE = "import numpy as np\nbig = np.ones(2_000_000)"  # 16 MB to save


@pytest.fixture
def small_disk(tmp_path: Path):
    """Mount tmpfs filesystems of a given size under tmp_path; unmounted at teardown."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _leftovers(*folders: Path) -> list[str]:
    """Partial files of ours: staging folders, temporary reports and notebooks."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.name.endswith((".partial", ".old")) or ".tmp" in path.name or path.name.startswith(TEMP_PREFIX):
                found.append(str(path))
    return found


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kale-like: error")]


def test_values_that_do_not_fit_say_no_space_in_the_workdir(tmp_path: Path, small_disk) -> None:
    workdir = small_disk("disk", "2m")
    nb = write_notebook(tmp_path / "nb.ipynb", BIG_VALUE, "print(big.sum())")
    result = cli("run", str(nb), "--split", "cells", "--workdir", str(workdir), "--out", str(tmp_path / "o.ipynb"))
    assert result.returncode == 1, result.stderr
    assert _errors(result.stderr) == [f"kale-like: error: no space left in {workdir}"]
    assert "Traceback" not in result.stderr and "exit status" not in result.stderr
    assert _leftovers(workdir, tmp_path) == []


def test_full_output_folder_says_no_space_there_and_leaves_no_temporary(tmp_path: Path, small_disk) -> None:
    out_dir = small_disk("out", "64k")
    nb = write_notebook(tmp_path / "nb.ipynb", "print('x' * 300_000)")
    result = cli("run", str(nb), "--workdir", str(tmp_path / "work"), "--out", str(out_dir / "o.ipynb"))
    assert result.returncode == 1, result.stderr
    assert _errors(result.stderr) == [f"kale-like: error: no space left in {out_dir}"]
    assert list(out_dir.iterdir()) == []


def test_disk_filled_by_the_step_itself_still_names_the_folder(tmp_path: Path, small_disk) -> None:
    # Not even the step's report fits: the step process can only exit with a status.
    workdir = small_disk("disk", "1m")
    filler = workdir / "filler"
    fill = (f"chunk = b'x' * 4096\ntry:\n    with open({str(filler)!r}, 'wb') as f:\n        while True:\n"
            "            f.write(chunk)\n            f.flush()\nexcept OSError:\n    pass\nresult = list(range(100_000))")
    nb = write_notebook(tmp_path / "nb.ipynb", fill, "print(len(result))")
    result = cli("run", str(nb), "--split", "cells", "--workdir", str(workdir), "--out", str(tmp_path / "o.ipynb"))
    assert result.returncode == 1, result.stderr
    assert _errors(result.stderr) == [f"kale-like: error: no space left in {workdir}"]
    filler.unlink()
    assert _leftovers(workdir, tmp_path) == []


def test_api_reports_no_space_and_a_rerun_resumes_once_space_is_back(tmp_path: Path, small_disk) -> None:
    workdir = small_disk("disk", "4m")
    hog = workdir / "hog"
    hog.write_bytes(b"\0" * (3 << 20))
    nb = write_notebook(tmp_path / "nb.ipynb", "n = 21", "import numpy as np\nbig = np.ones(300_000) * n",
                        "print(float(big.sum()))")
    result = kale_like.run(str(nb), split="cells", workdir=str(workdir), out=str(tmp_path / "o.ipynb"))
    assert not result.ok
    assert result.error["no_space"] == str(workdir) and result.error["step"] == "cell_2"
    assert result.error["message"] == f"no space left in {workdir}"
    assert _leftovers(workdir, tmp_path) == []
    hog.unlink()
    again = cli("run", str(nb), "--split", "cells", "--workdir", str(workdir), "--out", str(tmp_path / "o.ipynb"))
    assert again.returncode == 0, again.stderr
    assert "cell_1: cached" in again.stderr
    assert outputs(tmp_path / "o.ipynb")[2] == f"{21.0 * 300_000}\n"


def test_workdir_full_before_the_run_starts(tmp_path: Path, small_disk) -> None:
    workdir = small_disk("disk", "1m")
    (workdir / "hog").write_bytes(b"\0" * ((1 << 20) - 2048))
    nb = write_notebook(tmp_path / "nb.ipynb", "x = list(range(50_000))", "print(len(x))")
    result = cli("run", str(nb), "--split", "cells", "--workdir", str(workdir), "--out", str(tmp_path / "o.ipynb"))
    assert result.returncode == 1, result.stderr
    assert _errors(result.stderr) == [f"kale-like: error: no space left in {workdir}"]
    assert _leftovers(workdir, tmp_path) == []


# --- signals during the final write ---------------------------------------------------

def _start_big_output_run(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    # About 60 MB of output: the executed notebook takes a second or more to write.
    nb = write_notebook(tmp_path / "nb.ipynb", "for i in range(30):\n    print(str(i) * 2_000_000)")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "kale_like", "run", str(nb), "--workdir", str(tmp_path / "w"),
                                "--out", str(out_dir / "o.ipynb")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    return process, out_dir


def _wait_for_temporary(out_dir: Path, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not any(p.name.startswith(f"{TEMP_PREFIX}{process.pid}_") for p in out_dir.iterdir()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the final write never started"
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_the_final_write_leaves_no_temporary(tmp_path: Path, signum: int) -> None:
    process, out_dir = _start_big_output_run(tmp_path)
    _wait_for_temporary(out_dir, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_temporary_of_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    process, out_dir = _start_big_output_run(tmp_path)
    _wait_for_temporary(out_dir, process)
    process.kill()  # SIGKILL: nothing of ours can run
    process.communicate(timeout=60)
    assert len(list(out_dir.iterdir())) == 1
    result = cli("run", str(tmp_path / "nb.ipynb"), "--workdir", str(tmp_path / "w"), "--out", str(out_dir / "o.ipynb"))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out_dir.iterdir()] == ["o.ipynb"]

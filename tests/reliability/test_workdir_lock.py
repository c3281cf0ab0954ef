"""Issue 9 item 5: two runs sharing a work directory never corrupt each other.

A run holds the work directory's lock; a second run waits (one line saying for whom)
or, past ``KALE_LIKE_LOCK_TIMEOUT``, fails with one clear line.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import kale_like

from .proc_harness import cli, outputs, write_notebook


def _slow_notebook(tmp_path: Path, seconds: float = 4.0, name: str = "nb.ipynb") -> tuple[Path, Path]:
    """A notebook whose first step marks that it started, then sleeps."""
    mark = tmp_path / f"{name}.started"
    nb = write_notebook(tmp_path / name,
                        f"import pathlib, time\npathlib.Path({str(mark)!r}).write_text('x')\ntime.sleep({seconds})\nn = 21",
                        "print(n * 2)")
    return nb, mark


def _start_cli(nb: Path, out: Path, workdir: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kale_like", "run", str(nb), "--split", "cells", "--out", str(out),
                             "--workdir", str(workdir), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def _wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_second_cli_run_waits_and_then_both_succeed(tmp_path: Path) -> None:
    nb, mark = _slow_notebook(tmp_path)
    workdir = tmp_path / "work"
    first = _start_cli(nb, tmp_path / "a.ipynb", workdir)
    _wait_for(mark)
    second = cli("run", str(nb), "--split", "cells", "--out", str(tmp_path / "b.ipynb"), "--workdir", str(workdir))
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    waiting = [line for line in second.stderr.splitlines() if "waiting for another run" in line]
    assert len(waiting) == 1 and f"(process {first.pid}," in waiting[0] and str(workdir) in waiting[0]
    assert outputs(tmp_path / "a.ipynb")[1] == outputs(tmp_path / "b.ipynb")[1] == "42\n"
    assert "cell_1: cached" in second.stderr  # it started after the first one finished


def test_no_waiting_means_one_clear_error(tmp_path: Path) -> None:
    nb, mark = _slow_notebook(tmp_path)
    workdir = tmp_path / "work"
    first = _start_cli(nb, tmp_path / "a.ipynb", workdir)
    _wait_for(mark)
    second = cli("run", str(nb), "--split", "cells", "--workdir", str(workdir), env={"KALE_LIKE_LOCK_TIMEOUT": "0"})
    first.communicate(timeout=300)
    assert second.returncode == 2
    [line] = second.stderr.strip().splitlines()
    assert line.startswith(f"kale-like: error: the work directory {workdir} is in use by another run of ")
    assert f"(process {first.pid}," in line and "--workdir" in line
    assert first.returncode == 0


def test_waiting_gives_up_after_the_bound(tmp_path: Path) -> None:
    nb, mark = _slow_notebook(tmp_path, seconds=20)
    workdir = tmp_path / "work"
    first = _start_cli(nb, tmp_path / "a.ipynb", workdir)
    try:
        _wait_for(mark)
        began = time.monotonic()
        second = cli("run", str(nb), "--split", "cells", "--workdir", str(workdir), env={"KALE_LIKE_LOCK_TIMEOUT": "1.5"})
        assert time.monotonic() - began < 15
        assert second.returncode == 2
        assert "after waiting 1.5 s" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)


def test_concurrent_cli_runs_all_succeed(tmp_path: Path) -> None:
    # The stress case: several runs of one notebook, one work directory, no cache.
    nb = write_notebook(tmp_path / "nb.ipynb", "import numpy as np\nx = np.arange(200_000.0)", "y = x * 2",
                        "print(float(y.sum()))")
    workdir = tmp_path / "work"
    runs = [_start_cli(nb, tmp_path / f"o{i}.ipynb", workdir, "--no-cache") for i in range(5)]
    results = [run.communicate(timeout=600) for run in runs]
    for run, (_, err) in zip(runs, results):
        assert run.returncode == 0, err
    expected = f"{float((2 * __import__('numpy').arange(200_000.0)).sum())}\n"
    assert all(outputs(tmp_path / f"o{i}.ipynb")[2] == expected for i in range(5))


def test_api_runs_in_threads_take_turns(tmp_path: Path) -> None:
    nb, _ = _slow_notebook(tmp_path, seconds=2)
    workdir = tmp_path / "work"
    events: dict[int, list[dict]] = {0: [], 1: [], 2: []}
    results: dict[int, object] = {}

    def run(i: int) -> None:
        results[i] = kale_like.run(str(nb), split="cells", out=str(tmp_path / f"t{i}.ipynb"), workdir=str(workdir),
                                   cache=False, on_event=events[i].append)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert all(results[i].ok for i in range(3)), [results[i].error for i in range(3)]
    assert all(outputs(tmp_path / f"t{i}.ipynb")[1] == "42\n" for i in range(3))
    notices = [e for i in range(3) for e in events[i] if e["type"] == "notice"]
    assert len(notices) >= 2 and all("waiting for another run" in e["message"] for e in notices)


def test_cancel_while_waiting_returns_at_once(tmp_path: Path) -> None:
    nb, mark = _slow_notebook(tmp_path, seconds=15)
    workdir = tmp_path / "work"
    first = _start_cli(nb, tmp_path / "a.ipynb", workdir)
    try:
        _wait_for(mark)
        cancel = threading.Event()
        events: list[dict] = []
        box: dict[str, object] = {}
        thread = threading.Thread(target=lambda: box.setdefault("r", kale_like.run(
            str(nb), split="cells", workdir=str(workdir), out=str(tmp_path / "b.ipynb"),
            on_event=events.append, cancel=cancel)))
        thread.start()
        deadline = time.monotonic() + 60
        while not any(e["type"] == "notice" for e in events):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        cancel.set()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert not box["r"].ok and "cancelled while waiting" in box["r"].error["message"]
        assert not (tmp_path / "b.ipynb").exists()
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)


def test_lock_of_a_killed_run_is_free_at_once(tmp_path: Path) -> None:
    nb, mark = _slow_notebook(tmp_path, seconds=30)
    workdir = tmp_path / "work"
    first = _start_cli(nb, tmp_path / "a.ipynb", workdir)
    _wait_for(mark)
    first.kill()  # SIGKILL: no cleanup of ours runs
    first.communicate(timeout=60)
    write_notebook(nb, "n = 21", "print(n * 2)")
    second = cli("run", str(nb), "--split", "cells", "--out", str(tmp_path / "b.ipynb"), "--workdir", str(workdir),
                 env={"KALE_LIKE_LOCK_TIMEOUT": "0"})
    assert second.returncode == 0, second.stderr
    assert outputs(tmp_path / "b.ipynb")[1] == "42\n"


def test_different_work_directories_do_not_wait(tmp_path: Path) -> None:
    nb, mark = _slow_notebook(tmp_path, seconds=20)
    first = _start_cli(nb, tmp_path / "a.ipynb", tmp_path / "work1")
    try:
        _wait_for(mark)
        fast = write_notebook(tmp_path / "fast.ipynb", "n = 21", "print(n * 2)")
        second = cli("run", str(fast), "--split", "cells", "--out", str(tmp_path / "b.ipynb"),
                     "--workdir", str(tmp_path / "work2"), env={"KALE_LIKE_LOCK_TIMEOUT": "0"})
        assert second.returncode == 0, second.stderr
        assert "waiting" not in second.stderr
        assert first.poll() is None  # still running: the two really overlapped
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)


@pytest.mark.parametrize("value", ["abc", "-"])
def test_bad_timeout_setting_is_one_clear_error(tmp_path: Path, value: str) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "n = 1")
    result = cli("run", str(nb), "--workdir", str(tmp_path / "w"), env={"KALE_LIKE_LOCK_TIMEOUT": value})
    assert result.returncode == 2
    assert "KALE_LIKE_LOCK_TIMEOUT must be a number of seconds" in result.stderr
    assert "Traceback" not in result.stderr

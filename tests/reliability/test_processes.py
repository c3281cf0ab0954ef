"""Issue 9 item 1: nothing a run starts outlives it.

Each test runs a step that starts a grandchild (``sleep 300``) and sleeps, records the
step's pid, session and the grandchild's pid, interrupts the run one way or another,
and checks by session (``/proc``) that no process of the run is left a few seconds later.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import kale_like
from kale_like.backends.local import warm

from .proc_harness import living, read_mark, session_of, spawning_step, wait_until_gone, write_notebook

_started: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_cli_left_behind():
    """A failing test must not leave its run going: interrupt what it started."""
    yield
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def _start_cli(nb: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "kale_like", "run", str(nb), "--workdir", str(tmp_path / "w"),
                                "--out", str(tmp_path / "o.ipynb"), *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _started.append(process)
    return process


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signal_to_the_cli_stops_every_process_of_the_run(tmp_path: Path, signum: int, status: int) -> None:
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", spawning_step(mark))
    process = _start_cli(nb, tmp_path)
    info = read_mark(mark)
    assert info["sid"] != os.getsid(process.pid)  # the run's processes really are elsewhere
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert "Traceback" not in err
    assert wait_until_gone(info) == []


def test_sigkill_of_the_cli_still_stops_the_run(tmp_path: Path) -> None:
    # Nothing of ours runs in the CLI: the warm parent sees its stdin close and stops its session.
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", spawning_step(mark))
    process = _start_cli(nb, tmp_path)
    info = read_mark(mark)
    process.kill()
    process.communicate(timeout=60)
    assert wait_until_gone(info) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_reaches_a_grandchild_in_its_own_group(tmp_path: Path, signum: int) -> None:
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", "x = 1", spawning_step(mark, own_group=True))
    process = _start_cli(nb, tmp_path, "--split", "cells")
    info = read_mark(mark)
    assert os.getpgid(info["grandchild"]) != info["pgid"]
    process.send_signal(signum)
    process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert wait_until_gone(info) == []


def test_timeout_kills_the_step_and_its_children(tmp_path: Path) -> None:
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", (spawning_step(mark), ["step:slow", "timeout:2"]),
                        ("print('after')", ["step:after"]))
    result = kale_like.run(str(nb), workdir=str(tmp_path / "w"), out=str(tmp_path / "o.ipynb"))
    assert not result.ok and "timeout of 2" in result.error["message"]
    info = json.loads(mark.read_text())
    # The warm parent stays parked for the next run; nothing else of the run is left.
    assert wait_until_gone(info, keep=info["sid"]) == []
    warm.discard(kale_like.plan(str(nb)).notebook)
    assert wait_until_gone(info) == []


def test_timeout_reaches_a_grandchild_in_its_own_group(tmp_path: Path) -> None:
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", (spawning_step(mark, own_group=True), ["step:slow", "timeout:2"]))
    process = subprocess.run([sys.executable, "-m", "kale_like", "run", str(nb), "--workdir", str(tmp_path / "w"),
                              "--out", str(tmp_path / "o.ipynb")], capture_output=True, text=True, timeout=300)
    assert process.returncode == 1 and "timeout of 2" in process.stderr
    assert wait_until_gone(json.loads(mark.read_text())) == []


def test_background_process_left_by_a_finished_step_ends_with_the_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(warm, "IDLE_SECONDS", 1.0)
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", spawning_step(mark, seconds=0), "print('done')")
    result = kale_like.run(str(nb), split="cells", workdir=str(tmp_path / "w"), out=str(tmp_path / "o.ipynb"))
    assert result.ok, result.error
    info = json.loads(mark.read_text())
    assert wait_until_gone(info, keep=info["sid"]) == []  # the run is over: only the idle parent is left
    assert living(info["sid"])
    assert wait_until_gone(info, timeout=15) == []  # and it goes once idle


def test_cancel_through_the_api_stops_every_process(tmp_path: Path) -> None:
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", spawning_step(mark))
    cancel = threading.Event()
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", kale_like.run(
        str(nb), workdir=str(tmp_path / "w"), out=str(tmp_path / "o.ipynb"), cancel=cancel)))
    thread.start()
    info = read_mark(mark)
    cancel.set()
    thread.join(timeout=60)
    assert not box["result"].ok
    assert wait_until_gone(info) == []


def test_idle_warm_parent_does_not_linger() -> None:
    assert warm.IDLE_SECONDS <= 60


# --- a real Jupyter server, stopped during a run -------------------------------------

def _free_port() -> int:
    for port in range(18950, 18970):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise AssertionError("no free port in 18950-18969")


def _request(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


def _start_server(root: Path, port: int, token: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1", "--no-browser",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
         "--allow-root",
         '--ServerApp.jpserver_extensions={"kale_like": True}'],
        stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "wb"), cwd=root,
        env={**os.environ, "XDG_CACHE_HOME": str(root / "cache")})
    deadline = time.monotonic() + 120
    while True:
        try:
            _request(f"http://127.0.0.1:{port}", token, "GET", "/kale-like/info")
            return server
        except OSError:
            assert server.poll() is None, (root / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_jupyter_server_during_a_run_stops_the_run(tmp_path: Path, signum: int) -> None:
    root = tmp_path / "root"
    root.mkdir()
    mark = tmp_path / "mark.json"
    write_notebook(root / "nb.ipynb", "x = 1", spawning_step(mark).replace("time.sleep", "y = x\ntime.sleep"))
    port, token = _free_port(), "relproc-test-token"
    server = _start_server(root, port, token)
    try:
        run = _request(f"http://127.0.0.1:{port}", token, "POST", "/kale-like/runs",
                       {"path": "nb.ipynb", "split": "cells"})
        assert run["state"] in ("running", "waiting"), run
        info = read_mark(mark)
        server.send_signal(signum)
        if signum == signal.SIGINT:  # jupyter asks for confirmation on one Ctrl-C; a second one stops it
            time.sleep(0.5)
            server.send_signal(signum)
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert wait_until_gone(info) == []
    assert session_of(info["sid"]) == []


@pytest.mark.kfp
def test_sigkill_of_the_cli_stops_a_kfp_local_run(tmp_path: Path) -> None:
    # The kfp.local worker holds our stdin pipe: when the CLI dies without any cleanup,
    # the worker reads EOF and ends its session (the task process and its grandchild).
    pytest.importorskip("kfp")
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", spawning_step(mark))
    process = _start_cli(nb, tmp_path, "--backend", "kfp-local")
    info = read_mark(mark)
    assert info["sid"] != os.getsid(process.pid)
    process.kill()
    process.communicate(timeout=60)
    assert wait_until_gone(info, timeout=30) == []


@pytest.mark.kfp
def test_interrupt_of_the_cli_stops_a_kfp_local_run(tmp_path: Path) -> None:
    pytest.importorskip("kfp")
    mark = tmp_path / "mark.json"
    nb = write_notebook(tmp_path / "nb.ipynb", spawning_step(mark, own_group=True))
    process = _start_cli(nb, tmp_path, "--backend", "kfp-local")
    info = read_mark(mark)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err
    assert wait_until_gone(info, timeout=30) == []

"""A real ``jupyter lab`` for the browser tests: started headless on a loopback port with
quiet settings, waited for, stopped, its log kept. The UI tests (this checkout's lab) and
the Binder test (the lab of a freshly built venv) both start it here."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("KALE_LIKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("KALE_LIKE_TEST_RESULTS", Path.cwd() / "test-results"))


def free_port(ports: Iterable[int] | None = None) -> int:
    """A loopback port nothing listens on: any (the system's pick), or the first free one of ``ports``."""
    for port in ports if ports is not None else [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in {ports}")


def quiet_settings(folder: Path) -> None:
    """No news toast or update check over the panel in screenshots."""
    notification = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def _wait_until_up(status_url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen, grace: float) -> None:
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def jupyter_lab(launcher: list[str], *, root: Path, state: Path, token: str, env: dict[str, str],
                port: int | None = None, extra_args: Iterable[str] = (), log_name: str = "jupyter-lab.log",
                timeout: float = 120) -> Iterator[str]:
    """Run ``launcher`` (``python -m jupyterlab``, a venv's ``jupyter lab``) serving ``root``;
    yield its base URL. ``state`` holds its settings, workspaces, cache and log; the log is
    copied to the test results as ``log_name`` when it stops."""
    quiet_settings(state / "settings")
    env = {**env, "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"), "XDG_CACHE_HOME": str(state / "cache")}
    port = port or free_port()
    log = state / "lab.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [*launcher, "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
             f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=None", *extra_args],
            stdout=output, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(f"{base}api/status?token={token}", process, log, timeout)
        yield base
    finally:
        _stop(process, grace=20)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / log_name)

"""Fixtures for the end-to-end tests: a real ``jupyter lab`` on a loopback port and
Debian's Chromium driven by Playwright (Playwright's own browser download is not used).

``KALE_LIKE_LAB_URL=http://127.0.0.1:8888/?token=T`` reuses a running server instead
(its root must hold the notebooks ``tests/ui/notebooks.py`` writes).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .notebooks import write_notebooks

CHROMIUM = os.environ.get("KALE_LIKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HERE = Path(__file__).parent
ROOT = HERE.parents[1]
BUILD = ROOT / "kale_like" / "labextension"
ARTIFACTS = Path(os.environ.get("KALE_LIKE_TEST_RESULTS", Path.cwd() / "test-results"))
TOKEN = "kale-like-ui-test"


@dataclass(frozen=True)
class Lab:
    base_url: str
    token: str
    root: Path | None

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}{'&' if '?' in path else '?'}token={self.token}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(lab: Lab, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(lab.url("api/status"), timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def _this_trees_build(folder: Path) -> list[str]:
    """Serve the extension built in this source tree, ahead of any installed copy.

    JupyterLab takes the first extension of a name it finds and looks in
    ``extra_labextensions_path`` first, so a test of a worktree never sees another
    tree's (or an older installed) build.
    """
    if not (BUILD / "package.json").exists():
        return []
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kale-like").symlink_to(BUILD, target_is_directory=True)
    return [f"--LabApp.extra_labextensions_path={folder}"]


def _quiet_settings(folder: Path) -> None:
    """No news toast or update check over the panel in screenshots."""
    notification = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    reuse = os.environ.get("KALE_LIKE_LAB_URL")
    if reuse:
        base, _, token = reuse.partition("?token=")
        yield Lab(base_url=base.rstrip("/") + "/", token=token, root=None)
        return
    root = tmp_path_factory.mktemp("lab-root")
    write_notebooks(root)
    state = tmp_path_factory.mktemp("lab-state")
    _quiet_settings(state / "settings")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"), "XDG_CACHE_HOME": str(state / "cache"),
           "KALE_LIKE_KFP_POLL_SECONDS": "0.3"}
    port = _free_port()
    log = state / "lab.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={port}", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={root}",
             "--ServerApp.password=", "--LabApp.news_url=None", *_this_trees_build(state / "labextensions")],
            stdout=output, stderr=subprocess.STDOUT, env=env, cwd=root)
    lab = Lab(base_url=f"http://127.0.0.1:{port}/", token=TOKEN, root=root)
    try:
        _wait_until_up(lab, process, log)
        yield lab
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / "jupyter-lab.log")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Module scope: Playwright's sync API keeps an asyncio loop running while it is open,
    # which would break async tests (pytest-jupyter's) collected after this module.
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name
    page.screenshot(path=str(ARTIFACTS / f"{name}-final.png"))
    (ARTIFACTS / f"{name}-console.log").write_text("\n".join(messages))
    context.close()

"""Fixtures for the end-to-end tests: a real ``jupyter lab`` on a loopback port and
Debian's Chromium driven by Playwright (Playwright's own browser download is not used).

``KALE_LIKE_LAB_URL=http://127.0.0.1:8888/?token=T`` reuses a running server instead
(its root must hold the notebooks ``tests/ui/notebooks.py`` writes).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .notebooks import write_notebooks
from labserver import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, jupyter_lab

__all__ = ["ARTIFACTS", "Lab"]
HERE = Path(__file__).parent
ROOT = HERE.parents[1]
BUILD = ROOT / "kale_like" / "labextension"
TOKEN = "kale-like-ui-test"


@dataclass(frozen=True)
class Lab:
    base_url: str
    token: str
    root: Path | None

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}{'&' if '?' in path else '?'}token={self.token}"


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
    extra = ["--ServerApp.password=", *_this_trees_build(state / "labextensions")]
    with jupyter_lab([sys.executable, "-m", "jupyterlab"], root=root, state=state, token=TOKEN,
                     env={**os.environ, "KALE_LIKE_KFP_POLL_SECONDS": "0.3"}, extra_args=extra, timeout=90) as base:
        yield Lab(base_url=base, token=TOKEN, root=root)


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

"""The Binder recipe, built the way Binder builds it, then used in a browser.

A fresh venv stands in for Binder's conda environment: what ``binder/environment.yml``
lists is installed with pip (conda-only entries, python/nodejs/pip, are what the venv
already is or does not need), then ``binder/postBuild`` runs as written, in a copy of
the repository. The kale_like wheel is built once per source state and reused (a
cached wheel in ``dist/`` is exactly what postBuild installs as it is). Then JupyterLab
starts headless from the venv and Chromium opens an example: the panel must show its
steps, and Compile and Run must succeed.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from labserver import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port, jupyter_lab

pytestmark = pytest.mark.binder

REPO = Path(__file__).resolve().parents[2]
PORTS = range(int(os.environ.get("KALE_LIKE_BINDER_PORT", "18850")), 18900)
TOKEN = "kale-like-binder-test"
CONDA_ONLY = {"python", "nodejs", "pip"}
# What goes into the wheel: a change to any of these needs a new one.
WHEEL_INPUTS = ("kale_like", "labextension/src", "labextension/style", "labextension/schema", "package.json",
                "yarn.lock", "pyproject.toml", "install.json", "jupyter-config")


UNTRACKED_PARTS = {".git", ".venv", "node_modules", "dist", "build", "test-results", ".yarn", "__pycache__",
                   ".pytest_cache", "tsconfig.tsbuildinfo"}
UNTRACKED_FOLDERS = ("labextension/lib/", "kale_like/labextension/")


def tracked_files() -> list[str]:
    """The repository as a clone has it (git's view; without git, the tree minus build output)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        relative = [p.relative_to(REPO) for p in REPO.rglob("*")]
        listed = [str(p) for p in relative
                  if not UNTRACKED_PARTS & set(p.parts) and not str(p).startswith(UNTRACKED_FOLDERS)]
    return sorted(name for name in listed if name and (REPO / name).is_file())


def source_key(files: list[str]) -> str:
    digest = hashlib.sha256()
    for name in files:
        if name.startswith(WHEEL_INPUTS):
            digest.update(name.encode() + b"\0" + (REPO / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def clean_env(**extra: str) -> dict[str, str]:
    """The build and the server see only the venv, never this checkout's kale_like."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return env | extra


@pytest.fixture(scope="session")
def wheel() -> Path:
    files = tracked_files()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kale_like-tests" / "wheels"
    folder = cache / source_key(files)
    found = sorted(folder.glob("kale_like-*.whl"))
    if found:
        return found[0]
    scratch = cache / f"building-{os.getpid()}"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(scratch), str(REPO)],
                   check=True, timeout=900, env=clean_env())
    folder.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    scratch.rename(folder)
    return next(folder.glob("kale_like-*.whl"))


def pip_requirements(environment: dict) -> list[str]:
    """environment.yml's dependencies as pip requirements (conda's own entries left out)."""
    wanted = []
    for entry in environment.get("dependencies", []):
        if isinstance(entry, dict):
            wanted += list(entry.get("pip", []))
        elif re.split(r"[=<>!~ ]", str(entry), maxsplit=1)[0] not in CONDA_ONLY:
            wanted.append(str(entry))
    return wanted


def test_environment_yml_is_read_as_binder_reads_it():
    environment = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    assert {"python=3.11", "nodejs=20", "pip"} <= {d for d in environment["dependencies"] if isinstance(d, str)}
    assert pip_requirements({"dependencies": ["python=3.11", "nodejs=20", "pip", "jupyterlab>=4,<5",
                                              {"pip": ["x==1"]}]}) == ["jupyterlab>=4,<5", "x==1"]


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A built Binder image, as a folder: the repository copy (its root is the lab's root) and the venv."""
    image = tmp_path_factory.mktemp("binder")
    repo = image / "repo"
    for name in tracked_files():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    (repo / "dist").mkdir()
    shutil.copy(wheel, repo / "dist" / wheel.name)
    venv = image / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=clean_env())
    # PIP_NO_COMPILE: byte-compiling every installed module is most of an install's CPU time
    # here, and Python compiles what the lab imports on first use anyway.
    env = clean_env(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
                    PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_COMPILE="1")
    environment = yaml.safe_load((repo / "binder" / "environment.yml").read_text())
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *pip_requirements(environment)],
                   check=True, timeout=900, env=env, cwd=repo)
    built = subprocess.run(["bash", str(repo / "binder" / "postBuild")], env=env, cwd=repo, capture_output=True,
                           text=True, timeout=900)
    assert built.returncode == 0, _tail(built.stdout + built.stderr)
    return image


def _tail(log: str) -> str:
    """The end of a build log, without pip's notes about this machine's index configuration."""
    return "\n".join(line for line in log.splitlines() if not line.startswith("WARNING: Location"))[-3000:]


def test_postbuild_installs_the_prebuilt_extension_from_the_wheel(binder: Path):
    venv = binder / "venv"
    version = subprocess.run([str(venv / "bin" / "kale-like"), "--version"], capture_output=True, text=True,
                             env=clean_env(), timeout=60)
    assert version.stdout.strip() == "kale-like 0.1.0"
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import kale_like; print(kale_like.__file__)"],
                           capture_output=True, text=True, env=clean_env(), timeout=60, cwd=binder)
    assert where.stdout.startswith(str(venv)), "kale_like comes from the wheel, not the checkout"
    assert (venv / "share" / "jupyter" / "labextensions" / "kale-like" / "static" / "style.js").is_file()


@pytest.fixture(scope="module")
def lab_url(binder: Path) -> Iterator[str]:
    venv_bin = binder / "venv" / "bin"
    with jupyter_lab([str(venv_bin / "jupyter"), "lab"], root=binder / "repo", state=binder / "lab-state",
                     token=TOKEN, env=clean_env(PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}"),
                     port=free_port(PORTS), log_name="binder-lab.log") as base:
        yield base


def test_the_panel_works_on_an_example(lab_url: str):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{lab_url}lab/tree/examples/quickstart.ipynb?token={TOKEN}")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=90_000)
            tab = page.locator('.jp-SideBar.jp-mod-left li[data-id="kale-like-panel"]')
            tab.wait_for(timeout=30_000)
            if "lm-mod-current" not in (tab.get_attribute("class") or ""):
                tab.click()
            panel = page.locator("#kale-like-panel")
            panel.get_by_text("quickstart.ipynb").first.wait_for(timeout=30_000)
            panel.locator('[data-step="train"]').first.wait_for(timeout=60_000)
            panel.get_by_role("button", name="Compile and Run").click()
            panel.get_by_role("status", name="Run status").get_by_text("Run succeeded").wait_for(timeout=180_000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "binder-panel.png"))
        finally:
            browser.close()

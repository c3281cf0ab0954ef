"""Session fixtures for real containers: a podman engine of our own, the base image, the step image.

The engine (configs, storage and API socket in a temporary folder) starts once per
session and stops at the end, with every container and image it held. The Debian
minbase tarball is cached between sessions (``$XDG_CACHE_HOME/kale_like-tests``);
everything else is built cold, as on a fresh CI machine.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

# engine.py beside this file: pytest puts a conftest's folder (not a package) on sys.path.
import engine as podman_engine
from notebook_builder import build_notebook

HERE = Path(__file__).resolve().parent

STEP_IMAGE = "localhost/kl-step:test"
TIMINGS: dict[str, float] = {}


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.containers)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kale_like-tests" / "containers"


@pytest.fixture(scope="session")
def engine():
    missing = podman_engine.missing_tools()
    if missing:
        pytest.skip(f"no container engine here: {', '.join(missing)} not installed "
                    f"(apt-get install -y podman runc mmdebstrap; .ci/run does)")
    try:
        __import__("docker")
    except ImportError:
        pytest.skip("the docker SDK is not installed (pip install 'kale_like[containers]')")
    # A short path: the API socket's path must fit a unix socket address (108 bytes).
    root = Path(tempfile.mkdtemp(prefix="kl-podman-", dir="/tmp"))
    try:
        started = podman_engine.start_engine(root)
    except RuntimeError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(str(exc), pytrace=False)
    saved = {k: os.environ.get(k) for k in ("DOCKER_HOST", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF")}
    os.environ.update({k: started.env[k] for k in saved})  # the runs under test inherit the engine
    try:
        yield started
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        podman_engine.stop_engine(started)
        podman_engine.remove_engine_folder(started)
        if TIMINGS:
            print("\ncontainer timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in TIMINGS.items()))


@pytest.fixture(scope="session")
def base_image(engine):
    began = time.perf_counter()
    try:
        tarball = podman_engine.base_tarball(_cache_dir())
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"mmdebstrap failed: {exc.stderr[-3000:]}", pytrace=False)
    TIMINGS["base tarball"] = time.perf_counter() - began
    began = time.perf_counter()
    image = podman_engine.import_base(engine, tarball)
    TIMINGS["base import"] = time.perf_counter() - began
    return image


@pytest.fixture(scope="session")
def step_image(engine, base_image, tmp_path_factory):
    """``kale-like image`` on the Debian base, for a notebook importing what the test notebooks import."""
    folder = tmp_path_factory.mktemp("step-image")
    notebook = folder / "needs.ipynb"
    import nbformat

    nbformat.write(build_notebook("import numpy\nimport pandas\nimport sklearn"), str(notebook))
    command = [sys.executable, "-m", "kale_like", "image", str(notebook), "-o", str(folder / "context"),
               "--base", base_image]
    ca_bundle = podman_engine.host_ca_bundle()
    if ca_bundle:
        command += ["--ca-bundle", ca_bundle]
    written = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert written.returncode == 0, written.stderr
    began = time.perf_counter()
    # --network host: the build's pip needs the network; step containers run without it.
    built = engine.podman("build", "--pull=never", "--network", "host", "-t", STEP_IMAGE, str(folder / "context"),
                          check=False, timeout=1200)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    TIMINGS["step image build"] = time.perf_counter() - began
    return STEP_IMAGE

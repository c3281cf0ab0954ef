"""One harness per concern: a round trip through a group, and a script run as ``__main__``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kale_like.marshal import GroupInfo, MarshalContext, load_group, save_group

REPO = Path(__file__).resolve().parents[2]


class RoundTrip:
    """``roundtrip(a=1, b=2)`` saves one group, loads it and returns the loaded dict."""

    def __init__(self, root: Path, context: MarshalContext) -> None:
        self._root = root
        self._context = context
        self._count = 0
        self.info: GroupInfo | None = None   # of the last save
        self.directory = root

    def __call__(self, **values: object) -> dict[str, object]:
        self._count += 1
        self.directory = self._root / f"group{self._count}"
        self.info = save_group(self.directory, values, self._context)
        return load_group(self.directory)


@pytest.fixture
def context() -> MarshalContext:
    return MarshalContext(step="train", cells={"gen": 4, "x": 2})


@pytest.fixture
def roundtrip(tmp_path: Path, context: MarshalContext) -> RoundTrip:
    return RoundTrip(tmp_path, context)


@pytest.fixture
def run_process() -> Callable[..., subprocess.CompletedProcess[str]]:
    return _run_process


@pytest.fixture
def run_main() -> Callable[..., dict[str, object]]:
    return _run_main


@pytest.fixture
def group_meta() -> Callable[[Path], dict[str, object]]:
    return _group_meta


def _run_process(script: str, *args: str,
                 pythonpath: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as ``__main__`` in a fresh interpreter that can import kale_like."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join((*pythonpath, str(REPO)))
    env["MPLBACKEND"] = "Agg"
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def _run_main(script: str, *args: str, pythonpath: tuple[str, ...] = ()) -> dict[str, object]:
    """Like :func:`_run_process`, for scripts that succeed and print one JSON line last."""
    done = _run_process(script, *args, pythonpath=pythonpath)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _group_meta(directory: Path) -> dict[str, object]:
    return json.loads((directory / "meta.json").read_text())

"""The CLI as a filter in a shell pipeline: a reader that stops early (``| head``)
ends the command quietly, as it ends any Unix filter, never with an internal error."""
from __future__ import annotations

import subprocess
import sys

import pytest

from core.helpers import make_notebook


@pytest.mark.parametrize("fmt", ["text", "dot", "mermaid", "json"])
def test_graph_into_a_reader_that_leaves_early(tmp_path, fmt):
    # Far more output than a pipe holds, so the writer is still writing when the reader leaves.
    cells = [f"value_{i} = {i}" for i in range(1500)]
    path = tmp_path / "wide.ipynb"
    make_notebook(*cells, path=path)
    process = subprocess.Popen([sys.executable, "-m", "kale_like", "graph", str(path), "--format", fmt,
                                "--split", "cells"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) in (0, 141)
    assert first.strip()
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr

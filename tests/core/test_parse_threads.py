"""Analyses from several threads at once (the server's analysis pool, runs planned in
threads) all succeed: parsing goes through one lock, because CPython 3.11's AST
conversion shares its recursion-depth state between threads (gh-106905; seen here as a
500 from ``/kale-like/analyze``: "AST constructor recursion depth mismatch")."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import kale_like
from kale_like.analysis import pyparse

from .helpers import make_notebook


def _deep_cells(count: int) -> list[str]:
    return [f"v{i} = v{i - 1} + 1 if {i} else 0\n" + "x = " + " + ".join(["v0"] * 200) for i in range(count)]


def test_every_parse_holds_the_one_lock(monkeypatch):
    held = []

    class Recording:
        def __enter__(self):
            held.append(True)

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(pyparse, "_LOCK", Recording())
    from kale_like.notebook import notebook_from_node

    kale_like.analyze(notebook_from_node(make_notebook(*_deep_cells(3), "print(x)")))
    assert len(held) >= 4  # every cell parsed under the lock


def test_concurrent_analyses_of_deep_code_all_succeed(tmp_path):
    path = tmp_path / "deep.ipynb"
    make_notebook(*_deep_cells(60), path=path)
    start = threading.Barrier(8)

    def analyse(_: int) -> int:
        start.wait()
        return len(kale_like.analyze(str(path))["steps"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(analyse, range(8)))
    assert len(set(counts)) == 1 and counts[0] > 0

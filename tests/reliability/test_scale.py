"""Issue 9 item 9: scheduling costs the same per step at 10 or 5,000 steps.

Complexity is asserted by counting (the scheduler's operations, bytes written per step,
progress output per event), never by timing; the timing figures live in
``bench/bench_scale.py``.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest

import kale_like
from kale_like.backends.local.readiness import Readiness
from kale_like.cli.progress import Progress
from kale_like.pipeline import Pipeline, Step, StepCell

from .proc_harness import outputs, write_notebook


def _pipeline(edges: dict[str, tuple[str, ...]]) -> Pipeline:
    steps = tuple(Step(name=name, cells=(StepCell(i, "pass", "pass"),), upstream=upstream)
                  for i, (name, upstream) in enumerate(edges.items()))
    return Pipeline(name="p", steps=steps)


def chain(n: int) -> Pipeline:
    return _pipeline({f"s{i}": ((f"s{i - 1}",) if i else ()) for i in range(n)})


def fan(n: int) -> Pipeline:
    edges = {"root": ()} | {f"s{i}": ("root",) for i in range(n)} | {"sink": tuple(f"s{i}" for i in range(n))}
    return _pipeline(edges)


def independent(n: int) -> Pipeline:
    return _pipeline({f"s{i}": () for i in range(n)})


def _drain(pipeline: Pipeline, jobs: int = 2) -> tuple[list[str], int]:
    """Run the readiness protocol as the scheduler does: ``jobs`` at a time, finishing the oldest."""
    ready = Readiness(pipeline)
    started: list[str] = []
    running: list[str] = []
    while True:
        while len(running) < jobs and (name := ready.pop()) is not None:
            running.append(name)
            started.append(name)
        if not running:
            return started, ready.operations
        ready.done(running.pop(0))


@pytest.mark.parametrize("shape", [chain, fan, independent])
def test_scheduler_operations_grow_linearly(shape) -> None:
    small_order, small = _drain(shape(1000))
    large_order, large = _drain(shape(4000))
    assert len(small_order) == len(shape(1000).steps) and len(large_order) == len(shape(4000).steps)
    assert large <= 4.5 * small, (small, large)  # quadratic work would be 16 times
    assert large <= 8 * len(large_order)


def test_every_step_starts_once_after_its_upstream_in_pipeline_order() -> None:
    pipeline = _pipeline({"a": (), "b": (), "c": ("a",), "d": ("b", "c"), "e": ()})
    order, _ = _drain(pipeline, jobs=1)
    assert order == list(pipeline.order) == ["a", "b", "e", "c", "d"]
    position = {name: i for i, name in enumerate(order)}
    assert all(position[u] < position[s.name] for s in pipeline.steps for u in s.upstream)


def test_a_failed_step_holds_back_its_descendants_only() -> None:
    ready = Readiness(_pipeline({"a": (), "b": ("a",), "c": ("b",), "x": ()}))
    assert ready.pop() == "a"  # and it fails: never done
    assert ready.pop() == "x"
    ready.done("x")
    assert ready.pop() is None
    assert ready.waiting() == ["b", "c"]


def test_retry_and_recompute_keep_the_counts_right() -> None:
    ready = Readiness(_pipeline({"p": (), "q": (), "c": ("p", "q"), "d": ("p",)}))
    assert [ready.pop(), ready.pop()] == ["p", "q"]
    ready.done("p")
    assert ready.pop() == "d"  # c still waits for q
    ready.push_back("d")  # a retry
    assert ready.pop() == "d"
    ready.done("d")
    ready.done("q")
    assert ready.pop() == "c"
    # c found p's values damaged: p runs again, then c; d (done) is not released twice.
    ready.undone("p")
    ready.push_back("p")
    ready.requeue("c")
    assert ready.pop() == "p" and ready.pop() is None
    ready.done("p")
    assert ready.pop() == "c" and ready.pop() is None


def test_live_progress_writes_a_bounded_view_per_event() -> None:
    stream = io.StringIO()
    progress = Progress(stream, live=True)
    names = [f"cell_{i}" for i in range(5000)]
    progress({"type": "plan", "steps": names})
    for name in names:
        progress({"type": "step", "step": name, "state": "running", "elapsed": 0.0})
        progress({"type": "step", "step": name, "state": "succeeded", "elapsed": 0.01})
    assert len(stream.getvalue()) < 400 * 2 * len(names)  # a full table would be 5,000 lines per event
    assert "5000 steps" in stream.getvalue().splitlines()[-2] and "5000 done" in stream.getvalue()


def test_a_thousand_step_run_completes_with_constant_size_specs(tmp_path: Path) -> None:
    n = 1000
    cells = ["x0 = 0"] + [f"x{i} = x{i - 1} + 1" for i in range(1, n - 1)] + [f"print(x{n - 2})"]
    nb = write_notebook(tmp_path / "nb.ipynb", *cells)
    events: list[dict] = []
    result = kale_like.run(str(nb), split="cells", jobs=2, workdir=str(tmp_path / "w"),
                           out=str(tmp_path / "o.ipynb"), on_event=events.append)
    assert result.ok, result.error
    assert outputs(tmp_path / "o.ipynb")[-1] == f"{n - 2}\n"
    assert list(result.states.values()).count("succeeded") == n
    assert sum(e["type"] == "step" for e in events) <= 3 * n  # waiting, running, done
    specs = sorted((tmp_path / "w" / "cache").glob("*/spec.pkl"), key=lambda p: p.stat().st_mtime)
    sizes = [p.stat().st_size for p in specs]
    assert max(sizes) < 2 * min(sizes), (min(sizes), max(sizes))  # nothing in a spec grows with the notebook
    first, last = (pickle.loads(p.read_bytes()) for p in (specs[1], specs[-1]))
    assert len(first.execution_counts) == len(last.execution_counts) == 1

"""Each step as its own executed notebook, and its HTML rendering (``--step-output notebooks``).

A step notebook holds a short header (step, state, what it reads and writes) and
the step's cells with the outputs they produced in the run, taken from the run's
executed notebook. The HTML is nbconvert's rendering of it: what the KFP backend
attaches as the step's artifact, and what a reviewer opens in a browser.
"""
from __future__ import annotations

import copy
import os
from typing import Any

from ..errors import KaleLikeError

INJECTED_TAG = "injected-parameters"


def step_output_dir(output_notebook: str) -> str:
    """``runs/out.ipynb`` -> ``runs/out.steps``: next to the run's executed notebook."""
    stem, _ = os.path.splitext(os.path.abspath(output_notebook))
    return stem + ".steps"


def align(plan_cells: Any, executed_cells: Any) -> tuple[dict[int, int], int | None]:
    """Map each cell of the plan's notebook to its cell in the executed notebook.

    The executed notebook is the source with one cell inserted (the injected
    parameters); returns the mapping and the inserted cell's index.
    """
    mapping: dict[int, int] = {}
    injected = None
    j = 0
    for i, cell in enumerate(plan_cells):
        while j < len(executed_cells) and not _same(cell, executed_cells[j]):
            if INJECTED_TAG in (executed_cells[j].get("metadata", {}).get("tags") or []):
                injected = j
            j += 1
        if j < len(executed_cells):
            mapping[i] = j
            j += 1
    if injected is None and j < len(executed_cells):
        tail = executed_cells[j]
        injected = j if INJECTED_TAG in (tail.get("metadata", {}).get("tags") or []) else None
    return mapping, injected


def _same(cell: Any, executed: Any) -> bool:
    return cell.cell_type == executed.get("cell_type") and cell.source == _text(executed.get("source", ""))


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else source


def step_notebook(plan: Any, executed: Any, step_name: str, state: str) -> Any:
    """The executed notebook of one step: a header cell, then its cells with their outputs."""
    from ..nbformat_loader import load_nbformat

    nbformat = load_nbformat()
    from nbformat.corpus.words import generate_corpus_id

    step = plan.pipeline.step(step_name)
    mapping, injected = align(plan.notebook.cells, executed.cells)
    indices = [mapping[c.cell_index] for c in step.cells if c.cell_index in mapping]
    if step.kind == "parameters" and injected is not None:
        indices = sorted(indices + [injected])
    node = nbformat.v4.new_notebook(metadata=copy.deepcopy(dict(executed.metadata)))
    node.metadata.pop("papermill", None)
    node.metadata["kale_like"] = {"step": step_name, "state": state, "pipeline": plan.pipeline.name}
    node.cells.append(nbformat.v4.new_markdown_cell(_header(plan, step, state)))
    for index in indices:
        cell = nbformat.from_dict(copy.deepcopy(dict(executed.cells[index])))
        if not cell.get("id"):
            cell["id"] = generate_corpus_id()
        node.cells.append(cell)
    return node


def _header(plan: Any, step: Any, state: str) -> str:
    lines = [f"**Step `{step.name}`** of pipeline `{plan.pipeline.name}`: {state}",
             "", f"cells: {', '.join(str(n) for n in step.cell_numbers) or '(none)'}"]
    inputs = [f"`{i.name}` (from `{i.producer}`)" for i in step.inputs if not i.name.startswith("__")]
    outputs = [f"`{o}`" for o in step.outputs if not o.startswith("__")]
    if inputs:
        lines.append(f"reads: {', '.join(inputs)}")
    if outputs:
        lines.append(f"writes: {', '.join(outputs)}")
    return "  \n".join(lines)


def render_html(node: Any) -> str:
    """nbconvert's HTML for a notebook node."""
    try:
        from nbconvert import HTMLExporter
    except ImportError as exc:
        raise KaleLikeError("rendering step notebooks as HTML needs nbconvert",
                            hint="pip install nbconvert") from exc
    body, _ = HTMLExporter().from_notebook_node(node)
    return body


def write_step_notebooks(plan: Any, executed: Any, states: dict[str, str], folder: str) -> list[str]:
    """Write ``STEP.ipynb`` and ``STEP.html`` for every step that ran (or came from cache)."""
    from ..backends.executed import write_atomically
    from ..files import replace_atomically

    os.makedirs(folder, exist_ok=True)
    written = []
    for name in plan.pipeline.order:
        state = states.get(name, "waiting")
        if state not in ("succeeded", "cached", "failed"):
            continue
        node = step_notebook(plan, executed, name, state)
        path = os.path.join(folder, f"{name}.ipynb")
        write_atomically(node, path)
        html = os.path.join(folder, f"{name}.html")
        body = render_html(node)
        replace_atomically(html, lambda handle: handle.write(body), suffix=".html")
        written += [path, html]
    return written

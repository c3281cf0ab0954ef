"""One-call harnesses for the core layers (STYLE.md: each test is one harness call)."""
from __future__ import annotations

import nbformat

from kale_like.notebook import notebook_from_node
from kale_like.planning import Plan, build_plan

from notebook_builder import build_notebook


def make_notebook(*cells, path=None):
    """Cells are source strings, ``(source, [tags])`` pairs, or ``("# md", "markdown")``."""
    notebook = build_notebook(*cells)
    if path is not None:
        nbformat.write(notebook, str(path))
    return notebook


def plan_of(*cells, split="cells", overrides=None) -> Plan:
    return build_plan(notebook_from_node(make_notebook(*cells)), split, overrides)


def inputs_of(*cells, split="cells") -> dict[str, dict[str, str]]:
    """step name -> {variable: producer step} (pseudo-variables included)."""
    plan = plan_of(*cells, split=split)
    return {s.name: {i.name: i.producer for i in s.inputs} for s in plan.pipeline.steps}


def upstream_of(*cells, split="cells") -> dict[str, set[str]]:
    plan = plan_of(*cells, split=split)
    return {s.name: set(s.upstream) for s in plan.pipeline.steps}

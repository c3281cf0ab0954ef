"""Text, Graphviz dot, Mermaid and JSON renderings of a plan's DAG."""
from __future__ import annotations

import json
from collections.abc import Iterable

from ..planning import Plan


def render(plan: Plan, fmt: str) -> str:
    return {"text": _text, "dot": _dot, "mermaid": _mermaid, "json": _json}[fmt](plan)


def _visible(names: Iterable[str]) -> list[str]:
    return [n for n in names if not n.startswith("__")]


def _text(plan: Plan) -> str:
    lines = [f"pipeline {plan.pipeline.name} ({len(plan.pipeline.steps)} steps, split: {plan.strategy})"]
    for name in plan.pipeline.order:
        step = plan.pipeline.step(name)
        cells = ", ".join(map(str, step.cell_numbers)) or "-"
        lines.append(f"{name}  [cells {cells}]")
        if step.upstream:
            lines.append(f"    after:   {', '.join(step.upstream)}")
        inputs = [f"{i.name}<-{i.producer}" for i in step.inputs if not i.name.startswith("__")]
        if inputs:
            lines.append(f"    inputs:  {', '.join(inputs)}")
        if _visible(step.outputs):
            lines.append(f"    outputs: {', '.join(_visible(step.outputs))}")
    return "\n".join(lines)


def _label(plan: Plan, up: str, down: str) -> str:
    names = [i.name for i in plan.pipeline.step(down).inputs if i.producer == up and not i.name.startswith("__")]
    return ", ".join(names)


def _dot(plan: Plan) -> str:
    lines = [f'digraph "{plan.pipeline.name}" {{', "  rankdir=TB;", "  node [shape=box, style=rounded];"]
    for step in plan.pipeline.steps:
        lines.append(f'  "{step.name}";')
    for up, down in plan.pipeline.edges():
        label = _label(plan, up, down)
        lines.append(f'  "{up}" -> "{down}"' + (f' [label="{label}"]' if label else "") + ";")
    lines.append("}")
    return "\n".join(lines)


def _mermaid(plan: Plan) -> str:
    lines = ["flowchart TD"]
    ids = {s.name: f"s{i}" for i, s in enumerate(plan.pipeline.steps)}
    for step in plan.pipeline.steps:
        lines.append(f'  {ids[step.name]}["{step.name}"]')
    for up, down in plan.pipeline.edges():
        label = _label(plan, up, down)
        arrow = f"-->|{label}|" if label else "-->"
        lines.append(f"  {ids[up]} {arrow} {ids[down]}")
    return "\n".join(lines)


def _json(plan: Plan) -> str:
    from ..api import describe

    return json.dumps(describe(plan), indent=2)

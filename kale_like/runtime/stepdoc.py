"""What a KFP step leaves for people: its executed cells as a notebook and as HTML.

The notebook (nbformat v4 JSON, written without importing nbformat) is what the
kfp-local backend merges back into the executed notebook; the HTML is what the KFP
UI shows on the step's Visualization panel. HTML comes from nbconvert when it is
importable, else from a small renderer that escapes everything it shows.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def step_notebook(step: str, cells: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
    """``cells``: ``{"number", "source", "outputs", "execution_count"}`` in the order they ran."""
    return {
        "nbformat": 4, "nbformat_minor": 4,
        "metadata": {"kale_like": {"step": step, **summary},
                     "language_info": {"name": "python"},
                     "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "code", "metadata": {"kale_like": {"cell": c["number"], **(
                       {"warning_events": c["warning_events"]} if c.get("warning_events") else {})}},
                   "source": c["source"],
                   "outputs": [_clean_output(o) for o in c["outputs"]], "execution_count": c["execution_count"]}
                  for c in cells],
    }


def records_of(notebook: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Cell index -> ``{"cell_index", "outputs", "execution_count"}`` (what the merge takes)."""
    records = {}
    for cell in notebook.get("cells", []):
        number = cell.get("metadata", {}).get("kale_like", {}).get("cell")
        if isinstance(number, int):
            records[number - 1] = {"cell_index": number - 1, "outputs": cell.get("outputs", []),
                                   "execution_count": cell.get("execution_count"),
                                   "warning_events": cell["metadata"]["kale_like"].get("warning_events", [])}
    return records


def _clean_output(output: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in output.items() if k != "transient"}


def render_html(notebook: dict[str, Any], mode: str = "auto") -> str:
    if mode in ("auto", "nbconvert"):
        try:
            return _nbconvert(notebook)
        except Exception:  # nbconvert missing or failing: the simple page still shows everything
            if mode == "nbconvert":
                raise
    return simple_html(notebook)


def _nbconvert(notebook: dict[str, Any]) -> str:
    from ..nbformat_loader import load_nbformat

    nbformat = load_nbformat()
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.from_dict(json.loads(json.dumps(notebook))))
    return body


def simple_html(notebook: dict[str, Any]) -> str:
    meta = notebook.get("metadata", {}).get("kale_like", {})
    title = html.escape(f"Step {meta.get('step', '')}")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>",
             "<style>body{font-family:sans-serif;margin:1em}pre{background:#f6f6f6;padding:.5em;"
             "overflow:auto}.in{border-left:3px solid #42a5f5}.err{background:#fdecea}"
             ".cell{margin-bottom:1.5em}.n{color:#888;font-size:85%}</style></head><body>",
             f"<h2>{title}</h2>"]
    for cell in notebook.get("cells", []):
        number = cell.get("metadata", {}).get("kale_like", {}).get("cell")
        count = cell.get("execution_count")
        parts.append(f"<div class='cell'><div class='n'>cell {number} &middot; In [{count if count else ' '}]</div>")
        parts.append(f"<pre class='in'>{html.escape(_text(cell.get('source')))}</pre>")
        parts += [_output_html(o) for o in cell.get("outputs", [])]
        parts.append("</div>")
    return "".join(parts) + "</body></html>"


def _output_html(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{html.escape(_text(output.get('text')))}</pre>"
    if kind == "error":
        trace = ANSI.sub("", "\n".join(output.get("traceback") or [])) or f"{output.get('ename')}: {output.get('evalue')}"
        return f"<pre class='err'>{html.escape(trace)}</pre>"
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return f"<img src='data:{mime};base64,{_text(data[mime]).strip()}'>"
    if "text/plain" in data:
        return f"<pre>{html.escape(_text(data['text/plain']))}</pre>"
    return ""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")

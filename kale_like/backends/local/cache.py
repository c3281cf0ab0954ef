"""Content-addressed step results: a step's key covers its code, the code it replays,
the keys of the steps it reads from, and the parameter values it receives. Equal
key, equal result — so a re-run after editing one cell re-executes only what
depends on it."""
from __future__ import annotations

import hashlib
import json
import os
import sys

from ...pipeline import Step

SCHEMA = "kale_like-cache-1"


def step_key(step: Step, upstream_keys: dict[str, str], parameters: dict, shared_sources: list[str],
             input_keys: dict[str, str] | None = None) -> str:
    payload = {
        "schema": SCHEMA,
        "python": sys.version_info[:2],
        "cells": [(c.cell_index, c.source, c.raises_exception) for c in step.cells],
        "prelude": [(s.cell_index, s.first_line, s.code) for s in step.prelude],
        "shared": shared_sources,
        "inputs": sorted((i.name, (input_keys or {}).get(i.name) or upstream_keys[i.producer]) for i in step.inputs),
        "upstream": sorted(upstream_keys[u] for u in step.upstream),
        "outputs": list(step.outputs),
        "parameters": typed(parameters),
        "metrics": list(step.metrics),
        "rng": step.carries_rng,
    }
    text = json.dumps(payload, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def entry_dir(workdir: str, key: str) -> str:
    return os.path.join(workdir, "cache", key)


def cached_report_path(workdir: str, key: str) -> str | None:
    path = os.path.join(entry_dir(workdir, key), "report.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            ok = json.load(handle).get("ok")
    except (OSError, ValueError):
        return None
    return path if ok else None


def parameter_value_key(value) -> str:
    """The key of an overridden parameter a step reads: its value, not the parameters step."""
    text = json.dumps(typed(value), sort_keys=True, default=repr)
    return "value:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def typed(value):
    """A JSON form that keeps types apart: ``(1,)`` and ``[1]``, ``1`` and ``1.0``, ``True`` and ``1``."""
    if isinstance(value, dict):
        return ["dict", sorted([typed(k), typed(v)] for k, v in value.items())]
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [typed(v) for v in value]
        return [type(value).__name__, sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items]
    return [type(value).__name__, value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)]

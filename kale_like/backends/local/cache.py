"""Content-addressed step results: a step's key covers its code, the code it replays,
the keys of the steps it reads from, and the parameter values it receives. Equal
key, equal result — so a re-run after editing one cell re-executes only what
depends on it.

A finished entry is sealed: ``report.sum`` holds the checksum of ``report.json``
(the values carry their own in ``meta.json``). An entry whose report no longer
matches is damaged: a miss, recomputed and replaced, never served."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from ...marshal.checksum import digest_bytes, preferred_algorithm
from ...pipeline import Step

SCHEMA = "kale_like-cache-2"  # 2: checksummed values and reports
REPORT = "report.json"
SEAL = "report.sum"


@dataclass(frozen=True)
class Lookup:
    report: str | None          # the report to serve, or None for a miss
    damaged: str | None = None  # why a present entry cannot be served
    content: dict | None = None  # the report, parsed (read once: the runner needs it anyway)


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
    return lookup(workdir, key).report


def lookup(workdir: str, key: str) -> Lookup:
    """The entry's report if it finished well and is intact."""
    folder = entry_dir(workdir, key)
    path = os.path.join(folder, REPORT)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return Lookup(None)
    try:
        with open(os.path.join(folder, SEAL), encoding="ascii") as handle:
            algorithm, _, recorded = handle.read().strip().partition(":")
    except (OSError, ValueError):
        return Lookup(None)  # never sealed: the step did not finish (or an older cache)
    try:
        intact = digest_bytes(data, algorithm) == recorded
    except LookupError:
        return Lookup(None)
    if not intact:
        return Lookup(None, f"{path} no longer matches the checksum recorded when it was written")
    try:
        content = json.loads(data)
        ok = content.get("ok")
    except (ValueError, AttributeError):
        return Lookup(None)
    return Lookup(path, content=content) if ok else Lookup(None)


def seal(workdir: str, key: str, data: bytes | None = None) -> None:
    """Record the checksum of a fresh entry's report, which makes the entry servable.

    ``data``: the report's bytes when the caller has just read them.

    No fsync, here or for the values: an entry is only served when its seal matches its
    report and its values match the checksums in their ``meta.json``, so an entry that a
    crash of the machine left half-written is a miss (recomputed), never a wrong answer;
    syncing would cost a disk flush per step for nothing the checksums do not already catch.
    """
    folder = entry_dir(workdir, key)
    if data is None:
        with open(os.path.join(folder, REPORT), "rb") as handle:
            data = handle.read()
    algorithm = preferred_algorithm()
    tmp = os.path.join(folder, f".{SEAL}.{os.getpid()}")
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(f"{algorithm}:{digest_bytes(data, algorithm)}\n")
    os.replace(tmp, os.path.join(folder, SEAL))


def parameter_value_key(value: object) -> str:
    """The key of an overridden parameter a step reads: its value, not the parameters step."""
    text = json.dumps(typed(value), sort_keys=True, default=repr)
    return "value:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def typed(value: object) -> list[Any]:
    """A JSON form that keeps types apart: ``(1,)`` and ``[1]``, ``1`` and ``1.0``, ``True`` and ``1``."""
    if isinstance(value, dict):
        return ["dict", sorted([typed(k), typed(v)] for k, v in value.items())]
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [typed(v) for v in value]
        return [type(value).__name__, sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items]
    return [type(value).__name__, value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)]


def invalidate(workdir: str, key: str) -> None:
    """Make an entry a miss (its values were found damaged); the next launch replaces it."""
    try:
        os.unlink(os.path.join(entry_dir(workdir, key), SEAL))
    except FileNotFoundError:
        pass

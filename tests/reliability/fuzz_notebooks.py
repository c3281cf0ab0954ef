"""Hypothesis strategies for random notebooks: cells of valid and invalid Python (IPython
syntax included), tags from the grammar plus hostile and non-string ones, and random
metadata. Built as plain JSON data, the shape a notebook file has."""
from __future__ import annotations

import string

from hypothesis import strategies as st


def _one_in(n: int):
    """True about once in ``n`` draws. Hypothesis favours simple choices (index 0, small
    numbers), so the rare choice goes last, where it comes about as often as asked."""
    return st.sampled_from([False] * (n - 1) + [True])


NAMES = st.sampled_from(["x", "y", "df", "model", "f", "g", "rng", "data", "_private", "i", "np", "os", "fh"])
HOSTILE_TEXT = st.sampled_from(["", " ", "\n", "x\ny: z", "\x00", "\ud800", "\u2028", "a:b:c", ":" * 5, "step:",
                                "é", "🙂", "{}", "'\"", "-" * 70, "a" * 300])

TEMPLATES = [
    "{a} = {b} + 1", "{a} = [{b}, {b}]", "{a}.append({b})", "{a}[0] = {b}", "{a} += {b}", "del {a}",
    "def {a}(p, *q, k={b}, **r):\n    global {b}\n    {b} = p\n    return lambda: {b}",
    "{a} = lambda *s: [{b} for {b} in s if {b}]", "class {a}:\n    z = {b}\n    def m(self):\n        return {b}",
    "import numpy as np\n{a} = np.random.rand(3)", "import random\nrandom.seed({b})", "from os import *",
    "with open('f.txt', 'w') as {a}:\n    {a}.write(str({b}))", "for {a} in range(3):\n    {b} = {a}",
    "try:\n    {a} = 1 / 0\nexcept Exception as {b}:\n    pass", "{a} = ({b} := 3)", "exec('{a} = 1')",
    "globals()['{a}'] = {b}", "%time {a} = {b}", "!echo ${a}", "%%capture {a}\nprint({b})", "{a}?",
    "%matplotlib inline", "async def {a}():\n    await {b}", "{a} = (i for i in {b})", "print({a}, {b})",
    "if {a}:\n    pass\nelif {b}:\n    {a} = 1\nelse:\n    del {b}", "{a} = {{k: v for k, v in {b}.items()}}",
    "match {a}:\n    case [{b}, *_]:\n        pass", "{a}: int = {b}", "assert {a}, {b}", "raise ValueError({a})",
    "yield {a}", "return {b}", "import {a}.{b}", "from . import {a}", "{a} = " + " + ".join(["{b}"] * 60),
]
BROKEN = st.sampled_from(["def (:", "x = = 1", "print('unclosed", "   indented = 1", "%%", "!", "if x:\n",
                          "lambda:", "\x00", "class", "@", "x = [" * 5, "f'{'"])


@st.composite
def python_source(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["template"] * 8 + ["broken", "text"]))
        if kind == "template":
            parts.append(draw(st.sampled_from(TEMPLATES)).format(a=draw(NAMES), b=draw(NAMES)))
        elif kind == "broken":
            parts.append(draw(BROKEN))
        else:
            alphabet = string.printable + "é\u2028" + ("\ud800" if draw(_one_in(10)) else "")
            parts.append(draw(st.text(alphabet=alphabet, max_size=30)))
    return "\n".join(parts)


def _valid_tag(prefix: str, name: str, value: str) -> str:
    return {"step": f"step:{name}", "block": f"block:{name}", "prev": f"prev:{name}", "limit": f"limit:memory:{value}",
            "request": f"request:cpu:{value}", "image": f"image:{name}:1", "annotation": f"annotation:k:{value}",
            "label": f"label:k:{name}", "cache": f"cache:{value}", "secret": f"secret:s:k:{name}",
            "env": f"env:{name}:{value}", "retries": f"retries:{value}", "timeout": f"timeout:{value}"}[prefix]


STEP_NAMES = st.sampled_from(["a", "b", "train", "prep", "x-y", "_z", "parameters", "pipeline_metrics", "1bad",
                              "a b", "a" * 70])
TAG_VALUES = st.sampled_from(["1", "0", "2Gi", "500m", "enabled", "disabled", "-1", "abc", "", "1.5", "²", "x\ny"])
ROLE_TAGS = st.sampled_from(["imports", "functions", "parameters", "pipeline-parameters", "pipeline-metrics",
                             "skip", "raises-exception", "hide-input", "injected-parameters"])
PREFIXES = st.sampled_from(["step", "block", "prev", "limit", "request", "image", "annotation", "label", "cache",
                            "secret", "env", "retries", "timeout"])

_GOOD_VALUES = {"limit": "2Gi", "request": "500m", "cache": "enabled", "retries": "2", "timeout": "30"}
VALID_TAG = st.builds(lambda prefix, name: _valid_tag(prefix, name, _GOOD_VALUES.get(prefix, "v1")),
                      PREFIXES, st.sampled_from(["a", "b", "train", "prep", "x-y", "_z"]))
# Mostly tags a user would write, so that most notebooks get as far as a plan; the rest hostile.
tag = st.sampled_from(range(20)).flatmap(lambda n: VALID_TAG if n < 12 else ROLE_TAGS if n < 15 else (
    st.builds(_valid_tag, PREFIXES, STEP_NAMES, TAG_VALUES) if n < 17 else HOSTILE_TEXT if n < 18 else
    st.text(max_size=20) if n < 19 else st.sampled_from([5, None, 1.5, True, ["step:a"], {"step": "a"}])))

json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**20) | st.floats(allow_nan=False) | HOSTILE_TEXT | NAMES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8) | NAMES, children, max_size=3),
    max_leaves=8)

STEP_DEFAULT_KEYS = st.sampled_from(["image", "limits", "requests", "annotations", "labels", "cache", "env",
                                     "retries", "timeout", "timout"])
SETTING_KEYS = st.sampled_from(["pipeline_name", "pipeline_description", "experiment_name", "experiment",
                                "base_image", "docker_image", "kfp_host", "volumes", "snapshot_volumes"])

step_defaults = st.dictionaries(STEP_DEFAULT_KEYS, json_value | st.sampled_from(
    [{"memory": "2Gi"}, {"cpu": 1}, {"A": "1"}, 3, "3", True, "python:3.11"]), max_size=3)
VALID_SETTINGS = st.fixed_dictionaries({}, optional={
    "pipeline_name": HOSTILE_TEXT | NAMES, "pipeline_description": HOSTILE_TEXT, "experiment_name": NAMES,
    "base_image": st.sampled_from(["python:3.11", "registry.example/team/img:1"]),
    "step_defaults": st.fixed_dictionaries({}, optional={"timeout": st.integers(1, 99), "retries": st.integers(0, 3),
                                                         "limits": st.just({"memory": "1Gi"}), "cache": st.booleans(),
                                                         "env": st.just({"A": "1"})})})
settings = VALID_SETTINGS | st.dictionaries(SETTING_KEYS, json_value, max_size=3).flatmap(
    lambda found: st.just(found) | step_defaults.map(lambda d: {**found, "step_defaults": d}))


@st.composite
def cell(draw) -> object:
    kind = draw(st.sampled_from(["code"] * 16 + ["markdown", "markdown", "raw", "broken"]))
    if kind == "broken":
        return draw(st.sampled_from([None, 5, "x = 1", [], {"cell_type": "code"},
                                     {"cell_type": "code", "source": 5, "metadata": {}},
                                     {"cell_type": "code", "source": None, "metadata": None},
                                     {"cell_type": "code", "source": ["a", 1], "metadata": {"tags": "step:a"}}]))
    source = draw(python_source()) if kind == "code" else draw(st.sampled_from(["# Heading", "## Train", "text", ""]))
    meta: dict = {"tags": draw(st.lists(tag, max_size=4))} if draw(st.booleans()) else {}
    if draw(_one_in(41)):
        meta = draw(json_value)
    return {"cell_type": kind, "source": source if draw(st.booleans()) else source.splitlines(True),
            "metadata": meta, **({"outputs": [], "execution_count": None} if kind == "code" else {})}


@st.composite
def notebook(draw) -> object:
    metadata: object = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                        "language_info": {"name": "python"}}
    if draw(_one_in(4)):
        metadata["kale_like"] = draw(settings)
    if draw(_one_in(41)):
        metadata = draw(json_value)
    node = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": draw(st.lists(cell(), min_size=1, max_size=8))}
    if draw(_one_in(61)):
        node[draw(st.sampled_from(["cells", "nbformat", "metadata"]))] = draw(json_value)
    return node

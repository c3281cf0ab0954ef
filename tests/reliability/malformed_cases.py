"""Malformed notebooks: a valid notebook built with nbformat, then its JSON corrupted one
way each. Shared by the CLI, API and server tests (and counted for the issue note)."""
from __future__ import annotations

import json
from typing import Callable

from .input_harness import notebook_node


def _valid() -> dict:
    return notebook_node(("a = 1", ["parameters"]), ("b = a + 1", ["step:one"]), ("print(b)", ["step:two"]))


def _set(path: list, value) -> Callable[[dict], dict]:
    def corrupt(node: dict) -> dict:
        target = node
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return node
    return corrupt


def _drop(key: str) -> Callable[[dict], dict]:
    return lambda node: {k: v for k, v in node.items() if k != key}


# name -> (corruption of the valid notebook's data, a word the one error must contain;
# None: nbformat would reject it, but the meaning is clear and it is read as it stands)
CORRUPTIONS: dict[str, tuple[Callable[[dict], object], str | None]] = {
    "metadata null": (_set(["metadata"], None), None),
    "metadata a list": (_set(["metadata"], [1, 2]), "metadata"),
    "language_info a list": (_set(["metadata", "language_info"], ["python"]), "language_info"),
    "language_info name a number": (_set(["metadata", "language_info", "name"], 3), "language"),
    "kernelspec a string": (_set(["metadata", "kernelspec"], "python3"), "kernelspec"),
    "kernel language R": (_set(["metadata", "language_info", "name"], "R"), "Python notebooks only"),
    "cells an object": (_set(["cells"], {"0": {}}), "cells"),
    "cells missing": (_drop("cells"), "no code"),
    "cell a string": (_set(["cells", 1], "b = 2"), "cell 2"),
    "cell without type": (_set(["cells", 1, "cell_type"], None), "cell 2"),
    "cell type unknown": (_set(["cells", 1, "cell_type"], "python"), "cell 2"),
    "cell source an int": (_set(["cells", 1, "source"], 42), "cell 2"),
    "cell source null": (_set(["cells", 1, "source"], None), "cell 2"),
    "cell source a list of ints": (_set(["cells", 1, "source"], [1, 2]), "cell 2"),
    "cell source an object": (_set(["cells", 1, "source"], {"a": 1}), "cell 2"),
    "cell metadata null": (_set(["cells", 1, "metadata"], None), None),
    "cell metadata a list": (_set(["cells", 1, "metadata"], ["step:one"]), "cell 2"),
    "tags a string": (_set(["cells", 1, "metadata", "tags"], "step:one"), "cell 2"),
    "tag a number": (_set(["cells", 1, "metadata", "tags"], [5]), "cell 2"),
    "tag null": (_set(["cells", 1, "metadata", "tags"], [None]), "cell 2"),
    "tag a list": (_set(["cells", 1, "metadata", "tags"], [["step:one"]]), "cell 2"),
    "cell id a number": (_set(["cells", 1, "id"], 7), "cell 2"),
    "lone surrogate in source": (_set(["cells", 1, "source"], "b = '\ud800'"), "cell 2"),
    "lone surrogate in a tag": (_set(["cells", 1, "metadata", "tags"], ["step:\udcff"]), "cell 2"),
    "lone surrogate in metadata": (_set(["metadata", "kale_like"], {"pipeline_description": "\ud83d"}), "surrogate"),
    "kale_like metadata a string": (_set(["metadata", "kale_like"], "x"), "kale_like"),
    "step_defaults a list": (_set(["metadata", "kale_like"], {"step_defaults": ["timeout:5"]}), "step_defaults"),
    "step_defaults timeout text": (_set(["metadata", "kale_like"], {"step_defaults": {"timeout": "abc"}}), "timeout"),
    "step_defaults timeout negative": (_set(["metadata", "kale_like"], {"step_defaults": {"timeout": -5}}), "timeout"),
    "step_defaults timeout zero": (_set(["metadata", "kale_like"], {"step_defaults": {"timeout": 0}}), "timeout"),
    "step_defaults timeout float": (_set(["metadata", "kale_like"], {"step_defaults": {"timeout": 1.5}}), "timeout"),
    "step_defaults timeout bool": (_set(["metadata", "kale_like"], {"step_defaults": {"timeout": True}}), "timeout"),
    "step_defaults retries text": (_set(["metadata", "kale_like"], {"step_defaults": {"retries": "x"}}), "retries"),
    "step_defaults retries negative": (_set(["metadata", "kale_like"], {"step_defaults": {"retries": -1}}), "retries"),
    "step_defaults limits a list": (_set(["metadata", "kale_like"], {"step_defaults": {"limits": ["cpu"]}}), "limits"),
    "step_defaults bad quantity": (_set(["metadata", "kale_like"], {"step_defaults": {"limits": {"memory": "lots"}}}),
                                   "limits"),
    "step_defaults env a list": (_set(["metadata", "kale_like"], {"step_defaults": {"env": ["A=1"]}}), "env"),
    "step_defaults env bad name": (_set(["metadata", "kale_like"], {"step_defaults": {"env": {"A B": "1"}}}), "env"),
    "step_defaults env value object": (_set(["metadata", "kale_like"], {"step_defaults": {"env": {"A": {}}}}), "env"),
    "step_defaults cache text": (_set(["metadata", "kale_like"], {"step_defaults": {"cache": "yes"}}), "cache"),
    "step_defaults image with newline": (_set(["metadata", "kale_like"], {"step_defaults": {"image": "py\nRUN x"}}),
                                         "image"),
    "step_defaults unknown key": (_set(["metadata", "kale_like"], {"step_defaults": {"timout": 5}}), "timout"),
    "pipeline_name a number": (_set(["metadata", "kale_like"], {"pipeline_name": 5}), "pipeline_name"),
    "description a list": (_set(["metadata", "kale_like"], {"pipeline_description": ["a"]}), "description"),
    "experiment a number": (_set(["metadata", "kale_like"], {"experiment_name": 3}), "experiment"),
    "base_image an object": (_set(["metadata", "kale_like"], {"base_image": {"x": 1}}), "base_image"),
    "base_image with spaces": (_set(["metadata", "kale_like"], {"base_image": "python 3"}), "base_image"),
    "volumes an object": (_set(["metadata", "kale_like"], {"volumes": {"name": "x"}}), "volumes"),
    "volumes of strings": (_set(["metadata", "kale_like"], {"volumes": ["data"]}), "volumes"),
    "kubeflow_notebook a list": (_set(["metadata", "kubeflow_notebook"], []), "kubeflow_notebook"),
    "top level a list": (lambda node: [node], "object"),
    "top level a number": (lambda node: 3, "object"),
    "nbformat 3 without worksheets": (_set(["nbformat"], 3), "not a valid notebook"),
    "nbformat a string": (_set(["nbformat"], "four"), "not a valid notebook"),
    "timeout tag zero": (_set(["cells", 1, "metadata", "tags"], ["step:one", "timeout:0"]), "cell 2"),
    "retries tag superscript": (_set(["cells", 1, "metadata", "tags"], ["step:one", "retries:\u00b2"]), "cell 2"),
}

# name -> (file bytes, a word the one error must contain)
RAW_FILES: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"{'cells': []}", "not JSON"),
    "empty file": (b"", "not JSON"),
    "truncated": (json.dumps(_valid()).encode()[:-20], "not JSON"),
    "deep JSON": (b"[" * 50000 + b"]" * 50000, "nests too deeply"),
    "deep JSON object": (b'{"cells": ' + b"[" * 50000 + b"]" * 50000 + b"}", "not a valid notebook"),
    "latin-1 bytes": (json.dumps(_valid()).replace("b = a + 1", "b = 'caf\\u00e9'").encode().replace(
        b"caf\\u00e9", "café".encode("latin-1")), "not a text file"),
    "NUL bytes": (b"\x00" * 64, "not JSON"),
    "huge integer": (json.dumps(_valid()).encode().replace(b'"nbformat": 4', b'"nbformat": ' + b"9" * 5000),
                     "not JSON"),
}


def corrupted(name: str) -> bytes:
    corrupt, _ = CORRUPTIONS[name]
    return json.dumps(corrupt(_valid())).encode("utf-8", "surrogatepass")


def file_bytes(name: str) -> bytes:
    return corrupted(name) if name in CORRUPTIONS else RAW_FILES[name][0]


def expected_word(name: str) -> str | None:
    return CORRUPTIONS[name][1] if name in CORRUPTIONS else RAW_FILES[name][1]


ALL_CASES = [*CORRUPTIONS, *RAW_FILES]

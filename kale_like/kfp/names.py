"""Names KFP accepts for component functions, their inputs and outputs, and pipeline inputs.

KFP wants names that start with a letter and hold letters, digits and ``_``;
notebook variables may start with ``_`` and steps may contain ``-``. Each name is
mapped once and made unique within its scope, so the generated module reads like
the notebook (``df`` stays ``df``).
"""
from __future__ import annotations

import keyword
import re

RNG = "__rng__"
FILES = "__files__"
EVERYTHING = "__everything__"  # a dynamic step's whole namespace (kale_like.flow)
HTML_OUTPUT = "kale_html"
NOTEBOOK_OUTPUT = "kale_notebook"
METRICS_OUTPUT = "kale_metrics"
FILES_OUTPUT = "kale_files"       # files the step's folder holds at its end (what it wrote, and received)
FILES_INPUT = "kale_files_in"     # the files an earlier step wrote, for a step that reads files
# Names a component function uses itself (its outputs, and the entry module it imports).
RESERVED = frozenset({HTML_OUTPUT, NOTEBOOK_OUTPUT, METRICS_OUTPUT, FILES_OUTPUT, FILES_INPUT, "kfp_entry",
                      "kale_like"})
# The default of a ``keep`` parameter input: "use what the notebook computes" (see .inputs).
KEEP = "(notebook value)"
# Names the generated module binds at module level; step functions must not shadow them.
MODULE_NAMES = frozenset({"os", "sys", "json", "HERE", "dsl", "kubernetes", "Input", "Output", "Artifact", "Dataset", "Model",
                          "Metrics", "HTML", "PARAMETERS_FILE", "ASSETS"})


def kfp_name(name: str) -> str:
    """The KFP-friendly spelling of a notebook name (before making it unique)."""
    if name == RNG:
        return "kale_rng"
    if name == EVERYTHING:
        return "kale_namespace"
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not clean[:1].isascii() or not clean[:1].isalpha():
        clean = "v" + clean
    return clean


class Namespace:
    """Hands out unique names within one scope (one function's parameters, one module)."""

    def __init__(self, taken: frozenset[str] | set[str] = frozenset()) -> None:
        self._taken = set(taken)

    def claim(self, wanted: str, suffix: str = "") -> str:
        base = wanted + suffix if wanted in self._taken or keyword.iskeyword(wanted) else wanted
        name, counter = base, 2
        while name in self._taken or keyword.iskeyword(name):
            name = f"{base}_{counter}"
            counter += 1
        self._taken.add(name)
        return name


def function_names(step_names: list[str], pipeline_function: str, parameters: set[str]) -> dict[str, str]:
    """A Python function name per step, unique in the generated module and not shadowed
    by the pipeline function's parameters."""
    scope = Namespace(MODULE_NAMES | {pipeline_function} | parameters)
    return {name: scope.claim(kfp_name(name), "_step") for name in step_names}


def pipeline_name(name: str) -> str:
    """KFP pipeline names are lowercase letters, digits and ``-``, starting with a letter or digit."""
    clean = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:120]
    return clean or "notebook"

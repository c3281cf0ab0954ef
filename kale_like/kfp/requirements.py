"""What a step image needs: the distributions behind the notebook's imports, pinned.

Imports are read from every code cell (IPython syntax transformed first), mapped
to installed distributions with :func:`importlib.metadata.packages_distributions`
and pinned to the versions installed here, where the notebook runs. Modules that
live next to the notebook are *local*: they travel with the pipeline (embedded in
the components), never pip-installed by name.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import metadata

from ..notebook import Notebook

# What kale_like itself needs inside a step (besides the standard library).
RUNTIME_DISTRIBUTIONS = ("kfp", "ipython", "dill", "pyyaml", "matplotlib-inline", "nbformat", "nbconvert", "xxhash")
# What a step installs at start besides the notebook's own requirements (kfp comes with kfp's
# own prelude): the least the shipped runtime imports. HTML falls back to the simple renderer.
STEP_RUNTIME = ("ipython", "dill")


@dataclass(frozen=True)
class Requirements:
    pinned: tuple[str, ...]        # "numpy==1.26.4", from the notebook's imports
    missing: tuple[str, ...]       # imported modules no installed distribution provides
    local: tuple[str, ...]         # modules found next to the notebook
    runtime: tuple[str, ...]       # what kale_like needs in the image, pinned when installed


def notebook_imports(notebook: Notebook) -> list[str]:
    """Top-level module names the notebook's code cells import, in first-seen order."""
    from ..analysis.imports import imported_modules

    tops: list[str] = []
    for name in imported_modules(c.source for c in notebook.code_cells):
        if name.split(".")[0] not in tops:
            tops.append(name.split(".")[0])
    return tops


def local_modules(notebook: Notebook, imports: list[str]) -> list[str]:
    """Paths (files or packages) next to the notebook that ``imports`` name."""
    folder = os.path.dirname(os.path.abspath(notebook.path)) if notebook.path else None
    if folder is None:
        return []
    paths = []
    for name in imports:
        for candidate in (os.path.join(folder, name + ".py"), os.path.join(folder, name)):
            if os.path.isfile(candidate) or os.path.isfile(os.path.join(candidate, "__init__.py")):
                paths.append(candidate)
                break
    return paths


def find_requirements(notebook: Notebook, resolve: bool = True) -> Requirements:
    """``resolve=False`` only finds the local modules (mapping imports to distributions
    scans every installed package, about a second on a large environment)."""
    imports = notebook_imports(notebook)
    local = local_modules(notebook, imports)
    if not resolve:
        return Requirements((), (), tuple(local), ())
    local_names = {os.path.splitext(os.path.basename(p))[0] for p in local}
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
    providers = metadata.packages_distributions()
    pinned: list[str] = []
    missing: list[str] = []
    for name in imports:
        if name in stdlib or name in local_names or name in ("kale_like", "__future__"):
            continue
        distributions = providers.get(name)
        if not distributions:
            missing.append(name)
            continue
        for distribution in distributions:
            requirement = pin(distribution)
            if requirement not in pinned:
                pinned.append(requirement)
    runtime = tuple(pin(d) for d in RUNTIME_DISTRIBUTIONS)
    return Requirements(tuple(pinned), tuple(missing), tuple(local), runtime)


def pin(distribution: str) -> str:
    try:
        return f"{_canonical(distribution)}=={metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return _canonical(distribution)


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-")

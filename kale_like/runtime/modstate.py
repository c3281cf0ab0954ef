"""State that lives in imported modules (``helpers.DATA.append(3)``), carried between steps.

Every step imports the notebook's modules afresh, so a change to a module's globals
would be lost. A step the analysis marks as changing package ``p`` (the pseudo-variable
``__module__:p``) saves, for each loaded module of that package, the globals it changed
(compared by fingerprint with what they were once its inputs were in place) plus those
it received; the next step sets them on its own fresh import and rebinds the notebook
names that held the replaced objects (``from helpers import ITEMS``).
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from .fingerprint import fingerprint

PREFIX = "__module__:"
_CONTAINERS = (list, dict, set, bytearray)


def packages(names: Any) -> set[str]:
    return {n[len(PREFIX):] for n in names if n.startswith(PREFIX)}


def _modules(package: str) -> list[tuple[str, types.ModuleType]]:
    return [(name, module) for name, module in list(sys.modules.items())
            if isinstance(module, types.ModuleType) and (name == package or name.startswith(package + "."))]


def _state_items(module: types.ModuleType) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in list(vars(module).items())
            if not k.startswith("__") and not isinstance(v, (types.ModuleType, types.FunctionType, type))]


class ModuleState:
    """What a step received and what it had before its cells ran, per package."""

    def __init__(self) -> None:
        self.carried: dict[str, set[str]] = {}  # module name -> attributes received
        self.baseline: dict[tuple[str, str], int | None] = {}  # None: a value fingerprint() cannot read

    def restore(self, namespace: dict, state: dict[str, dict[str, Any]]) -> None:
        for module_name, attributes in state.items():
            try:
                module = sys.modules.get(module_name) or importlib.import_module(module_name)
            except Exception:  # noqa: BLE001 - a module that no longer imports keeps nothing
                continue
            replaced = {}
            for attr, value in attributes.items():
                old = getattr(module, attr, None)
                if old is not None and old is not value:
                    replaced[id(old)] = value
                setattr(module, attr, value)
            for name, held in list(namespace.items()):
                if id(held) in replaced:
                    namespace[name] = replaced[id(held)]
            self.carried.setdefault(module_name, set()).update(attributes)

    def remember(self, wanted: set[str]) -> None:
        for package in wanted:
            for module_name, module in _modules(package):
                for attr, value in _state_items(module):
                    self.baseline[(module_name, attr)] = fingerprint(value)

    def changed(self, package: str) -> dict[str, dict[str, Any]]:
        state: dict[str, dict[str, Any]] = {}
        for module_name, module in _modules(package):
            known = any(key[0] == module_name for key in self.baseline)
            carried = self.carried.get(module_name, set())
            for attr, value in _state_items(module):
                before = self.baseline.get((module_name, attr))
                if attr in carried or (before is None and (known or isinstance(value, _CONTAINERS))) or (
                        before is not None and before != fingerprint(value)):
                    state.setdefault(module_name, {})[attr] = value
        return state

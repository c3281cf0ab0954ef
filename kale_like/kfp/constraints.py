"""Pins for everything the notebook's requirements pull in, from the environment it ran in.

``requirements.txt`` names what the notebook imports; pip would resolve their
dependencies to whatever is newest on the day the image is built. The constraints file
pins the whole dependency closure to the versions installed here, where the notebook
ran, so the image reproduces the environment and not just its top level.

A pin whose release needs a newer Python than the image's (the notebook ran on 3.11.7,
a Debian base has 3.11.2, the release says ``Requires-Python >=3.11.5``) cannot hold
there: each pin carries its release's ``Requires-Python`` as an environment marker, so
pip applies it where it can and resolves that one package itself where it cannot.
"""
from __future__ import annotations

import re
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(roots: list[str]) -> list[str]:
    """``name==version`` for the installed distributions ``roots`` need, transitively, sorted."""
    pinned: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(_canonical(r), frozenset()) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        pinned[name] = distribution.version + _python_marker(_requires_python(distribution))
        for text in distribution.requires or ():
            requirement = _parse(text)
            if requirement is None or not _applies(requirement, extras):
                continue
            todo.append((_canonical(requirement.name), frozenset(requirement.extras)))
    return sorted(f"{name}=={version}" for name, version in pinned.items())


def _requires_python(distribution: metadata.Distribution) -> str | None:
    found = distribution.metadata.get_all("Requires-Python")
    return found[0] if found else None


def _python_marker(requires_python: str | None) -> str:
    """``Requires-Python: >=3.11.5`` as `` ; python_full_version >= "3.11.5"``."""
    try:
        specifiers = SpecifierSet(requires_python or "")
    except InvalidSpecifier:
        return ""
    clauses = [f'python_full_version {s.operator} "{s.version}"' for s in specifiers]
    return " ; " + " and ".join(sorted(clauses)) if clauses else ""


def _parse(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    if requirement.marker is None:
        return True
    # evaluate() starts from this interpreter's default environment and overrides only "extra".
    return any(requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""}))

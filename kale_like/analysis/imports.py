"""Which modules a notebook imports (for the warm parent's preload and image requirements)."""
from __future__ import annotations

import ast
from typing import Iterable

from .ipython_source import to_python
from .pyparse import parse as parse_python


def imported_modules(sources: Iterable[str]) -> list[str]:
    """Absolute dotted module names imported anywhere in ``sources``, in first-seen order."""
    found: list[str] = []
    for source in sources:
        try:
            tree = parse_python(to_python(source))
        except Exception:  # a cell that does not parse imports nothing we can see
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.extend(n for n in names if n not in found)
    return found

"""Magics seen as code: which text of a magic is code to follow (``%%time``, ``%%capture``,
``%time``…) and which is only text (IPython expands ``$name``/``{expr}`` in it where it can
and leaves the rest as text, so it never raises ``NameError``)."""
from __future__ import annotations

import ast
import copy
from typing import TYPE_CHECKING

from .classify import magic_name
from .vocabulary import CODE_MAGICS

if TYPE_CHECKING:
    from .cells import CellAnalysis

_USER_NAMESPACE_MAGICS = frozenset({"time", "capture", "prun", "debug"})  # timeit runs in its own namespace


class MagicText(ast.NodeTransformer):
    """Blanks the text of magics: IPython expands ``$name``/``{expr}`` in it only where it
    can (an unknown name is left as text, never a NameError); code magics' code is
    collected to be followed as statements."""

    def __init__(self) -> None:
        self.code: list[tuple[str, int, bool]] = []  # (code, lines before it, binds in the user namespace)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        magic = magic_name(node)
        if magic is None:
            return self.generic_visit(node)
        kind, name = magic
        if name in CODE_MAGICS and kind in ("line", "cell") and len(node.args) > (2 if kind == "cell" else 1):
            code = node.args[2 if kind == "cell" else 1]
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                offset = node.lineno if kind == "cell" else node.lineno - 1
                self.code.append((code.value, offset, name in _USER_NAMESPACE_MAGICS))
        keep = 0 if kind == "system" else 1  # the magic's name stays: it says what the magic does
        blank = node.args[:keep] + [ast.Constant("") for _ in node.args[keep:]]
        return ast.copy_location(ast.Call(func=node.func, args=blank, keywords=node.keywords), node)


def without_magic_text(stmt: ast.stmt) -> tuple[ast.stmt, list[tuple[str, int, bool]]]:
    if not any(isinstance(n, ast.Call) and magic_name(n) for n in ast.walk(stmt)):
        return stmt, []
    blanker = MagicText()
    plain = blanker.visit(copy.deepcopy(stmt))
    return ast.fix_missing_locations(plain), blanker.code


def pylab_import(stmt: ast.stmt) -> str | None:
    """``%pylab`` imports numpy's and matplotlib's names into the namespace, as a star import would."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    return "pylab" if isinstance(call, ast.Call) and magic_name(call) == ("line", "pylab") else None


def star_module(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
        return "." * stmt.level + (stmt.module or "")
    return None


def capture_name(stmt: ast.stmt) -> str | None:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return None
    call = stmt.value
    if magic_name(call) != ("cell", "capture") or len(call.args) < 2 or not isinstance(call.args[1], ast.Constant):
        return None
    words = [w for w in str(call.args[1].value).split() if not w.startswith("-")]
    return words[0] if words and words[0].isidentifier() else None


def magic_codes(analysis: CellAnalysis) -> list[tuple[str, int]]:
    """The cell's code, and the code inside its code magics, with their line offsets."""
    codes = [(analysis.code, 0)]
    if "get_ipython" not in analysis.code:
        return codes
    for stmt in analysis.tree.body if analysis.tree is not None else []:
        if any(isinstance(n, ast.Call) and magic_name(n) for n in ast.walk(stmt)):
            _, inner = without_magic_text(stmt)
            codes += [(code, offset) for code, offset, _ in inner]
    return codes

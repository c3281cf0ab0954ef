"""Every error message template in kale_like's source, found mechanically.

A template is the first argument of a call that makes a user-facing error: the
``KaleLikeError`` family (every class that derives from it, in any module),
``PapermillException`` (the engine's errors reach papermill users as they are) and
``parser.error``; and the message of every ``Finding("error", CODE, MESSAGE, ...)``
(validate prints them, and run stops on some). f-string fields become ``…``; so do ``%s`` and ``{}`` fields of
``%``-formatted and ``.format()``-ed strings. A first argument that is not text written
in the call (a variable) is reported separately: its text comes from somewhere else.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER = "…"
BASE = "KaleLikeError"
FOREIGN = {"PapermillException"}


@dataclass(frozen=True)
class Template:
    text: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def normalise(text: str) -> str:
    """Whitespace runs as one space (a message wrapped over lines in the docs still matches),
    adjacent fields as one (``{holder}{after}`` reads as one changing part)."""
    return re.sub(PLACEHOLDER + "+", PLACEHOLDER, re.sub(r"\s+", " ", text)).strip()


def error_classes(sources: dict[Path, ast.Module]) -> set[str]:
    """``KaleLikeError`` and every class deriving from it, however many levels down."""
    bases: dict[str, set[str]] = {}
    for tree in sources.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(_name(b) for b in node.bases)
    found = {BASE}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def templates(package: Path) -> tuple[list[Template], list[Template]]:
    """(templates, calls whose message is not written in the call) for every .py under ``package``."""
    sources = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(package.rglob("*.py"))}
    makers = error_classes(sources) | FOREIGN
    found, dynamic = [], []
    for path, tree in sources.items():
        where = str(path.relative_to(package.parent))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if _is_error_finding(node):
                message = node.args[2] if len(node.args) > 2 else _keyword(node, "message")
            elif _makes_error(node, makers):
                message = node.args[0] if node.args else _keyword(node, "message")
            else:
                continue
            if message is None:
                continue
            text = _text(message)
            if text is not None and not re.search(r"[A-Za-z]{2}", text.replace(PLACEHOLDER, "")):
                text = None  # all fields, no words of ours (e.g. Python's own SyntaxError text)
            target = found if text is not None else dynamic
            target.append(Template(normalise(text) if text is not None else ast.unparse(message), where,
                                   node.lineno))
    return found, dynamic


def _makes_error(call: ast.Call, makers: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "error":
        return _name(func.value) in ("parser", "self.parser") or _name(func.value).endswith("parser")
    return _name(func) in makers


def _is_error_finding(call: ast.Call) -> bool:
    first = call.args[0] if call.args else _keyword(call, "severity")
    return _name(call.func) == "Finding" and isinstance(first, ast.Constant) and first.value == "error"


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr if not isinstance(node.value, (ast.Name, ast.Attribute)) else \
            f"{_name(node.value)}.{node.attr}" if _name(node.value) in ("self",) else node.attr
    return ""


def _text(node: ast.expr) -> str | None:
    """The message with its fields as placeholders, or None when it is not literal text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        left = _text(node.left)
        return re.sub(r"%[-+ #0-9.]*[sdrfxi]", PLACEHOLDER, left) if left is not None else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("strip", "rstrip"):
        return _text(node.func.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        base = _text(node.func.value)
        return re.sub(r"\{[^{}]*\}", PLACEHOLDER, base) if base is not None else None
    return None

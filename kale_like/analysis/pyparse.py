"""``ast.parse`` that several threads may call at once.

CPython 3.11 keeps the recursion depth of its C-to-Python AST conversion in state that
threads share: two threads converting deep trees at the same moment corrupt it, and one
of them fails with ``SystemError: AST constructor recursion depth mismatch`` (CPython
gh-106905). The server analyses notebooks in a thread pool and plans runs in threads,
so every parse of ours takes one lock. Parsing holds the GIL throughout anyway, so the
lock costs no parallelism.
"""
from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    with _LOCK:
        return ast.parse(source, filename, "exec")


def parse_expression(source: str, filename: str = "<unknown>") -> ast.Expression:
    with _LOCK:
        return ast.parse(source, filename, "eval")

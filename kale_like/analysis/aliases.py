"""Which names a value may share objects with, and which names a target binds."""
from __future__ import annotations

import ast

from . import vocabulary as V
from .model import ImportContext, root_name


def target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in target_names(e)]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return []


def loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def value_roots(value: ast.AST, ctx: ImportContext) -> set[str]:
    """Names whose objects the value of ``value`` may share."""
    if isinstance(value, (ast.Name, ast.Attribute, ast.Subscript, ast.Starred)):
        root = root_name(value)
        return {root} if root and root not in ctx.modules else set()
    if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
        return {r for e in value.elts for r in value_roots(e, ctx)}
    if isinstance(value, ast.Dict):
        return {r for e in value.values if e is not None for r in value_roots(e, ctx)}
    if isinstance(value, ast.IfExp):
        return value_roots(value.body, ctx) | value_roots(value.orelse, ctx)
    if isinstance(value, ast.BoolOp):
        return {r for e in value.values for r in value_roots(e, ctx)}
    if isinstance(value, ast.NamedExpr):
        return value_roots(value.value, ctx)
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and ctx.dotted(func) is None:
            if func.attr in V.FRESH_RESULT_METHODS:
                return set()
            return value_roots(func.value, ctx)
        path = ctx.dotted(func)
        if (path and path.split(".")[-1] in V.ALIASING_FUNCTIONS) or (
                isinstance(func, ast.Name) and func.id in V.ALIASING_BUILTINS):
            return {r for a in value.args for r in value_roots(a, ctx)}
    return set()

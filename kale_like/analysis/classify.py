"""What kind of top-level statement this is: import, definition, library configuration
(replayed in later steps), or other; and which IPython magic a call stands for."""
from __future__ import annotations

import ast

from . import vocabulary as V
from .model import ImportContext, StatementFacts


def classify(stmt: ast.stmt, facts: StatementFacts, ctx: ImportContext) -> None:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        facts.kind = "import"
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        facts.kind = "def"
    elif isinstance(stmt, ast.ClassDef):
        facts.kind = "class"
    elif _is_config(stmt, ctx):
        facts.kind = "config"


def _is_config(stmt: ast.stmt, ctx: ImportContext) -> bool:
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        path = ctx.dotted(call.func)
        if path and (path in V.CONFIG_CALLS or path.startswith("matplotlib.pyplot.rcParams")):
            return True
        magic = magic_name(call)
        return magic is not None and magic[1] in V.CONFIG_MAGICS
    if isinstance(stmt, (ast.Assign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        paths = [_target_path(t, ctx) for t in targets]
        # Setting an attribute of a module (``my_helpers.CONSTANT = 8``, ``pd.options.x = …``)
        # changes state that lives in the process: later steps replay it.
        return all(p and (p.startswith(V.CONFIG_TARGET_ROOTS) or isinstance(t, (ast.Attribute, ast.Subscript)))
                   for p, t in zip(paths, targets))
    return False


def _target_path(target: ast.AST, ctx: ImportContext) -> str | None:
    node = target
    while isinstance(node, ast.Subscript):
        node = node.value
    return ctx.dotted(node)


def magic_name(call: ast.Call) -> tuple[str, str] | None:
    """For ``get_ipython().run_line_magic('time', '...')`` return ``('line', 'time')``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return None
    kinds = {"run_line_magic": "line", "run_cell_magic": "cell", "system": "system", "getoutput": "system"}
    kind = kinds.get(func.attr)
    if kind is None:
        return None
    if kind == "system":
        return ("system", "system")
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return (kind, call.args[0].value)
    return (kind, "")

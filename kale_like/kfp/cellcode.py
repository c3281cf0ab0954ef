"""A notebook cell's code written into the generated module as code, not as an escaped string.

Each cell becomes a nested function whose body is the cell, indented::

    def cell_9():
        model = LogisticRegression(C=C).fit(X_train, y_train)
        print(model.score(X_test, y_test))

The function is never called. The step reads its source back with ``inspect``
(:func:`kale_like.runtime.kfp_entry.cell_text`) and runs it the way Jupyter would.
Code that cannot be a function body (``from m import *``, ``from __future__``,
IPython syntax whose Python form is still not valid there) falls back to a
string literal, raw and triple-quoted when that reads the same.
"""
from __future__ import annotations

import ast

BODY_INDENT = " " * 8  # the nested function sits in a step function (4) and holds the cell (8)


def cell_body(code: str) -> str:
    """The exact text the step will run: ``code`` without trailing blank lines."""
    lines = code.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def nested_function(name: str, code: str) -> list[str] | None:
    """Source lines (at step-function indentation) of ``def name():`` holding ``code``.

    None when ``code`` is not valid as a function body. Only non-empty lines are
    indented, so reading the body back and removing the indentation gives ``code``
    exactly, including inside multi-line strings.
    """
    body = cell_body(code)
    if not body.strip():
        return None
    lines = [f"    def {name}():"]
    lines += [BODY_INDENT + line if line else "" for line in body[:-1].split("\n")]
    try:
        compile("\n".join(line[4:] for line in lines) + "\n", "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return lines


def string_assignment(name: str, code: str) -> list[str]:
    """``name = r'''…'''`` (or ``repr`` when a raw triple-quoted string would not read back exactly)."""
    body = cell_body(code)
    literal = f"r'''{body}'''"
    if ("'''" in body or body.endswith(("\\", "\\\n", "'")) or "\r" in body
            or _literal_value(literal) != body):
        literal = repr(body)
    return [f"    {name} = {literal}"]


def _literal_value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return None

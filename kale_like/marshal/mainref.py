"""Notebook functions and classes travel by name *and* by the definition they came from.

A step re-runs the notebook's ``def``/``class`` statements, so an object saved by name
(``__main__.A``) normally comes back as the very object the consumer defined, and
``isinstance`` keeps working. But the name may stand for another definition there:
an instance made before ``class A`` was redefined keeps the old class in Jupyter, and a
function redefined with a header that reads notebook values is not re-run. So each
object is saved with where it was defined (cell file and line) and a by-value copy;
the consumer uses its own object of that name only when it comes from the same
definition, else the copy. A function's attributes (``f.calls = 0``) come along.
"""
from __future__ import annotations

import sys
import types
import weakref
from typing import Any

_class_origins: "weakref.WeakKeyDictionary[type, tuple[str, int]]" = weakref.WeakKeyDictionary()
_by_value: dict[tuple[str, tuple[str, int]], Any] = {}


def register_classes(namespace: dict, code: str, filename: str, first_line: int = 1) -> None:
    """Remember where the classes a cell (or a replayed snippet) just defined come from:
    its top-level ``class`` statements, by cell file and line. (A ``__build_class__``
    hook would see every class, but would also show up in the user's tracebacks.)"""
    if "class" not in code:
        return
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            cls = namespace.get(stmt.name)
            if isinstance(cls, type) and cls not in _class_origins:
                try:
                    _class_origins[cls] = (filename, stmt.lineno + first_line - 1)
                except TypeError:
                    continue


def origin(obj: Any) -> tuple[str, int] | None:
    if isinstance(obj, types.FunctionType):
        code = obj.__code__
        return (code.co_filename, code.co_firstlineno) if code.co_filename.startswith("<cell ") else None
    if isinstance(obj, type):
        return _class_origins.get(obj)
    return None


def reduce_main(obj: object) -> Any:
    """``reducer_override`` part: notebook functions and classes, else NotImplemented."""
    if not isinstance(obj, (type, types.FunctionType)) or getattr(obj, "__module__", None) != "__main__":
        return NotImplemented
    where = origin(obj)
    if where is None:
        return NotImplemented
    return _main_object, (obj.__qualname__, where, _by_value_bytes(obj), _function_state(obj))


def _main_object(qualname: str, where: tuple[str, int], copy: bytes | None, state: dict | None) -> Any:
    """Load side: the consumer's own object when it is the same definition, else the copy."""
    target: Any = sys.modules.get("__main__")
    for part in qualname.split("."):
        target = getattr(target, part, None)
    definition = (where[0], where[1])  # a tuple even if it travelled as another sequence
    if target is None or origin(target) != definition:
        if "<locals>" in qualname or "<lambda>" in qualname:
            # Many closures come from one definition, each with its own cells: never share.
            target = _load_copy(copy) if copy is not None else None
        else:
            key = (qualname, definition)  # one class object per definition, across groups
            if key not in _by_value and copy is not None:
                _by_value[key] = _load_copy(copy)
            target = _by_value.get(key, target)
    if target is None:
        raise AttributeError(f"the notebook defines no '{qualname}' here")
    if state:
        target.__dict__.update(state)
    return target


def _function_state(obj: object) -> dict | None:
    if not isinstance(obj, types.FunctionType):
        return None
    state = {k: v for k, v in obj.__dict__.items() if not k.startswith("__")}
    return state or None


def _by_value_bytes(obj: object) -> bytes | None:
    try:
        import io

        import dill

        buffer = io.BytesIO()
        pickler = dill.Pickler(buffer, protocol=5, byref=False, recurse=False)
        pickler._main = sys.modules["__main__"]  # globals stay the live notebook, not a copy
        pickler.dump(obj)
        return buffer.getvalue()
    except Exception:  # noqa: BLE001 - no copy: the consumer's own definition is used
        return None


def _load_copy(data: bytes) -> Any:
    import io

    import dill

    unpickler = dill.Unpickler(io.BytesIO(data))
    setattr(unpickler, "_main", sys.modules["__main__"])  # noqa: B010 - globals are the live notebook
    return unpickler.load()

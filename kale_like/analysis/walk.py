"""An ``ast.NodeVisitor`` that descends with an explicit stack instead of recursion.

Valid code can nest expressions hundreds of levels deep (a 500-term sum, an ``elif``
chain, a long method chain); ``ast.NodeVisitor`` spends two Python frames per level
and raises ``RecursionError`` long before the interpreter would refuse the code.
Here the generic descent is a loop, and a node type that needs work *after* its
children (``leave_Call``) gets it from the same loop, so the stack depth no longer
grows with the depth of an expression.
"""
from __future__ import annotations

import ast
from typing import Any, Callable


class _Leave:
    __slots__ = ("method", "node")

    def __init__(self, method: Callable[[Any, ast.AST], None], node: ast.AST):
        self.method = method
        self.node = node


# ast.NodeVisitor defines visit_Constant only to forward to the deprecated visit_Num & co.
_BASE_HANDLERS = frozenset({ast.NodeVisitor.visit_Constant})


class IterativeVisitor(ast.NodeVisitor):
    """``visit_X(node)`` replaces the descent into X (as in ``ast.NodeVisitor``);
    ``leave_X(node)`` runs after X's children were visited. Children are visited in
    the order ``ast.NodeVisitor`` visits them."""

    _handlers: dict[type, tuple[Any, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}

    def visit(self, node: ast.AST) -> None:
        self._descend([node])

    def generic_visit(self, node: ast.AST) -> None:
        self._descend(list(ast.iter_child_nodes(node)))

    def _descend(self, nodes: list[ast.AST]) -> None:
        stack: list[Any] = nodes[::-1]
        while stack:
            item = stack.pop()
            if type(item) is _Leave:
                item.method(self, item.node)
                continue
            visit, leave = self._handlers_for(type(item))
            if visit is not None:
                visit(self, item)
                continue
            if leave is not None:
                stack.append(_Leave(leave, item))
            stack.extend(list(ast.iter_child_nodes(item))[::-1])

    @classmethod
    def _handlers_for(cls, node_type: type) -> tuple[Any, Any]:
        found = cls._handlers.get(node_type)
        if found is None:
            visit = getattr(cls, "visit_" + node_type.__name__, None)
            if visit in _BASE_HANDLERS:
                visit = None
            found = (visit, getattr(cls, "leave_" + node_type.__name__, None))
            cls._handlers[node_type] = found
        return found

"""Per-statement facts: the names a top-level statement reads, writes, deletes and
may mutate, plus the hidden effects (files, random streams, configuration,
dynamic name access) that decide what may run in parallel.

Scope rules follow Python's: comprehension and lambda variables stay inside
them; a function body's reads happen when it is *called*, so they are kept as the
function's *deferred* effects and charged to every statement that uses the
function.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from . import vocabulary as V
from .aliases import loaded_names, target_names, value_roots
from .classify import classify, magic_name
from .model import Deferred, ImportContext, StatementFacts, root_name
from .pyparse import parse as parse_python, parse_expression
from .walk import IterativeVisitor

# Summaries of the function and lambda nodes of one top-level statement, so that each
# nested definition is summarised once however deep it sits (not twice per level).
Summaries = dict[ast.AST, Deferred]
Comprehension = ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp


def statement_facts(stmt: ast.stmt, ctx: ImportContext) -> StatementFacts:
    facts = StatementFacts(line=stmt.lineno)
    visitor = _ModuleVisitor(facts, ctx, {})
    visitor.visit(stmt)
    # Lambdas handed to a container or a call (``hs.append(lambda: j)``) run later,
    # through whatever the statement wrote or changed.
    pending = getattr(visitor, "_pending_lambda", None)
    if pending is not None and (pending.reads or pending.writes or pending.mutates or pending.calls):
        for name in facts.writes | facts.mutates:
            entry = facts.deferred.setdefault(name, Deferred())
            entry.absorb(pending)
            entry.calls |= pending.calls
    classify(stmt, facts, ctx)
    return facts


class _ModuleVisitor(IterativeVisitor):
    """Walks one top-level statement in module scope."""

    def __init__(self, facts: StatementFacts, ctx: ImportContext, summaries: Summaries):
        self.facts = facts
        self.ctx = ctx
        self.summaries = summaries
        self.local_stack: list[set[str]] = []  # comprehension / lambda scopes

    # --- names -------------------------------------------------------------------
    def _is_local(self, name: str) -> bool:
        return any(name in scope for scope in self.local_stack)

    def visit_Name(self, node: ast.Name) -> None:
        if self._is_local(node.id):
            return
        if isinstance(node.ctx, ast.Load):
            self.facts.reads.add(node.id)
            self.facts.uses_code.add(node.id)
            if node.id in self.ctx.modules:
                self.facts.module_reads.add(_package(self.ctx.modules[node.id]))
        elif isinstance(node.ctx, ast.Store):
            self.facts.writes.add(node.id)
        elif isinstance(node.ctx, ast.Del):
            self.facts.deletes.add(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        return

    # --- imports -----------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.facts.writes.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.facts.writes.add(alias.asname or alias.name)

    # --- definitions -------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        before = set(self.facts.reads)
        for deco in node.decorator_list:
            self.visit(deco)
        self._visit_arguments_defaults(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.facts.definition_reads |= self.facts.reads - before
        self.facts.writes.add(node.name)
        self.facts.deferred[node.name] = function_summary(node, self.ctx, self.summaries)
        self.facts.deferred[node.name].cache = node.name in self.ctx.cached_functions

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        before = set(self.facts.reads)
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        summary = Deferred()
        class_body = _ClassBodyVisitor(self)  # one for the whole body: its names stay visible in it
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = item.args
                for expr in [*item.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d is not None),
                             *(a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                                      args.vararg, args.kwarg] if a is not None and a.annotation)]:
                    class_body.visit(expr)
                class_body.local.add(item.name)
                method = function_summary(item, self.ctx, self.summaries)
                summary.absorb(method)
                summary.calls |= method.calls
            else:
                class_body.visit(item)
        self.facts.definition_reads |= self.facts.reads - before
        self.facts.writes.add(node.name)
        self.facts.deferred[node.name] = summary

    def _visit_arguments_defaults(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_arguments_defaults(node.args)
        # The body runs later, when the lambda is called: charge it to whoever binds it.
        summary = function_summary(node, self.ctx, self.summaries)
        self._pending_lambda = getattr(self, "_pending_lambda", Deferred())
        self._pending_lambda.absorb(summary)
        self._pending_lambda.calls |= summary.calls
        self._pending_lambda.param_mutations |= summary.param_mutations

    # --- comprehensions ----------------------------------------------------------
    def _visit_comprehension(self, node: Comprehension, elements: list[ast.expr]) -> None:
        generators = node.generators
        # The first iterable is evaluated in the enclosing scope.
        self.visit(generators[0].iter)
        scope: set[str] = set()
        self.local_stack.append(scope)
        for index, gen in enumerate(generators):
            if index:
                self.visit(gen.iter)
            scope.update(target_names(gen.target))
            for cond in gen.ifs:
                self.visit(cond)
        for element in elements:
            self.visit(element)
        self.local_stack.pop()

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._visit_comprehension(node, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._visit_comprehension(node, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._visit_comprehension(node, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._visit_comprehension(node, [node.key, node.value])

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        # A walrus inside a comprehension binds in the enclosing (module) scope.
        self.facts.writes.add(node.target.id)
        self._record_alias([node.target], node.value)

    # --- statements with targets -------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self._pending_lambda = Deferred()
        self.visit(node.value)
        for target in node.targets:
            self._visit_target(target)
        self._bind_value(node.targets, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._pending_lambda = Deferred()
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self._visit_target(node.target)
        if node.value is not None:
            self._bind_value([node.target], node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        root = root_name(node.target)
        if isinstance(node.target, ast.Name):
            if self._is_local(node.target.id):
                return
            self.facts.reads.add(node.target.id)
            self.facts.writes.add(node.target.id)
            # ``xs += [1]`` extends the list in place: every alias sees it.
            self.facts.mutates.add(node.target.id)
        else:
            self._visit_target(node.target)
            if root:
                self.facts.reads.add(root)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.facts.deletes.add(target.id)
            else:
                self._visit_target(target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._visit_target(node.target)
        self._record_alias([node.target], node.iter)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._visit_target(item.optional_vars)
                self._bind_value([item.optional_vars], item.context_expr)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        for stmt in node.body:
            self.visit(stmt)
        if node.name:
            # Python unbinds ``e`` when the handler ends.
            self.facts.deletes.add(node.name)

    def _visit_target(self, target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            if not self._is_local(target.id):
                self.facts.writes.add(target.id)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._visit_target(element)
            return
        if isinstance(target, ast.Starred):
            self._visit_target(target.value)
            return
        # obj.attr = …, d[k] = …: the object is changed, not rebound.
        root = root_name(target)
        if root and not self._is_local(root) and root not in self.ctx.modules:
            self.facts.mutates.add(root)
            self.facts.reads.add(root)
        elif root in self.ctx.modules and not self._is_local(root):
            self.facts.module_state.add(_package(self.ctx.modules[root]))
        if isinstance(target, ast.Subscript):
            self.visit(target.slice)
            self._visit_chain(target.value)
        elif isinstance(target, ast.Attribute):
            self._visit_chain(target.value)

    def _visit_chain(self, node: ast.AST) -> None:
        if isinstance(node, ast.Subscript):
            self.visit(node.slice)
            self._visit_chain(node.value)
        elif isinstance(node, ast.Attribute):
            self._visit_chain(node.value)
        elif not isinstance(node, ast.Name):
            self.visit(node)
        elif not self._is_local(node.id):
            self.facts.reads.add(node.id)

    def _bind_value(self, targets: Sequence[ast.AST], value: ast.AST) -> None:
        names = [n for t in targets for n in target_names(t)]
        self._record_alias(targets, value)
        pending = getattr(self, "_pending_lambda", Deferred())
        used = loaded_names(value) & self.ctx.notebook_functions if self.ctx.notebook_functions else set()
        if pending.reads or pending.writes or pending.mutates or pending.calls or pending.param_mutations or used:
            summary = Deferred()
            summary.absorb(pending)
            summary.calls |= pending.calls | used
            summary.param_mutations |= pending.param_mutations
            for name in names:
                self.facts.deferred[name] = summary
        self._pending_lambda = Deferred()
        kind = self._untravelable_kind(value)
        if kind:
            for name in names:
                self.facts.untravelable[name] = kind

    def _untravelable_kind(self, value: ast.AST) -> str | None:
        if isinstance(value, ast.GeneratorExp):
            return "generator"
        if isinstance(value, ast.Call):
            path = self.ctx.dotted(value.func) or (value.func.id if isinstance(value.func, ast.Name) else None)
            if path in V.UNTRAVELABLE_CALLS:
                return V.UNTRAVELABLE_CALLS[path]
            if isinstance(value.func, ast.Attribute) and value.func.attr == "connect" and path is None:
                return None
            if path and path.endswith(".connect") and path.split(".")[0] in ("sqlite3", "psycopg2", "pymysql", "sqlalchemy"):
                return "database connection"
        return None

    def _record_alias(self, targets: Sequence[ast.AST], value: ast.AST) -> None:
        names = [n for t in targets for n in target_names(t)]
        roots = value_roots(value, self.ctx)
        group = names + sorted(roots)
        for other in group[1:]:
            self.facts.aliases.append((group[0], other))

    # --- calls -------------------------------------------------------------------
    def leave_Call(self, node: ast.Call) -> None:
        # After the arguments and the callee were visited (a leave_ hook, so that a
        # long method chain does not nest one Python frame per call).
        magic = magic_name(node)
        if magic is not None:
            self._visit_magic(node, magic)
            return
        func = node.func
        path = self.ctx.dotted(func)
        name = func.id if isinstance(func, ast.Name) and not self._is_local(func.id) else None
        if name in V.DYNAMIC_CALLS or path in V.DYNAMIC_CALLS:
            self.facts.dynamic = True
        self._note_effects(path or name, func)
        arg_roots = [root_name(a) for a in node.args]
        kw_roots = {k.arg: r for k in node.keywords if k.arg and (r := root_name(k.value))}
        self._mutate_all([], _filled_by_keywords(node, arg_roots))
        if isinstance(func, ast.Attribute):
            self._visit_method_call(node, func, path, arg_roots)
        elif not isinstance(func, ast.Name):
            # ``handlers['add'](x)``, ``make()(x)``: an unknown callable, which may keep
            # state (a bound method, a closure) and may change its arguments.
            self._mutate_all([root_name(func), *arg_roots], kw_roots)
        elif name is not None:
            if name in self.ctx.notebook_functions:
                self.facts.calls.append((name, arg_roots, kw_roots))
                if name in self.ctx.stateful_functions:
                    self._mutate_all([name], {})  # a cache or attributes live in the function object
            elif name in self.ctx.modules:
                top = _package(self.ctx.modules[name])
                if name.split(".")[-1] in V.ARGUMENT_MUTATORS or top not in V.KNOWN_LIBRARIES:
                    self._mutate_all(arg_roots, kw_roots)
                if top not in V.KNOWN_LIBRARIES and top not in _STDLIB:
                    self.facts.module_state.add(top)
            elif name not in V.PURE_BUILTINS and name not in V.ALIASING_BUILTINS:
                self.facts.calls.append((name, arg_roots, kw_roots))
                # Calling a value may change the value itself: a closure's cells, a
                # callable object's attributes.
                self._mutate_all([name, *arg_roots], kw_roots)
            elif name == "next":
                self._mutate_all(arg_roots[:1], {})

    def _visit_method_call(self, node: ast.Call, func: ast.Attribute, path: str | None,
                           arg_roots: list[str | None]) -> None:
        receiver = root_name(func.value)
        inplace = any(k.arg == "inplace" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                      for k in node.keywords)
        if path is not None:  # a module function: np.sort(x), random.shuffle(xs)
            parts = path.split(".")
            if func.attr in V.ARGUMENT_MUTATORS or parts[0] not in V.KNOWN_LIBRARIES:
                self._mutate_all(arg_roots, {})
            elif inplace or _unbound_mutator(parts):  # np.ndarray.fill(a, 0), torch.nn.init.zeros_(w)
                self._mutate_all(arg_roots[:1], {})
            # ``helpers.DATA.append(3)``, ``ITEMS.append('c')`` after ``from helpers import
            # ITEMS``, or any function of a module we know nothing about: state that
            # lives in the module may change.
            top = _package(path)
            if (len(parts) > 2 and func.attr not in V.PURE_METHODS) or (
                    top not in V.KNOWN_LIBRARIES and top not in _STDLIB):
                self.facts.module_state.add(top)
            return
        pure = func.attr in V.PURE_METHODS and not inplace
        if not pure:
            # ``rng.shuffle(arr)``, ``col.collect(bucket)``: a method of another object
            # may fill or reorder what it is given.
            self._mutate_all(arg_roots, {})
        if receiver is None or self._is_local(receiver) or receiver in V.BUILTIN_NAMES:
            return
        if not pure:
            self.facts.mutates.add(receiver)
            self.facts.reads.add(receiver)

    def _mutate_all(self, roots: list[str | None], kw_roots: dict[str, str]) -> None:
        for root in [*roots, *kw_roots.values()]:
            if root and not self._is_local(root) and root not in self.ctx.modules and root not in V.BUILTIN_NAMES:
                self.facts.mutates.add(root)

    def _note_effects(self, path: str | None, func: ast.AST) -> None:
        if path:
            if path in V.FILE_CALLS or path.split(".")[0] in ("shutil", "glob", "subprocess", "tempfile", "pathlib"):
                self.facts.file_io = True
            module, _, attr = path.rpartition(".")
            if module in V.RNG_MODULES and attr not in V.RNG_NOT_GLOBAL:
                self.facts.rng = True
                if attr in V.RNG_SEEDS:
                    self.facts.rng_seed = True
            for rng_module in V.RNG_MODULES:
                if self.ctx.modules.get(path.split(".")[0], "") == rng_module + "." + path.split(".")[-1]:
                    self.facts.rng = True
        if isinstance(func, ast.Attribute) and func.attr in V.FILE_METHODS:
            self.facts.file_io = True
        if isinstance(func, ast.Name) and func.id in self.ctx.modules:
            origin = self.ctx.modules[func.id]
            module, _, attr = origin.rpartition(".")
            if module in V.RNG_MODULES and attr not in V.RNG_NOT_GLOBAL:
                self.facts.rng = True
                self.facts.rng_seed |= attr in V.RNG_SEEDS
            if origin in V.FILE_CALLS or module in V.FILE_CALLS:
                self.facts.file_io = True

    def _visit_magic(self, node: ast.Call, magic: tuple[str, str]) -> None:
        kind, name = magic
        if kind == "system" or name in V.FILE_MAGICS:
            self.facts.file_io = True
        if name in V.DYNAMIC_MAGICS:
            self.facts.dynamic = True
        if name == "matplotlib" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            words = str(node.args[1].value).split()
            self.facts.interactive_backend = bool(words) and words[0] in V.INTERACTIVE_BACKENDS
        if kind == "cell" and name == "capture" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            # ``%%capture out`` binds ``out`` to the captured output.
            words = [w for w in str(node.args[1].value).split() if not w.startswith("-")]
            if words and words[0].isidentifier():
                self.facts.writes.add(words[0])
        if name in V.CODE_MAGICS:
            code_arg = node.args[2] if kind == "cell" and len(node.args) > 2 else (
                node.args[1] if kind == "line" and len(node.args) > 1 else None)
            if isinstance(code_arg, ast.Constant) and isinstance(code_arg.value, str):
                self._visit_code_string(code_arg.value)
        if kind == "cell" and name not in V.CODE_MAGICS and name not in V.FILE_MAGICS:
            self.facts.dynamic = True  # unknown cell magics may run anything
        for arg in node.args[1:]:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._visit_expansions(arg.value if kind != "system" or arg is not node.args[0] else arg.value)
        if kind == "system" and node.args and isinstance(node.args[0], ast.Constant):
            self._visit_expansions(str(node.args[0].value))

    def _visit_expansions(self, text: str) -> None:
        """IPython expands ``$name`` and ``{expression}`` in magics and shell lines."""
        import re

        for name in re.findall(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)", text):
            self.facts.reads.add(name)
        for expression in re.findall(r"\{([^{}]+)\}", text):
            try:
                tree = parse_expression(expression.strip())
            except SyntaxError:
                continue
            self.facts.reads |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}

    def _visit_code_string(self, code: str) -> None:
        from .ipython_source import to_python

        try:
            tree = parse_python(to_python(code))
        except SyntaxError:
            return
        for stmt in tree.body:
            inner = statement_facts(stmt, self.ctx)
            for attr in ("reads", "writes", "deletes", "mutates", "uses_code"):
                getattr(self.facts, attr).update(getattr(inner, attr))
            self.facts.aliases += inner.aliases
            self.facts.calls += inner.calls
            self.facts.deferred.update(inner.deferred)
            self.facts.file_io |= inner.file_io
            self.facts.rng |= inner.rng
            self.facts.rng_seed |= inner.rng_seed
            self.facts.dynamic |= inner.dynamic
            self.facts.module_state |= inner.module_state
            self.facts.module_reads |= inner.module_reads


class _ClassBodyVisitor(IterativeVisitor):
    """Statements of a class body run at class-definition time; their names stay in the class."""

    def __init__(self, outer: _ModuleVisitor):
        self.outer = outer
        self.local: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id not in self.local:
            self.outer.visit_Name(node)
        elif isinstance(node.ctx, ast.Store):
            self.local.add(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def _comprehension(self, node: Comprehension, elements: list[ast.expr]) -> None:
        """Only the first iterable sees the class's names; the rest runs in a scope of its
        own whose free names are the module's (``[i for i in range(n)]`` reads ``n`` here)."""
        generators = node.generators
        self.visit(generators[0].iter)
        own = {n for g in generators for n in target_names(g.target)}
        rest = [*(g.iter for g in generators[1:]), *(c for g in generators for c in g.ifs), *elements]
        for expr in rest:
            for name in ast.walk(expr):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Load) and name.id not in own:
                    self.outer.visit_Name(name)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])


def conservative_facts(stmt: ast.stmt) -> StatementFacts:
    """Facts for a statement too deep to follow: it reads and changes every name it
    mentions, binds what Python would bind for it, and has dynamic effects (so its step
    keeps its order and hands on the whole namespace)."""
    names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    return StatementFacts(line=stmt.lineno, reads=set(names), writes=_bound_names([stmt]), mutates=set(names),
                          uses_code=set(names), file_io=True, dynamic=True)


_STDLIB = frozenset(getattr(__import__("sys"), "stdlib_module_names", ()))


def _package(dotted: str) -> str:
    return dotted.lstrip(".").split(".")[0]


def _filled_by_keywords(node: ast.Call, arg_roots: list[str | None]) -> dict[str, str]:
    """Arguments a library call writes into: ``out=a``, ``copy=False``, ``inplace=True``."""
    filled: dict[str, str] = {}
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg == "out":
            roots = [root_name(e) for e in value.elts] if isinstance(value, ast.Tuple) else [root_name(value)]
            filled.update({f"out{i}": r for i, r in enumerate(roots) if r})
        elif isinstance(value, ast.Constant) and (keyword.arg, value.value) in (("copy", False), ("inplace", True)):
            if arg_roots and arg_roots[0]:
                filled["self"] = arg_roots[0]
    return filled


def _unbound_mutator(parts: list[str]) -> bool:
    """``numpy.ndarray.fill`` (a method called through its class) or ``torch...zeros_``
    (the in-place naming convention): the first argument is changed."""
    last = parts[-1]
    if last.endswith("_") and not last.startswith("_"):
        return True
    owner = parts[-2] if len(parts) > 1 else ""
    return (owner[:1].isupper() or owner == "ndarray") and last not in V.PURE_METHODS


# --- function bodies -----------------------------------------------------------------
def function_summary(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, ctx: ImportContext,
                     summaries: Summaries | None = None) -> Deferred:
    """Global names a function body reads, rebinds (``global``) or mutates when called.

    ``summaries`` holds the summaries already made within the same statement: the body
    is visited twice (for its effects, then for its parameters' mutations), and without
    it every nested level would summarise the levels below it twice again.
    """
    summaries = {} if summaries is None else summaries
    if node not in summaries:
        summaries[node] = _summarise(node, ctx, summaries)
    return _copy(summaries[node])


def _copy(summary: Deferred) -> Deferred:
    return Deferred(set(summary.reads), set(summary.writes), set(summary.mutates), set(summary.param_mutations),
                    set(summary.calls), summary.file_io, summary.rng, summary.dynamic, summary.generator)


def _summarise(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, ctx: ImportContext,
               summaries: Summaries) -> Deferred:
    params = _parameters(node.args)
    body: list[ast.stmt] = node.body if isinstance(node.body, list) else [ast.Expr(node.body)]
    # A ``global`` statement binds in its own function only: nested functions are not searched.
    declared_global = {n for sub in _own_nodes(body) if isinstance(sub, ast.Global) for n in sub.names}
    local = (_bound_names(body) | set(params)) - declared_global
    summary = Deferred()
    for stmt in body:
        inner = StatementFacts(line=getattr(stmt, "lineno", 0))
        visitor = _ModuleVisitor(inner, ctx, summaries)
        visitor.local_stack.append(set(local))
        visitor.visit(stmt)
        summary.reads |= inner.reads
        summary.writes |= inner.writes & declared_global
        summary.mutates |= inner.mutates | (inner.deletes & declared_global)
        summary.calls |= {c[0] for c in inner.calls} | (inner.uses_code & ctx.notebook_functions)
        for deferred in inner.deferred.values():
            summary.absorb(deferred)
            summary.calls |= deferred.calls
        summary.file_io |= inner.file_io
        summary.rng |= inner.rng
        summary.dynamic |= inner.dynamic
        summary.module_state |= inner.module_state
        summary.module_reads |= inner.module_reads
        # Mutating a parameter mutates the caller's argument.
        mutated_params = _mutated_locals(stmt, ctx, set(params), summaries)
        summary.param_mutations |= {params.index(p) for p in mutated_params if p in params}
        summary.param_mutations |= mutated_params
    summary.generator = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(body))
    return summary


def _mutated_locals(stmt: ast.stmt, ctx: ImportContext, params: set[str], summaries: Summaries) -> set[str]:
    inner = StatementFacts(line=0)
    _ModuleVisitor(inner, ctx, summaries).visit(stmt)
    return inner.mutates & params


def _parameters(args: ast.arguments) -> list[str]:
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if args.vararg:
        names.append(args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of a function body that run in its own frame: a nested definition's
    decorators and defaults do, its body does not (``global`` and ``yield`` there are its own)."""
    for stmt in body:
        roots: list[ast.AST]
        if isinstance(stmt, ast.ClassDef):
            roots = [*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)]
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            roots = [*stmt.decorator_list, *stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d is not None)]
        else:
            roots = [stmt]
        for root in roots:
            yield from _walk_own(root)


def _walk_own(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk that does not enter nested functions, lambdas or classes."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                todo.append(child)


def _bound_names(body: list[ast.stmt]) -> set[str]:
    """Names a function body binds locally (Python's compile-time rule)."""
    bound: set[str] = set()
    for stmt in body:
        for node in _walk_own(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not stmt:
                bound.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound |= {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(stmt.name)
    return bound

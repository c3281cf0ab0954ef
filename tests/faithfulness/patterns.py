"""Pattern notebooks: each exercises one thing notebooks do that a pipeline can get wrong.

Every notebook PRINTS the values that prove its pattern, so a pipeline that loses a
mutation, reorders hidden state or drops a display prints something else. Patterns
about hidden process state (randomness, files, environment, configuration, figures,
magics, display) are in ``patterns_runtime.py``; ``PATTERNS`` holds both sets.
"""
from __future__ import annotations

from .pattern_model import Pattern, code, section
from .patterns_runtime import RUNTIME_PATTERNS
from .patterns_state import STATE_PATTERNS

ALL_SPLITS = ("cells", "headings", "tags")

MUTATION_PATTERNS = (
    Pattern("inplace_pandas", (
        section("Load",
                "import pandas as pd",
                "df = pd.DataFrame({'a': [3, 1, 2], 'b': [6, 5, 4], 'c': list('xyz')})"),
        section("Clean",
                "df.drop(columns=['c'], inplace=True)",
                "df.sort_values('a', inplace=True)",
                "df.reset_index(drop=True, inplace=True)"),
        section("Report",
                "print(df.columns.tolist())\nprint(df.to_dict('list'))",
                "df"),
    ), splits=ALL_SPLITS + ("auto",)),
    Pattern("list_append_extend", (
        section("Start", "xs = []", "xs.append(1)"),
        section("Grow", "xs.extend([2, 3])", "xs.insert(0, 0)\nxs.remove(2)"),
        section("Report", "print(xs, len(xs))"),
    ), splits=ALL_SPLITS, runs=2),
    Pattern("alias_two_names", (
        section("Bind", "x = [1, 2]\ny = x"),
        section("Mutate", "x.append(3)", "x += [4]"),
        section("Report", "print(y, y is x)"),
    ), splits=ALL_SPLITS),
    Pattern("alias_dict_item", (
        section("Bind", "a = {'k': [1]}", "b = a['k']"),
        section("Mutate", "b.append(2)"),
        section("Report", "print(a, a['k'] is b)"),
    )),
    Pattern("alias_numpy_view", (
        section("Bind", "import numpy as np\narr = np.arange(5)", "v = arr[:2]"),
        section("Mutate", "v[0] = 99"),
        section("Report", "print(arr, v, np.shares_memory(arr, v))"),
    ), splits=ALL_SPLITS),
    Pattern("attribute_assignment", (
        section("Make", "from types import SimpleNamespace\ncfg = SimpleNamespace(lr=0.1)"),
        section("Set", "cfg.lr = 0.5", "cfg.epochs = 3"),
        section("Report", "print(cfg)"),
    )),
    Pattern("subscript_assignment", (
        section("Make", "d = {}\nm = [[0, 0], [0, 0]]"),
        section("Set", "d['a'] = 1", "d['b'] = d['a'] + 1", "m[1][0] = 7"),
        section("Report", "print(d, m)"),
    )),
    Pattern("augmented_assignment", (
        section("Start", "n = 0\ns = 'a'"),
        section("Update", "n += 1\ns += 'b'", "n *= 10", "n -= 3\ns *= 2"),
        section("Report", "print(n, s)"),
    ), splits=ALL_SPLITS),
    Pattern("del_statement", (
        section("Make", "a = 1\nb = [1, 2, 3]\nc = {'k': 1, 'j': 2}"),
        section("Delete", "del a", "del b[0]\ndel c['k']"),
        section("Report", "print('a' in globals(), b, c)", "a = 'back'", "print(a)"),
    )),
    Pattern("function_mutates_global_list", (
        section("Define", "log = []\ndef record(item):\n    log.append(item)"),
        section("Use", "record('a')", "record('b')\nrecord('c')"),
        section("Report", "print(log)"),
    ), splits=ALL_SPLITS),
    Pattern("global_statement", (
        section("Define", """
            counter = 0
            def bump(k=1):
                global counter
                counter += k
            """),
        section("Use", "bump()\nbump()", "bump(10)"),
        section("Report", "print(counter)"),
    ), splits=ALL_SPLITS),
    Pattern("unpicklable_across_cells", (
        section("Open", "squares = (i * i for i in range(5))", "fh = open('log.txt', 'w')"),
        section("Use", "print(next(squares))", "fh.write('one\\n')"),
        section("Finish", "print(list(squares))", "fh.close()\nprint(open('log.txt').read())"),
    )),
)

SCOPE_PATTERNS = (
    Pattern("redefinition", (
        section("First", "x = 1\ndef f():\n    return 'first'", "a = f()\nx_before = x"),
        section("Second", "x = 'two'\ndef f():\n    return 'second'"),
        section("Report", "print(a, f(), x_before, x)"),
    ), splits=ALL_SPLITS),
    Pattern("builtins_shadowed", (
        section("Shadow", "max = 10", "print(max)", "sum = sum([1, 2])\nid = 'user-7'"),
        section("Use", "print(sum, max + sum, id)"),
        section("Restore", "del max\nprint(max([1, 5, 3]))"),
    ), splits=ALL_SPLITS),
    Pattern("global_defined_later", (
        section("Define", "def scaled(v):\n    return v * scale"),
        section("Set", "scale = 3", "print(scaled(2))"),
        section("Change", "scale = 5", "print(scaled(2))"),
    ), splits=ALL_SPLITS),
    Pattern("comprehension_and_loop_scope", (
        section("Data", "x = 'outer'\nitems = [1, 2, 3]"),
        section("Loops", "squares = [x * x for x in items]\ntotal = sum(i for i in items)",
                "for i in items:\n    last = i * 10"),
        section("Report", "print(x, squares, total, i, last)"),
    )),
    Pattern("walrus", (
        section("Data", "data = [4, 8, 15]"),
        section("Assign", "if (n := len(data)) > 2:\n    big = True", "ys = [y := v * 2 for v in data]"),
        section("Report", "print(n, big, ys, y)"),
    )),
    Pattern("except_as_and_with_as", (
        section("Catch", """
            try:
                1 / 0
            except ZeroDivisionError as e:
                err = e
                msg = str(e)
            """, "print(type(err).__name__, msg, 'e' in globals())"),
        section("Files", "with open('note.txt', 'w') as f:\n    f.write('hello')",
                "with open('note.txt') as f:\n    text = f.read()\nprint(f.closed)"),
        section("Report", "print(text.upper())"),
    )),
    Pattern("lambda_late_binding", (
        section("Build", "fs = [lambda: i for i in range(3)]\ngs = [lambda i=i: i for i in range(3)]",
                "hs = []\nfor j in range(3):\n    hs.append(lambda: j)"),
        section("Call", "print([f() for f in fs], [g() for g in gs], [h() for h in hs])"),
        section("Rebind", "j = 10", "print([h() for h in hs])"),
    ), splits=ALL_SPLITS),
    Pattern("star_import", (
        section("Import", "from math import *"),
        section("Use", "print(sqrt(16), floor(2.7), round(pi, 4))",
                "from os.path import *\nprint(join('a', 'b'), splitext('x.tar.gz'))"),
        section("Shadow", "pi = 3", "print(pi, e > 2)"),
    ), splits=ALL_SPLITS),
    Pattern("classes", (
        section("Define", """
            class Point:
                def __init__(self, x, y):
                    self.x, self.y = x, y
                def norm2(self):
                    return self.x ** 2 + self.y ** 2
                def __repr__(self):
                    return f'Point({self.x}, {self.y})'
            """),
        section("Use", "p = Point(3, 4)", "print(isinstance(p, Point), p, p.norm2())", "p.x = 6",
                "print(p, p.norm2())"),
        section("Redefine", "class Point:\n    pass",
                "print(isinstance(p, Point), type(p).__name__, isinstance(Point(), Point))"),
    ), splits=ALL_SPLITS),
    Pattern("decorated_functions", (
        section("Decorators", """
            import functools
            def twice(fn):
                @functools.wraps(fn)
                def wrapper(x):
                    return fn(fn(x))
                return wrapper
            """, "@twice\ndef add3(x):\n    return x + 3"),
        section("Dataclass", """
            from dataclasses import dataclass
            @dataclass(frozen=True)
            class Item:
                name: str
                qty: int = 1
            """, "it = Item('apple', 3)"),
        section("Report", "print(add3(1), add3.__name__)", "print(it, it == Item('apple', 3))"),
    )),
    Pattern("lru_cache_state", (
        section("Define", """
            from functools import lru_cache
            @lru_cache(maxsize=None)
            def fib(n):
                return n if n < 2 else fib(n - 1) + fib(n - 2)
            """),
        section("Call", "print(fib(20))", "print(fib(25))"),
        section("Report", "print(fib.cache_info())"),
    )),
    Pattern("dynamic_globals", (
        section("Globals", "globals()['z'] = 5", "print(z)"),
        section("Exec", "exec('w = z * 2')", "print(w, eval('z + w'))"),
        section("Names", "name = 'dyn_' + 'var'\nglobals()[name] = [1]",
                "dyn_var.append(2)\nprint(globals()['dyn_var'])"),
    ), splits=ALL_SPLITS),
    Pattern("independent_branches", (
        section("Load", "import time\na = [1, 2, 3]\nb = {'k': 'v'}"),
        section("Branch A", "time.sleep(0.5)\nprint('branch a', sum(a))"),
        section("Branch B", "print('branch b', b['k'])"),
        section("Join", "print('join', len(a), len(b))"),
    ), splits=ALL_SPLITS + ("auto",)),
)

TAG_PATTERNS = (
    Pattern("tags_imports_functions", (
        section("Setup", code("import math", "imports"),
                code("def area(r):\n    return math.pi * r * r", "functions")),
        section("Compute", code("r = 2", "step:compute")),
        section("Report", code("print(round(area(r), 3))", "step:report", "prev:compute")),
    ), splits=("tags",), own_tags=True),
    Pattern("tags_skip", (
        section("Load", code("x = 1\nprint('loaded', x)", "step:load")),
        section("Debug", code("x = 999\nprint('this cell is skipped')", "skip")),
        section("Report", code("x += 1", "step:report", "prev:load"), code("print(x)")),
    ), splits=("tags",), own_tags=True),
    Pattern("tags_prev_dag", (
        section("Load", code("data = [1, 2]", "step:load")),
        section("Branch A", code("data.append(3)\nprint('a', data)", "block:branch_a", "prev:load")),
        section("Branch B", code("print('b', data, sum(data))", "step:branch_b", "prev:load")),
        section("Join", code("print('join', data)", "step:join", "prev:branch_a", "prev:branch_b")),
    ), splits=("tags",), own_tags=True),
    Pattern("tags_parameters_metrics", (
        section("Parameters", code("alpha = 0.5\nn_items = 3", "pipeline-parameters")),
        section("Compute", code("values = [alpha * i for i in range(n_items)]\nscore = sum(values)",
                                "step:compute"), code("print(values)")),
        section("Metrics", code("print(score)", "pipeline-metrics")),
    ), splits=("tags", "cells"), own_tags=True),
    Pattern("raises_exception_tag", (
        section("Before", "x = 1"),
        section("Fails", code("print('about to fail')\n1 / 0", "raises-exception")),
        section("After", "print('continued', x)"),
    )),
)

PATTERNS: tuple[Pattern, ...] = (MUTATION_PATTERNS + SCOPE_PATTERNS + RUNTIME_PATTERNS + TAG_PATTERNS
                                  + STATE_PATTERNS)

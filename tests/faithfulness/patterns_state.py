"""Pattern notebooks about state the static pass cannot see (issue 12, section 1).

One group per class: values changed through another object's call, state living in an
imported module or inside a function object, identity (redefined classes, array
views), names made by ``exec``, files written by magics and imported, values nobody
reads, definitions whose header reads notebook values, warnings shown once, and
interactive matplotlib backends. Each notebook prints what proves its pattern.
"""
from __future__ import annotations

from .pattern_model import Pattern, section

STATE_MODULE = """
DATA = [1, 2]
ITEMS = ['a', 'b']
REGISTRY = {}
SETTINGS = {'mode': 'fast'}

def total():
    return sum(DATA)

def register(name, value):
    REGISTRY[name] = value
    return len(REGISTRY)

def count_items():
    return len(ITEMS)
"""

COLLECTOR_MODULE = """
class Collector:
    def __init__(self, prefix):
        self.prefix = prefix

    def collect(self, into, n):
        for i in range(n):
            into.append(f'{self.prefix}{i}')
"""

SKLEARN_WARNING = """
import warnings

def fit(values):
    warnings.warn('X does not have valid feature names', UserWarning)
    return sum(values)
"""

# --- 1. mutation through a call of something else ------------------------------------
CALL_MUTATION = (
    Pattern("generator_shuffles_array", (
        section("Make", "import numpy as np\narr = np.arange(8)", "rng = np.random.default_rng(3)"),
        section("Shuffle", "rng.shuffle(arr)", "np.random.default_rng(5).shuffle(arr[:4])"),
        section("Report", "print(arr.tolist())"),
    )),
    Pattern("numpy_out_and_copyto", (
        section("Make", "import numpy as np\na = np.zeros(4)\nb = np.ones(4)\nc = np.empty(4)"),
        section("Fill", "np.add(a, 1, out=a)", "np.multiply(b, 3, out=c)", "np.copyto(b, c)",
                "np.nan_to_num(a, copy=False)\nnp.ndarray.fill(a, 5)"),
        section("Report", "print(a.tolist(), b.tolist(), c.tolist())"),
    )),
    Pattern("method_of_other_object_fills_argument", (
        section("Make", "from collector import Collector\nbucket = []\nseen = set()",
                "col = Collector('k')"),
        section("Fill", "col.collect(bucket, 3)", "import random\nrandom.Random(1).shuffle(bucket)",
                "seen.update(bucket)\nbucket_copy = list(bucket)"),
        section("Report", "print(bucket, sorted(seen), bucket_copy == bucket)"),
    ), files={"collector.py": COLLECTOR_MODULE}),
    Pattern("sort_through_alias_and_type", (
        section("Make", "groups = {'a': [3, 1, 2], 'b': [9, 7]}\nnums = [5, 4, 6]\nbox = {'k': 1}"),
        section("Sort", "for v in groups.values():\n    v.sort()", "list.sort(nums)",
                "dict.update(box, {'j': 2})", "import operator\noperator.setitem(box, 'z', 26)"),
        section("Report", "print(groups, nums, box)"),
    )),
    Pattern("callback_mutates_argument", (
        section("Make", "events = []\nhandlers = {'add': events.append}", "log = {'n': 0}"),
        section("Call", "handlers['add']('first')", "apply = lambda d: d.update(n=d['n'] + 1)",
                "apply(log)"),
        section("Report", "print(events, log)"),
    )),
)

# --- 2. state that lives in an imported module ----------------------------------------
MODULE_STATE = (
    Pattern("module_list_appended", (
        section("Import", "import nbstate"),
        section("Change", "nbstate.DATA.append(3)", "nbstate.SETTINGS['mode'] = 'slow'"),
        section("Report", "print(nbstate.DATA, nbstate.total(), nbstate.SETTINGS)"),
    ), files={"nbstate.py": STATE_MODULE}),
    Pattern("from_import_mutated", (
        section("Import", "from nbstate import ITEMS"),
        section("Change", "ITEMS.append('c')"),
        section("Report", "import nbstate\nprint(ITEMS, nbstate.ITEMS, ITEMS is nbstate.ITEMS, nbstate.count_items())"),
    ), files={"nbstate.py": STATE_MODULE}),
    Pattern("module_function_changes_its_globals", (
        section("Import", "import nbstate as ns"),
        section("Register", "print(ns.register('a', 1))", "n = ns.register('b', 2)"),
        section("Report", "print(n, ns.REGISTRY)"),
    ), files={"nbstate.py": STATE_MODULE}),
    Pattern("library_module_state", (
        section("Import", "import string\nimport json"),
        section("Change", "string.EXTRA = ['x']", "string.EXTRA.append('y')",
                "from json import decoder\ndecoder.NOTES = {}", "decoder.NOTES['k'] = 1"),
        section("Report", "print(string.EXTRA, json.decoder.NOTES)"),
    )),
)

# --- 3. state that lives inside a function object -------------------------------------
FUNCTION_STATE = (
    Pattern("closure_counter", (
        section("Define", """
            def make_counter():
                count = 0
                def inc():
                    nonlocal count
                    count += 1
                    return count
                return inc
            """, "inc = make_counter()\nother = make_counter()"),
        section("Count", "inc()", "inc()\nprint(inc())", "other()"),
        section("Report", "print(inc(), other())"),
    )),
    Pattern("function_attributes", (
        section("Define", "def tally():\n    tally.calls += 1\n    return tally.calls", "tally.calls = 0"),
        section("Call", "tally()", "tally()"),
        section("Report", "print(tally(), tally.calls)"),
    )),
    Pattern("cached_functions", (
        section("Define", """
            import functools
            @functools.cache
            def square(n):
                print('computing', n)
                return n * n
            """),
        section("Call", "square(3)", "square(3)\nsquare(4)"),
        section("Report", "print(square(4), square.cache_info())"),
    )),
    Pattern("callable_object_state", (
        section("Define", """
            class Accumulator:
                def __init__(self):
                    self.total = 0
                def __call__(self, x):
                    self.total += x
                    return self.total
            """, "acc = Accumulator()"),
        section("Call", "acc(3)", "acc(4)"),
        section("Report", "print(acc.total)"),
    )),
)

# --- 4. identity that matters ---------------------------------------------------------
IDENTITY = (
    Pattern("instance_keeps_old_class", (
        section("First", "class A:\n    kind = 'old'", "a = A()"),
        section("Second", "class A:\n    kind = 'new'", "b = A()"),
        section("Report", "print(type(a) is A, a.kind, type(b) is A, b.kind, isinstance(a, A))"),
    )),
    Pattern("class_redefined_with_methods", (
        section("Define", "from dataclasses import dataclass\n@dataclass\nclass P:\n    x: int\n"
                          "    def show(self):\n        return f'v1 {self.x}'", "p = P(1)\nps = [P(2), p]"),
        section("Redefine", "@dataclass\nclass P:\n    x: int\n    def show(self):\n        return f'v2 {self.x}'",
                "q = P(3)"),
        section("Report", "print(p.show(), q.show(), ps[1] is p, type(ps[0]) is type(p), type(q) is P)"),
    )),
    Pattern("numpy_view_keeps_base", (
        section("Make", "import numpy as np\narr = np.arange(10)", "v = arr[2:6]\nw = arr.reshape(2, 5)"),
        section("Check", "print(v.base is arr, w.base is arr, v.flags.owndata)", "v[0] = -1"),
        section("Report", "print(arr[:4], w[0, :4], v.base is arr)"),
    )),
)

# --- 5. names defined dynamically -----------------------------------------------------
DYNAMIC_NAMES = (
    Pattern("exec_defines_then_augmented", (
        section("Exec", "exec('z = 41')"),
        section("Use", "z += 1", "print(z)"),
    )),
    Pattern("globals_assignment_then_rebound", (
        section("Start", "x = 1"),
        section("Dynamic", "for name in ('x', 'y'):\n    globals()[name] = 10", "exec('w = [x, y]')"),
        section("Use", "print(x, y)", "w.append(3)\nprint(w)"),
    )),
)

# --- 6. files written by magics and read by imports -----------------------------------
FILE_IMPORTS = (
    Pattern("writefile_then_import_helpers", (
        section("Write", "%%writefile shapes.py\ndef area(w, h):\n    return w * h\n"),
        section("Use", "from shapes import area\nprint(area(3, 4))"),
    )),
    Pattern("writefile_replaces_module", (
        section("Write", "%%writefile config_mod.py\nLEVEL = 2\n"),
        section("Import", "import config_mod\nprint(config_mod.LEVEL)"),
    ), files={"config_mod.py": "LEVEL = 1\n"}),
    Pattern("open_write_then_import", (
        section("Write", "with open('gen_mod.py', 'w') as fh:\n    fh.write('VALUE = 7\\n')"),
        section("Import", "import gen_mod\nprint(gen_mod.VALUE)"),
    )),
    Pattern("shell_redirect_then_import", (
        section("Write", "!echo 'NAME = \"shell\"' > shell_mod.py"),
        section("Import", "import shell_mod\nprint(shell_mod.NAME)"),
    )),
)

# --- 7. a value nobody reads must never fail a run ------------------------------------
UNREAD_VALUES = (
    Pattern("closed_handle_beside_text", (
        section("Read", "import io\ns = 'alpha\\nbeta'", "with io.StringIO(s) as fh:\n    text = fh.read()"),
        section("Use", "print(text.split())"),
    )),
    Pattern("file_handle_beside_lines", (
        section("Write", "with open('in.txt', 'w') as out:\n    out.write('1\\n2\\n3\\n')"),
        section("Read", "with open('in.txt') as fh:\n    lines = fh.readlines()\n    first = lines[0]"),
        section("Use", "print(len(lines), first.strip())"),
    )),
)

# --- 8. definitions whose header reads notebook values --------------------------------
DEFINITION_HEADERS = (
    Pattern("annotation_reads_notebook_value", (
        section("Alias", "BeliefState = set"),
        section("Define", "def told(part: str) -> BeliefState:\n    return BeliefState(part)"),
        section("Use", "print(sorted(told('abc')), told.__annotations__['return'].__name__)"),
    )),
    Pattern("default_redefines_earlier_function", (
        section("First", "def D(y):\n    return ('first', y)", "print(D(1))"),
        section("Value", "class Expression:\n    def __init__(self, n):\n        self.n = n\n"
                         "    def __repr__(self):\n        return f'E({self.n})'", "x = Expression('x')"),
        section("Second", "def D(y, x=x):\n    return ('second', y, x)"),
        section("Use", "print(D(2))"),
    )),
    Pattern("decorator_reads_notebook_value", (
        section("Registry", "handlers = {}\ndef register(name):\n    def deco(fn):\n"
                            "        handlers[name] = fn\n        return fn\n    return deco"),
        section("Define", "@register('hello')\ndef hello():\n    return 'hi'"),
        section("Use", "print(sorted(handlers), hello())"),
    )),
)

# --- 9. warnings shown once, the way one kernel shows them -----------------------------
WARNINGS_ONCE = (
    Pattern("library_warning_in_later_cell", (
        section("Import", "import fake_sklearn\nimport warnings"),
        section("First", "print(fake_sklearn.fit([1, 2]))"),
        section("Again", "print(fake_sklearn.fit([3]))"),
        section("Reset", "warnings.resetwarnings()\nwarnings.simplefilter('default')\nprint(fake_sklearn.fit([4]))"),
    ), files={"fake_sklearn.py": SKLEARN_WARNING}),
    Pattern("same_text_different_line", (
        section("Module", "import warnings\ndef first():\n    warnings.warn('same text', UserWarning)\n"
                          "def second():\n    warnings.warn('same text', UserWarning)"),
        section("Calls", "first()", "first()", "second()"),
    )),
)

# --- 10. interactive matplotlib backends ----------------------------------------------
INTERACTIVE = (
    Pattern("matplotlib_notebook_backend", (
        section("Backend", "%matplotlib notebook\nimport matplotlib.pyplot as plt"),
        section("Plot", "plt.plot([1, 2, 3])", "print(len(plt.gca().lines))"),
        section("Back", "%matplotlib inline\nplt.figure()\nplt.plot([3, 2])"),
    )),
    Pattern("matplotlib_notebook_objects", (
        section("Backend", "%matplotlib notebook\nimport matplotlib.pyplot as plt", "fig, ax = plt.subplots()"),
        section("Draw", "ax.plot([1, 2])", "plt.title('t')\nprint(plt.gca() is ax, len(plt.get_fignums()))",
                "plt.figure()\nprint(len(plt.get_fignums()))"),
    )),
)

STATE_PATTERNS = (CALL_MUTATION + MODULE_STATE + FUNCTION_STATE + IDENTITY + DYNAMIC_NAMES + FILE_IMPORTS
                  + UNREAD_VALUES + DEFINITION_HEADERS + WARNINGS_ONCE + INTERACTIVE)

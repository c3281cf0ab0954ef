"""Across processes, as steps run: user code lives in ``__main__`` on both sides.

The consumer re-executes the notebook's ``def``/``class`` statements before loading,
so notebook classes travel by reference, and functions that dill saves by value look
up their globals in the consumer's ``__main__``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

POINT = '''
class Point:
    def __init__(self, x):
        self.x = x
    def describe(self):
        return "{side}"
'''


def test_notebook_class_instances_travel_by_reference(tmp_path: Path, run_main: Any,
                                                      group_meta: Any) -> None:
    saved = run_main(POINT.format(side="producer") + '''
import json, sys
from kale_like.marshal import MarshalContext, save_group
p = Point(-3)
info = save_group(sys.argv[1], {"p": p, "pts": [p, Point(2)]}, MarshalContext("a", {}))
print(json.dumps({"codec": info.codec}))
''', str(tmp_path / "g"))
    loaded = run_main(POINT.format(side="consumer") + '''
import json, sys
from kale_like.marshal import load_group
g = load_group(sys.argv[1])
p = g["p"]
print(json.dumps({"isinstance": isinstance(p, Point), "x": p.x, "shared": g["pts"][0] is p,
                  "method": p.describe()}))
''', str(tmp_path / "g"))
    assert saved == {"codec": "pickle"}
    assert loaded == {"isinstance": True, "x": -3, "shared": True, "method": "consumer"}


def test_lambdas_and_closures_travel_by_value_with_the_consumers_globals(
        tmp_path: Path, run_main: Any) -> None:
    saved = run_main(POINT.format(side="producer") + '''
import json, sys
from kale_like.marshal import MarshalContext, save_group
SCALE = 2
def make_adder(k):
    def add(x):
        return x + k * SCALE
    return add
add3 = make_adder(3)
square = lambda x: x * x * SCALE
p = Point(5)
info = save_group(sys.argv[1], {"add3": add3, "square": square, "p": p, "fns": [square]},
                  MarshalContext("a", {}))
print(json.dumps({"codec": info.codec, "here": add3(1)}))
''', str(tmp_path / "g"))
    loaded = run_main(POINT.format(side="consumer") + '''
import json, sys
from kale_like.marshal import load_group
SCALE = 10
g = load_group(sys.argv[1])
print(json.dumps({"add3": g["add3"](1), "square": g["square"](3),
                  "point": isinstance(g["p"], Point), "shared": g["fns"][0] is g["square"]}))
''', str(tmp_path / "g"))
    assert saved == {"codec": "dill", "here": 7}
    assert loaded == {"add3": 31, "square": 90, "point": True, "shared": True}


def test_single_lambda_goes_straight_to_dill(tmp_path: Path, run_main: Any) -> None:
    saved = run_main('''
import json, sys
from kale_like.marshal import MarshalContext, save_group
OFFSET = 1
f = lambda x: x + OFFSET
print(json.dumps({"codec": save_group(sys.argv[1], {"f": f}, MarshalContext("a", {})).codec}))
''', str(tmp_path / "g"))
    loaded = run_main('''
import json, sys
from kale_like.marshal import load_group
OFFSET = 100
print(json.dumps({"value": load_group(sys.argv[1])["f"](1)}))
''', str(tmp_path / "g"))
    assert saved == {"codec": "dill"} and loaded == {"value": 101}


def test_missing_notebook_class_is_a_marshal_error(tmp_path: Path, run_main: Any) -> None:
    run_main(POINT.format(side="producer") + '''
import json, sys
from kale_like.marshal import MarshalContext, save_group
save_group(sys.argv[1], {"p": Point(1)}, MarshalContext("make", {}))
print("{}")
''', str(tmp_path / "g"))
    loaded = run_main('''
import json, sys
from kale_like.errors import MarshalError
from kale_like.marshal import load_group
try:
    load_group(sys.argv[1])
except MarshalError as exc:
    print(json.dumps({"error": str(exc)}))
''', str(tmp_path / "g"))
    error = loaded["error"]
    assert error.startswith("variable 'p' saved by step 'make' cannot be loaded from ")
    assert "the notebook class or function 'Point' is not defined in this step" in error
    assert "(hint: " in error


def test_importing_and_using_marshal_for_plain_values_imports_no_heavy_library(
        tmp_path: Path, run_main: Any) -> None:
    result = run_main('''
import json, sys
import kale_like.marshal as marshal
heavy = ("numpy", "pandas", "dill", "sklearn", "matplotlib", "torch", "importlib.metadata")
after_import = [name for name in heavy if name in sys.modules]
marshal.save_group(sys.argv[1], {"x": [1, 2.5, "s"], "y": {"a": None}},
                   marshal.MarshalContext("a", {}))
marshal.load_group(sys.argv[1])
after_use = [name for name in heavy if name in sys.modules]
print(json.dumps({"after_import": after_import, "after_use": after_use}))
''', str(tmp_path / "g"))
    assert result == {"after_import": [], "after_use": []}


def test_killed_writer_leaves_nothing_that_looks_like_a_group(
        tmp_path: Path, run_process: Any, run_main: Any) -> None:
    writer = run_process('''
import os, sys
import numpy as np
from kale_like.marshal import MarshalContext, save_group
class Crash:
    def __reduce__(self):
        os._exit(3)   # the step process dies half-way through writing
save_group(sys.argv[1], {"big": np.ones(1_000_000), "crash": Crash()}, MarshalContext("a", {}))
''', str(tmp_path / "g"))
    assert writer.returncode == 3
    assert not (tmp_path / "g").exists()
    assert all(path.name.startswith(".g.") and path.name.endswith(".partial")
               for path in tmp_path.iterdir())
    reader = run_main('''
import json, sys
from kale_like.errors import MarshalError
from kale_like.marshal import load_group
try:
    load_group(sys.argv[1])
except MarshalError as exc:
    print(json.dumps({"error": str(exc)}))
''', str(tmp_path / "g"))
    assert reader["error"].startswith(f"no saved variables at {tmp_path / 'g'}")


SHELL_LIKE = '''
import json, sys, types
import dill  # imported first, as a warm parent would, before the shell swaps __main__
namespace = types.ModuleType("__main__")  # what IPython's InteractiveShell installs
sys.modules["__main__"] = namespace
exec(sys.argv[2], namespace.__dict__)
'''


def test_functions_follow_a_main_module_swapped_in_after_dill_import(
        tmp_path: Path, run_main: Any) -> None:
    imports = ("import json, sys\n"
               "from kale_like.marshal import MarshalContext, load_group, save_group\n")
    producer = imports + POINT.format(side="producer") + (
        "SCALE = 2\nf = lambda x: x * SCALE\n"
        "save_group(sys.argv[1], {'f': f, 'p': Point(4)}, MarshalContext('a', {}))\n")
    consumer = imports + POINT.format(side="consumer") + (
        "SCALE = 5\ng = load_group(sys.argv[1])\n"
        "print(json.dumps({'f': g['f'](3), 'point': isinstance(g['p'], Point)}))\n")
    run_main(SHELL_LIKE + "print('{}')", str(tmp_path / "g"), producer)
    loaded = run_main(SHELL_LIKE, str(tmp_path / "g"), consumer)
    assert loaded == {"f": 15, "point": True}

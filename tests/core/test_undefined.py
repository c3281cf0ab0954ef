"""Undefined names: a finding only where a top-to-bottom run would read a name nothing
defined — an error when it certainly would (NameError), a warning when it only may."""
from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from kale_like import api
from kale_like.errors import UndefinedNameError

from .helpers import make_notebook, plan_of


def findings_of(*cells, split="cells", overrides=None) -> list[tuple[str, str, int, int]]:
    """(severity, name, cell, line) of every undefined-name finding."""
    found = plan_of(*cells, split=split, overrides=overrides)
    return [(f.severity, f.message.split("'")[1], f.cell, f.line) for f in found.findings if f.code == "undefined-name"]


CLEAN = {
    "earlier cells": ["x = 1", "y = x + 1", "print(x, y)"],
    "for target": ["files = ['a', 'b']", "for name in files:\n    print(name)\nprint(name)"],
    "while body": ["n = 0\nwhile n < 3:\n    last = n\n    n += 1", "print(last)"],
    "bound later in the loop": ["for i in range(3):\n    if i:\n        print(prev)\n    prev = i"],
    "with target": ["import io\nwith io.StringIO('t') as fh:\n    text = fh.read()", "print(text, fh.closed)"],
    "except target": ["try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    print(e)\n    msg = str(e)\nelse:\n    msg = ''",
                      "print(msg)"],
    "import fallback": ["try:\n    import numpy as np\nexcept ImportError:\n    np = None", "print(np is None)"],
    "walrus": ["data = [1, 2, 3]\nif (n := len(data)) > 2:\n    print(n)", "print(n)",
               "print([y for x in data if (y := x * 2) > 2], y)"],
    "comprehensions": ["pairs = {k: v for k, v in [('a', 1)]}\nsquares = [i * i for i in range(3)]",
                       "print(sum(j for j in squares), pairs)"],
    "magics": ["%%time\nimport math\nroot = math.sqrt(4)", "%%capture captured\nimport json\nprint('x')",
               "print(root, json.dumps(1), captured.stdout)", "%time z = 3", "print(z)",
               "listing = !echo hi\nprint(listing)", "!echo {undefined_in_shell_text} $also_text"],
    "global in a called function": ["def setup():\n    global config\n    config = {'a': 1}", "setup()",
                                    "print(config)"],
    "star import": ["from math import *", "print(sqrt(4), pi)"],
    "builtins and IPython names": ["print(len, In, Out, get_ipython, display, __name__, _, exit)"],
    "functions and closures": ["def outer(a):\n    def inner():\n        return a * scale\n    return inner",
                               "scale = 3", "print(outer(2)())", "double = lambda v: v * scale\nprint(double(2))",
                               "class Model:\n    factor = 2\n    def run(self, v):\n        return v * self.factor * scale",
                               "print(Model().run(1))"],
    "closure variable named like a later global": ["def outer(a):\n    def inner():\n        return a\n    return inner()",
                                                  "print(outer(1))", "a = 5"],
    "match": ["point = (1, 2)\nmatch point:\n    case (x, y):\n        where = x + y\n    case _:\n        where = 0",
              "print(where)"],
    "main guard": ["if __name__ == '__main__':\n    ran = True", "print(ran)"],
    "deleted and bound again": ["tmp = 1\ndel tmp\ntmp = 2", "print(tmp)"],
    "class body": ["import math\nclass C:\n    a = 1\n    b = a + math.pi\n    items = [i for i in range(a)]",
                   "print(C.b)"],
}


@pytest.mark.parametrize("name", list(CLEAN))
def test_what_a_top_to_bottom_run_defines_is_never_reported(name):
    assert findings_of(*CLEAN[name]) == []


def test_a_merged_step_counts_its_own_earlier_cells():
    # The open file cannot travel, so the cells are one step; every name is defined.
    cells = ["fh = open(__import__('os').devnull)", "first = fh.readline()",
             "for line in fh:\n    print(line)\nprint(first)", "fh.close()\nwith open(__import__('os').devnull) as g:\n"
             "    rest = g.read()\nprint(rest, g.closed)"]
    found = plan_of(*cells, split="auto")
    assert len(found.pipeline.steps) == 1
    assert [f for f in found.findings if f.code == "undefined-name"] == []


def test_parameters_set_from_outside_are_defined():
    assert findings_of("print(alpha)", overrides={"alpha": 0.5}) == []


@pytest.mark.parametrize("cells, expected", [
    (["x = 1", "print(x + y)"], ("error", "y", 2, 1)),
    (["total = 0", "for v in range(3):\n    total += v\n    print(totl)"], ("error", "totl", 2, 3)),
    (["print(later)", "later = 1"], ("error", "later", 1, 1)),
    (["tmp = 1\ndel tmp", "print(tmp)"], ("error", "tmp", 2, 1)),
    (["def f(v):\n    return v * factr", "factor = 2"], ("error", "factr", 1, 2)),
    (["class A:\n    k = 1\n    def m(self):\n        return k"], ("error", "k", 1, 4)),
    (["%%time\nimport math\nr = math.sqrt(rt)"], ("error", "rt", 1, 3)),
    (["import io\nwith io.StringIO(txt) as fh:\n    pass"], ("error", "txt", 1, 2)),
    (["xs = [1]", "print([x for x in xss])"], ("error", "xss", 2, 1)),
    (["@decorate\ndef g():\n    pass"], ("error", "decorate", 1, 1)),
    ([("limit = 3", ["skip"]), "print(limit)"], ("error", "limit", 2, 1)),
])
def test_certainly_undefined_is_an_error(cells, expected):
    assert findings_of(*cells) == [expected]


@pytest.mark.parametrize("cells, expected", [
    (["import random\nif random.random() > 0.5:\n    z = 1", "print(z)"], ("warning", "z", 2, 1)),
    (["import random\nz = 1\nif random.random() > 0.5:\n    del z", "print(z)"], ("warning", "z", 2, 1)),
    (["exec('w = 41')", "w += 1"], ("warning", "w", 2, 1)),
    (["globals()['v'] = 1", "print(v)"], ("warning", "v", 2, 1)),
    (["try:\n    value = int('x')\nexcept ValueError:\n    pass", "print(value)"], ("warning", "value", 2, 1)),
    (["from math import *", "print(not_in_math)"], ("warning", "not_in_math", 2, 1)),
    ([("print(oops)", ["raises-exception"])], ("warning", "oops", 1, 1)),
    (["%timeit t = 1", "print(t)"], ("warning", "t", 2, 1)),
    (["%pylab inline", "print(arange(3))"], ("warning", "arange", 2, 1)),
    (["def report():\n    print(results)", "x = 1\nreport()", "results = 1"], ("warning", "results", 2, 2)),
    (["def helper():\n    return results\ndef report():\n    return helper()", "report()", "results = 1"],
     ("warning", "results", 2, 1)),
])
def test_possibly_undefined_is_a_warning(cells, expected):
    assert findings_of(*cells) == [expected]


def test_every_finding_names_the_cell_as_jupyter_shows_it(tmp_path):
    path = tmp_path / "nb.ipynb"
    node = make_notebook("a = 1", ("# Results", "markdown"), "b = a\nprint(c)")
    node.cells[0].execution_count, node.cells[2].execution_count = 4, 7
    nbformat.write(node, str(path))
    [finding] = api.plan(path, "cells").findings
    assert finding.where == "step 'cell_3', cell 3 (In [7]), line 2"
    assert finding.to_json()["where"] == finding.where and finding.to_json()["execution_count"] == 7
    diagnostic = api.analyze(path, "cells")["diagnostics"][0]
    assert diagnostic["where"] == finding.where and diagnostic["severity"] == "error"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "kale_like", *args], capture_output=True, text=True, timeout=300)


def test_validate_exits_1_on_errors_and_0_on_warnings(tmp_path):
    bad, doubtful = tmp_path / "bad.ipynb", tmp_path / "doubtful.ipynb"
    make_notebook("xs = [1]", "print(sum(xss))", path=bad)
    make_notebook("exec('q = 1')", "print(q)", path=doubtful)
    result = _cli("validate", str(bad), "--split", "cells")
    assert result.returncode == 1
    assert "error: step 'cell_2', cell 2, line 1: undefined name 'xss'" in result.stdout
    result = _cli("validate", str(doubtful), "--split", "cells")
    assert result.returncode == 0 and "warning:" in result.stdout and "'q'" in result.stdout


def test_run_refuses_before_starting_and_force_runs_anyway(tmp_path):
    nb, out, work = tmp_path / "nb.ipynb", tmp_path / "out.ipynb", tmp_path / "work"
    make_notebook("xs = [1]", "print(sum(xss))", path=nb)
    result = _cli("run", str(nb), "--out", str(out), "--workdir", str(work))
    assert result.returncode == 2
    assert "step 'cell_2', cell 2, line 1: undefined name 'xss'" in result.stderr and "--force" in result.stderr
    assert not out.exists() and not (work / "runs").exists()
    with pytest.raises(UndefinedNameError, match="xss"):  # the API (and so the server) refuses too
        api.run(nb, out=str(out), workdir=str(work))
    forced = _cli("run", str(nb), "--out", str(out), "--workdir", str(work), "--force")
    assert forced.returncode == 1 and "NameError" in forced.stderr and out.exists()

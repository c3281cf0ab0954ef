"""What each step must receive, and from whom: the data-flow harness."""
from kale_like.flow import FILES, RNG

from .helpers import inputs_of, plan_of, upstream_of


def test_plain_read_comes_from_the_writer():
    assert inputs_of("x = 1", "y = 2", "print(x)")["cell_3"] == {"x": "cell_1"}


def test_inplace_method_counts_as_production():
    got = inputs_of("import pandas as pd\ndf = pd.DataFrame({'a': [1]})", "df.drop(columns=['a'], inplace=True)",
                    "print(df)")
    assert got["cell_3"] == {"df": "cell_2"}


def test_append_and_augmented_assignment():
    got = inputs_of("xs = []\nn = 0", "xs.append(1)", "n += 1", "print(xs, n)")
    assert got["cell_4"] == {"xs": "cell_2", "n": "cell_3"}


def test_pure_methods_do_not_mutate():
    got = inputs_of("import pandas as pd\ndf = pd.DataFrame({'a': [1]})", "df.head()", "print(df)")
    assert got["cell_3"] == {"df": "cell_1"}


def test_attribute_and_subscript_assignment():
    got = inputs_of("class C: pass\nobj = C()\nd = {}", "obj.a = 1", "d['k'] = 2", "print(obj.a, d)")
    assert got["cell_4"] == {"obj": "cell_2", "d": "cell_3"}


def test_aliases_travel_together():
    got = inputs_of("x = [1]\ny = x", "x.append(2)", "print(y, y is x)")
    assert got["cell_2"] == {"x": "cell_1", "y": "cell_1"}
    assert got["cell_3"] == {"x": "cell_2", "y": "cell_2"}


def test_numpy_view_is_an_alias():
    got = inputs_of("import numpy as np\na = np.arange(4)\nv = a[:2]", "v[0] = 9", "print(a)")
    assert got["cell_3"] == {"a": "cell_2", "v": "cell_2"}


def test_function_reading_a_later_global():
    got = inputs_of("def f():\n    return K * 2", "K = 3", "print(f())")
    assert got["cell_3"] == {"K": "cell_2"}


def test_function_mutating_a_global():
    got = inputs_of("items = []\ndef add(v):\n    items.append(v)", "add(1)", "print(items)")
    assert got["cell_3"] == {"items": "cell_2"}


def test_global_statement_rebinds():
    got = inputs_of("count = 0\ndef inc():\n    global count\n    count += 1", "inc()", "print(count)")
    assert got["cell_3"] == {"count": "cell_2"}


def test_function_mutating_its_argument():
    got = inputs_of("def push(xs):\n    xs.append(1)\nvals = []", "push(vals)", "print(vals)")
    assert got["cell_3"] == {"vals": "cell_2"}


def test_comprehension_variable_does_not_leak_but_loop_variable_does():
    got = inputs_of("i = 5\nsq = [i * i for i in range(3)]", "for j in range(2):\n    pass", "print(i, j)")
    assert got["cell_3"] == {"i": "cell_1", "j": "cell_2"}


def test_walrus_in_comprehension_binds_outside():
    got = inputs_of("vals = [(last := v) for v in range(3)]", "print(last)")
    assert got["cell_2"] == {"last": "cell_1"}


def test_except_target_is_unbound_after_handler():
    got = inputs_of("try:\n    1/0\nexcept ZeroDivisionError as e:\n    msg = str(e)", "print(msg)")
    assert got["cell_2"] == {"msg": "cell_1"}


def test_builtin_shadowed_by_user_name_travels():
    got = inputs_of("max = 10", "print(max)")
    assert got["cell_2"] == {"max": "cell_1"}


def test_del_stops_the_flow():
    got = inputs_of("x = 1", "del x", "print(x)")
    assert "x" not in got["cell_3"]


def test_definitions_are_replayed_not_shipped():
    plan = plan_of("import math\ndef f(v):\n    return math.sqrt(v)", "print(f(4))")
    step = plan.pipeline.step("cell_2")
    assert step.inputs == ()
    assert [s.code.split("\n")[0] for s in step.prelude] == ["import math", "def f(v):"]


def test_lambda_late_binding_reads_at_call():
    got = inputs_of("fs = [lambda: k for _ in range(2)]", "k = 7", "print([f() for f in fs])")
    assert got["cell_3"] == {"fs": "cell_1", "k": "cell_2"}


def test_dynamic_access_sees_everything_before():
    got = inputs_of("a = 1", "b = 2", "print(eval('a + b'))")
    assert got["cell_3"] == {"a": "cell_1", "b": "cell_2"}


def test_global_rng_orders_steps_and_carries_state():
    up = upstream_of("import random\nrandom.seed(0)", "a = random.random()", "b = random.random()")
    assert "cell_2" in up["cell_3"]
    assert RNG in inputs_of("import random\nrandom.seed(0)", "a = random.random()", "b = 1")["cell_2"]


def test_files_keep_their_order():
    got = inputs_of("open('f.txt', 'w').write('hi')", "x = 1", "print(open('f.txt').read())")
    assert got["cell_3"] == {FILES: "cell_1"}
    assert "cell_2" not in upstream_of("open('f.txt', 'w').write('hi')", "x = 1", "print(open('f.txt').read())")["cell_3"]


def test_independent_branches_are_parallel():
    up = upstream_of("a = 1", "b = a + 1", "c = a + 2")
    assert up["cell_3"] == {"cell_1"}


def test_magics_are_transformed_and_analysed():
    got = inputs_of("x = 2", "%time y = x * 2", "print(y)")
    assert got["cell_2"] == {"x": "cell_1"} and got["cell_3"] == {"y": "cell_2"}


def test_config_statements_are_replayed():
    plan = plan_of("import pandas as pd\npd.set_option('display.max_rows', 5)", "x = 1")
    assert any("set_option" in s.code for s in plan.pipeline.step("cell_2").prelude)


def test_star_import_names_are_known():
    got = inputs_of("from math import *", "pi = 3", "print(pi)")
    assert got["cell_3"] == {"pi": "cell_2"}


def test_notebook_class_instances_get_method_effects():
    got = inputs_of("log = []\nclass A:\n    def go(self):\n        log.append(1)\na = A()", "a.go()", "print(log)")
    assert got["cell_3"]["log"] == "cell_2"


def test_generator_auto_split_merges_steps():
    plan = plan_of("g = (i for i in range(3))", "print(list(g))", split="cells")
    assert len(plan.pipeline.steps) == 1


def test_local_augmented_assignment_is_not_a_global_read():
    plan = plan_of("def burn(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total",
                   "b = burn(3)")
    assert not plan.findings
    assert plan.pipeline.step("cell_2").inputs == ()


def test_output_history_threads_through_result_steps():
    got = inputs_of("41", "x = 1", "_ + 1")
    assert got["cell_3"].get("__history__") == "cell_1"


def test_dynamic_steps_pass_their_whole_namespace_on():
    got = inputs_of("globals()['z'] = 5", "exec('w = z * 2')")
    assert got["cell_2"].get("__everything__") == "cell_1"


def test_module_attribute_assignment_is_replayed():
    plan = plan_of("import json", "json.SPECIAL = 8", "print(json.SPECIAL)")
    assert any("json.SPECIAL = 8" in s.code for s in plan.pipeline.step("cell_3").prelude)

"""Parameters as typed pipeline inputs, run arguments for them, and what a step injects."""
from __future__ import annotations

import pytest

from kale_like import api
from kale_like.errors import ParameterError
from kale_like.kfp.inputs import KEEP, plan_parameters, run_arguments
from kale_like.runtime.kfp_entry import _injector, parse_literal, restore_numbers

from kfp_harness import write_notebook


def _inputs(tmp_path, source, overrides=None):
    path = write_notebook(tmp_path, (source, ["parameters"]), "print(1)")
    plan = plan_parameters(api.plan(path), overrides)
    return plan, {i.name: (i.mode, i.annotation, i.default) for i in plan.inputs}


def test_literal_parameters_are_typed_inputs_with_defaults(tmp_path):
    plan, found = _inputs(tmp_path, "n = 3\nrate: float = 0.5\non = False\nname = 'a\"b'\nxs = [1, 2]\nd = {'k': 1}")
    assert found == {"n": ("value", "int", 3), "rate": ("value", "float", 0.5), "on": ("value", "bool", False),
                     "name": ("value", "str", 'a"b'), "xs": ("value", "list", [1, 2]), "d": ("value", "dict", {"k": 1})}
    assert not plan.runs  # nothing but literal scalars read directly... and the containers nobody reads


def test_other_literals_travel_as_literal_text_and_computed_values_keep_the_notebook(tmp_path):
    plan, found = _inputs(tmp_path, "none = None\npair = (1, 2)\nbig = 2 ** 70\nxs = [1]\nxs.append(2)\nn = len(xs)")
    assert found["none"] == ("literal", "str", "None")
    assert found["pair"] == ("literal", "str", "(1, 2)")
    assert found["big"] == ("keep", "str", KEEP)        # an expression: the cell computes it
    assert found["xs"] == ("keep", "str", KEEP)         # mutated after the literal assignment
    assert found["n"] == ("keep", "str", KEEP)
    assert plan.runs


def test_run_arguments_convert_check_and_refuse(tmp_path):
    plan, _ = _inputs(tmp_path, "n = 3\nrate = 0.5\nname = 'x'\nnone = None\nxs = [1]")
    assert run_arguments(plan, {"n": 4.0, "rate": 2, "name": "y", "none": "text", "xs": (1, 2)}) == {
        "n": 4, "rate": 2.0, "name": "y", "none": "'text'", "xs": [1, 2]}
    with pytest.raises(ParameterError, match="takes a str"):
        run_arguments(plan, {"name": 5})
    with pytest.raises(ParameterError, match="not a parameter"):
        run_arguments(plan, {"other": 1})
    with pytest.raises(ParameterError, match="128 KiB"):
        run_arguments(plan, {"name": "x" * 150_000})


def test_numbers_and_key_order_come_back_as_the_notebook_had_them():
    assert restore_numbers({"w": 1.0, "k": 2.0}, {"k": 1, "w": 0.5}) == {"k": 2, "w": 1.0}
    assert list(restore_numbers({"w": 1.0, "k": 2.0}, {"k": 1, "w": 0.5})) == ["k", "w"]
    assert restore_numbers([1.0, 2.0, 3.0], [0]) == [1, 2, 3]
    assert restore_numbers([1.0, 2.5], None) == [1, 2.5]


def test_injection_only_where_the_input_differs_from_the_cell():
    inject = _injector({"n": 3, "xs": [1.0, 2.0], "t": "(1, 2)", "k": KEEP, "s": "'text'"},
                       {"t": "literal", "k": "keep", "s": "keep"})
    assert inject({"n": 3, "xs": [1, 2], "t": (1, 2), "k": 99, "s": "old"}) == {"s": "text"}
    assert inject({"n": 2, "xs": [1], "t": (0,), "k": 99, "s": "text"}) == {"n": 3, "xs": [1, 2], "t": (1, 2)}
    assert parse_literal("__import__('os').system('x')") == "__import__('os').system('x')"


def test_compiling_with_parameters_sets_the_ir_defaults(tmp_path):
    from kfp_harness import compile_ir

    path = write_notebook(tmp_path, ("n = 3\nname = 'a'", ["parameters"]), "print(n, name)")
    _, ir, _ = compile_ir(path, parameters={"n": 5, "extra": "e"})
    defaults = {k: v.get("defaultValue") for k, v in ir["root"]["inputDefinitions"]["parameters"].items()}
    assert defaults == {"n": 5, "name": "a", "extra": "e"}

import pytest

from kale_like.errors import AnalysisError, PipelineError, TagError
from kale_like.pipeline import Pipeline, Step, StepCell

from .helpers import plan_of


def _step(name, upstream=(), cell=0):
    return Step(name=name, cells=(StepCell(cell, "x", "x"),), upstream=tuple(upstream))


def test_cycle_names_the_steps_and_cells():
    with pytest.raises(PipelineError) as err:
        Pipeline("p", (_step("a", ["b"], 0), _step("b", ["a"], 1)))
    assert "cycle" in str(err.value) and "cells 1" in str(err.value) and "cells 2" in str(err.value)


def test_unknown_upstream():
    with pytest.raises(PipelineError, match="unknown step 'zzz'"):
        Pipeline("p", (_step("a", ["zzz"]),))


def test_duplicate_names():
    with pytest.raises(PipelineError, match="two steps are named 'a'"):
        Pipeline("p", (_step("a", cell=0), _step("a", cell=3)))


def test_order_is_notebook_order_when_free():
    pipeline = Pipeline("p", (_step("c", cell=0), _step("a", cell=1), _step("b", ["c"], 2)))
    assert pipeline.order == ("c", "a", "b")


def test_prev_to_missing_step_is_a_tag_error():
    with pytest.raises(TagError, match="prev:nope"):
        plan_of(("x = 1", ["step:a", "prev:nope"]), split="tags")


def test_tag_cycle_through_prev():
    with pytest.raises(PipelineError, match="cycle"):
        plan_of(("x = 1", ["step:a", "prev:b"]), ("y = x", ["step:b"]), split="tags")


def test_untravelable_value_with_explicit_tags():
    with pytest.raises(AnalysisError) as err:
        plan_of(("g = (i for i in range(3))", ["step:a"]), ("print(list(g))", ["step:b"]), split="tags")
    text = str(err.value)
    assert "'g'" in text and "generator" in text and "step 'b'" in text


def test_open_file_cannot_travel():
    with pytest.raises(AnalysisError, match="open file"):
        plan_of(("fh = open('x.txt', 'w')", ["step:a"]), ("fh.write('x')", ["step:b"]), split="tags")


def test_settings_from_tags_and_defaults():
    plan = plan_of(("x = 1", ["step:train", "limit:memory:2Gi", "image:python:3.11", "retries:2"]), split="tags")
    settings = plan.pipeline.step("train").settings
    assert settings.limits == (("memory", "2Gi"),) and settings.image == "python:3.11" and settings.retries == 2


def test_splits():
    cells = ["a = 1", ("# Part two", "markdown"), "b = a", "c = b"]
    assert [s.name for s in plan_of(*cells, split="headings").pipeline.steps] == ["cell_1", "part_two"]
    assert len(plan_of(*cells, split="cells").pipeline.steps) == 3
    tagged = plan_of(("a = 1", ["step:first"]), "b = a", ("c = b", ["step:second"]), split="tags")
    assert [s.cell_numbers for s in tagged.pipeline.steps] == [(1, 2), (3,)]


def test_skip_and_shared_cells():
    plan = plan_of(("import os", ["imports"]), ("print('never')", ["skip"]), "x = os.sep", split="cells")
    assert [s.name for s in plan.pipeline.steps] == ["cell_3"]
    assert plan.pipeline.step("cell_3").prelude_cells == (0,)


def test_parameters_cell_becomes_a_step_with_typed_parameters():
    plan = plan_of(("alpha = 0.5\nname = 'x'\nn = 3", ["parameters"]), "print(alpha, n)")
    params = {p.name: (p.default, p.type_name) for p in plan.pipeline.parameters}
    assert params == {"alpha": (0.5, "float"), "name": ("x", "str"), "n": (3, "int")}
    assert plan.pipeline.step("cell_2").inputs[0].producer == "parameters"


@pytest.mark.parametrize("cells, strategy, steps", [
    # only a title heading: one section, so auto splits per cell
    ([("# Title", "markdown"), "a = 1", "b = a", "c = b"], "cells", ["cell_2", "cell_3", "cell_4"]),
    # headings that cut the code in two: auto follows them
    ([("# Load", "markdown"), "a = 1", ("## Use", "markdown"), "b = a", "c = b"], "headings", ["load", "use"]),
    # code before the first heading counts as a section of its own
    (["a = 1", ("# Rest", "markdown"), "b = a"], "headings", ["cell_1", "rest"]),
    # a heading over nothing but imports and skipped cells gives no second section
    ([("# Setup", "markdown"), ("import os", ["imports"]), ("# Work", "markdown"), "a = os.sep", "b = a"],
     "cells", ["cell_4", "cell_5"]),
])
def test_auto_split_uses_headings_only_when_they_give_two_sections(cells, strategy, steps):
    plan = plan_of(*cells, split="auto")
    assert plan.strategy == strategy
    assert [s.name for s in plan.pipeline.steps] == steps

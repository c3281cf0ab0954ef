"""What Kale accepts, kale_like accepts: the empty ``block:`` tag Kale's panel writes, and
MiniKF-only metadata (volume clones, Rok snapshots) taken with a warning instead of a refusal."""
from __future__ import annotations

import pytest

from kale_like.errors import TagError
from kale_like.notebook import notebook_from_node
from kale_like.notebook.tags import parse_tags
from kale_like.planning import build_plan

from .helpers import make_notebook

CLONE = {"type": "clone", "name": "workspace-nb-1", "mount_point": "/home/jovyan", "size": 5,
         "size_type": "Gi", "snapshot": False, "annotations": []}
PVC = {"type": "pvc", "name": "data", "mount_point": "/data"}


def kale_plan(*cells, kubeflow_notebook: dict):
    node = make_notebook(*cells)
    node.metadata["kubeflow_notebook"] = kubeflow_notebook
    return build_plan(notebook_from_node(node), "auto")


@pytest.mark.parametrize("tags", [["block:"], ["block:", "skip-me"], [" block: "], ["block:", "prev:a"]])
def test_empty_block_is_no_step_tag(tags):
    assert parse_tags(tags, 3).step is None


@pytest.mark.parametrize("tag", ["step:", "block: x", "block:-x"])
def test_other_empty_or_bad_step_names_still_fail(tag):
    with pytest.raises(TagError, match="cell 3"):
        parse_tags([tag], 3)


def test_empty_block_cell_continues_the_step_above():
    plan = kale_plan(("a = 1", ["block:first"]), ("b = a + 1", ["block:"]), ("c = b * 2", ["block:second"]),
                     kubeflow_notebook={})
    assert [(s.name, [c.cell_index for c in s.cells]) for s in plan.pipeline.steps] == [("first", [0, 1]), ("second", [2])]


def test_clone_volumes_are_left_out_with_a_warning_naming_them():
    plan = kale_plan(("x = 1", ["block:one"]), kubeflow_notebook={"volumes": [CLONE, PVC]})
    assert plan.pipeline.volumes == (PVC,)
    warnings = [f for f in plan.findings if f.code == "minikf-only"]
    assert len(warnings) == 1 and warnings[0].severity == "warning"
    assert "volumes[0] ('workspace-nb-1' at /home/jovyan)" in warnings[0].message
    assert "left out" in warnings[0].message


@pytest.mark.parametrize("flag", ["snapshot_volumes", "autosnapshot", "katib_run"])
def test_snapshot_flags_are_named_and_ignored(flag):
    on = kale_plan(("x = 1", ["block:one"]), kubeflow_notebook={flag: True})
    assert [f.message for f in on.findings if f.code == "minikf-only"] == [
        next(f.message for f in on.findings if flag in f.message)]
    assert "ignored" in on.findings[-1].message
    off = kale_plan(("x = 1", ["block:one"]), kubeflow_notebook={flag: False})
    assert not [f for f in off.findings if f.code == "minikf-only"]


def test_unknown_volume_types_are_still_refused_at_compile():
    pytest.importorskip("kfp")
    from kale_like.errors import PipelineError
    from kale_like.kfp.tasks import volume_claim

    with pytest.raises(PipelineError, match="volume type 'new_pvc'"):
        volume_claim({"type": "new_pvc", "name": "scratch", "mount_point": "/scratch"})


def test_kale_steps_defaults_apply_to_every_step_below_ours():
    node = make_notebook(("a = 1", ["block:one"]), ("b = a", ["block:two", "label:team:cell"]))
    node.metadata["kubeflow_notebook"] = {"steps_defaults": ["label:access-ml-pipeline:true", "label:team:kale",
                                                             "limit:memory:1Gi", "retries:1"]}
    node.metadata["kale_like"] = {"step_defaults": {"limits": {"cpu": "2"}, "retries": 3}}
    steps = {s.name: s.settings for s in build_plan(notebook_from_node(node), "auto").pipeline.steps}
    assert dict(steps["one"].labels) == {"access-ml-pipeline": "true", "team": "kale"}
    assert dict(steps["two"].labels) == {"access-ml-pipeline": "true", "team": "cell"}  # the cell's tag wins
    assert dict(steps["one"].limits) == {"memory": "1Gi", "cpu": "2"} and steps["one"].retries == 3


@pytest.mark.parametrize("value, message", [
    ("label:x:y", "must be a list of tags, not a string"),
    (["limit:memory:lots"], "steps_defaults: invalid tag 'limit:memory:lots'"),
    (["block:train"], "holds a tag that is not a step setting"),
    (["pipeline-parameters"], "holds a tag that is not a step setting"),
])
def test_bad_kale_steps_defaults_name_the_setting(value, message):
    from kale_like.errors import NotebookError

    with pytest.raises(NotebookError, match="kubeflow_notebook.steps_defaults") as caught:
        kale_plan(("x = 1", ["block:one"]), kubeflow_notebook={"steps_defaults": value})
    assert message in str(caught.value)

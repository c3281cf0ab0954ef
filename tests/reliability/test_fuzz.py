"""Random notebooks through read -> analyze -> plan -> validate -> graph (and compile for
some): no exception but the KaleLikeError family may escape (issue 9).

The small profile runs in CI (deterministic, a few seconds); ``KALE_LIKE_FUZZ=large``
runs the large one (``KALE_LIKE_FUZZ_EXAMPLES`` sets its size)."""
from __future__ import annotations

import json
import os

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import (  # noqa: E402
    HealthCheck,
    given,
    settings,
    strategies as st,  # noqa: E402
)

from kale_like import api  # noqa: E402
from kale_like.cli.graph import render  # noqa: E402
from kale_like.errors import KaleLikeError  # noqa: E402
from kale_like.notebook import load_notebook, notebook_from_node  # noqa: E402
from kale_like.planning import build_plan  # noqa: E402

from .fuzz_notebooks import notebook  # noqa: E402

LARGE = os.environ.get("KALE_LIKE_FUZZ") == "large"
EXAMPLES = int(os.environ.get("KALE_LIKE_FUZZ_EXAMPLES", 10000)) if LARGE else 120
PROFILE = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LARGE, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.filter_too_much])


def _through_the_pipeline(found) -> None:
    description = api.describe(found)
    json.dumps(description)
    for finding in found.findings:
        finding.render()
    for fmt in ("text", "dot", "mermaid", "json"):
        render(found, fmt)


@PROFILE
@given(node=notebook(), split=st.sampled_from(["auto", "tags", "cells", "headings"]))
def test_random_notebooks_raise_only_our_errors(node, split):
    try:
        found = build_plan(notebook_from_node(node, "fuzz.ipynb"), split)
    except KaleLikeError:
        return
    _through_the_pipeline(found)


@PROFILE
@given(node=notebook())
def test_random_notebook_files_raise_only_our_errors(node, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "nb.ipynb"
    path.write_text(json.dumps(node), encoding="utf-8")
    try:
        result = api.analyze(path)
    except KaleLikeError:
        return
    json.dumps(result)
    try:
        load_notebook(path)
    except KaleLikeError:
        return


@pytest.mark.kfp
@settings(max_examples=12 if not LARGE else max(12, EXAMPLES // 50), deadline=None, derandomize=not LARGE,
          database=None, suppress_health_check=list(HealthCheck))
@given(node=notebook())
def test_random_notebooks_compile_or_raise_our_errors(node, tmp_path_factory):
    pytest.importorskip("kfp")
    folder = tmp_path_factory.mktemp("fuzzc")
    try:
        found = build_plan(notebook_from_node(node, str(folder / "nb.ipynb")), "auto")
        from kale_like.kfp.compile import compile_plan

        compile_plan(found, str(folder / "nb.yaml"))
    except KaleLikeError:
        return
    import yaml

    with open(folder / "nb.yaml", encoding="utf-8") as handle:
        documents = list(yaml.safe_load_all(handle))
    assert set(documents[0]) == {"components", "deploymentSpec", "pipelineInfo", "root", "schemaVersion",
                                 "sdkVersion"}

import pytest

from kale_like.errors import TagError
from kale_like.notebook.tags import parse_tags


def test_step_and_block_are_the_same():
    assert parse_tags(["step:train"], 1).step == "train"
    assert parse_tags(["block:train"], 1).step == "train"


def test_roles_and_settings():
    tags = parse_tags(["step:train", "prev:load", "limit:nvidia.com/gpu:1", "limit:memory:2Gi",
                       "request:cpu:500m", "image:python:3.11", "annotation:team:ml", "label:tier:gold",
                       "cache:disabled", "secret:s3-creds:key:AWS_KEY", "env:MODE:fast", "retries:3",
                       "timeout:600", "hide-input"], 4)
    assert tags.prev == ("load",)
    assert ("nvidia.com/gpu", "1") in tags.limits and ("memory", "2Gi") in tags.limits
    assert tags.requests == (("cpu", "500m"),)
    assert tags.image == "python:3.11"
    assert tags.cache is False and tags.retries == 3 and tags.timeout == 600
    assert tags.secrets[0].env == "AWS_KEY"
    assert tags.ignored == ("hide-input",)


@pytest.mark.parametrize("tag", ["papermill:parameters", "parameters", "pipeline-parameters"])
def test_parameter_spellings(tag):
    if tag.startswith("papermill"):
        assert parse_tags([tag], 1).role is None
    else:
        assert parse_tags([tag], 1).role == "parameters"


@pytest.mark.parametrize("tag,fragment", [
    ("step:", "step name"), ("step:1abc", "step name"), ("step:a b", "step name"),
    ("limit:memory:lots", "quantity"), ("limit:memory", "KEY:VALUE"), ("cache:maybe", "enabled"),
    ("secret:only-two:parts", "SECRET_NAME"), ("retries:x", "whole number"),
    ("image:bad image", "image"), ("step:a\";import os", "step name"),
])
def test_bad_tags_name_the_cell(tag, fragment):
    with pytest.raises(TagError) as err:
        parse_tags([tag], 7)
    assert "cell 7" in str(err.value) and fragment in str(err.value)


def test_conflicting_roles_rejected():
    with pytest.raises(TagError, match="cannot be on the same cell"):
        parse_tags(["imports", "skip"], 2)


def test_one_cell_one_step():
    with pytest.raises(TagError, match="already in step"):
        parse_tags(["step:a", "step:b"], 3)

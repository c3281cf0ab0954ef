"""The tag grammar is read in two places: ``kale_like/notebook/tags.py`` (the CLI, the server)
and ``labextension/src/tags.ts`` (the panel's tag editor). Python's reading of a set of
cases is kept in ``labextension/src/__tests__/tag_cases.json``; this test fails when the
file and Python disagree, and ``tag_parity.spec.ts`` (run by ``jlpm test``) fails when
the panel reads a case differently. Regenerate the file with
``KALE_LIKE_WRITE_TAG_CASES=1 python -m pytest tests/core/test_tag_parity.py``."""
from __future__ import annotations

import json
import os
from pathlib import Path

from kale_like.errors import TagError
from kale_like.kfp.tasks import ACCELERATORS
from kale_like.notebook.tags import parse_tags

CASES_FILE = Path(__file__).resolve().parents[2] / "labextension" / "src" / "__tests__" / "tag_cases.json"
GPU_KEYS_TS = Path(__file__).resolve().parents[2] / "labextension" / "src" / "tags.ts"

CASES = [
    ["step:train"], ["block:train"], ["step:train", "prev:load", "prev:clean"], ["prev:load"],
    ["imports"], ["functions"], ["pipeline-parameters"], ["parameters"], ["pipeline-metrics"], ["skip"],
    ["step:a-b_c9"], ["step:clean data"], ["step:9lives"], ["prev:bad name"], ["block:"],
    ["image:python:3.11"], ["image:registry.example/team/img@sha256:abc"], ["cache:enabled"], ["cache:disabled"],
    ["retries:3"], ["retries:0"], ["limit:cpu:500m"], ["limit:memory:2Gi"], ["limit:nvidia.com/gpu:1"],
    ["limit:amd.com/gpu:2"], ["hide-input"], ["env:A:1"], ["step:train", "limit:memory:4Gi", "image:python:3.12"],
    ["  step:spaced  "], ["", "step:x"],
]


def _python_reading(tags: list[str]) -> dict:
    """Python's reading in the panel's terms (the fields both sides know)."""
    try:
        parsed = parse_tags(tags, 1)
    except TagError:
        return {"valid": False}
    limits = dict(parsed.limits)
    gpu_key = next((k for k in limits if k in ACCELERATORS), None)
    settings = {"image": parsed.image, "cpu": limits.get("cpu"), "memory": limits.get("memory"),
                "gpu": limits.get(gpu_key) if gpu_key else None, "gpuKey": gpu_key,
                "cache": None if parsed.cache is None else ("enabled" if parsed.cache else "disabled"),
                "retries": parsed.retries}
    return {"valid": True, "step": parsed.step, "role": parsed.role or ("step" if parsed.step else "none"),
            "prev": list(parsed.prev), "settings": {k: v for k, v in settings.items() if v is not None}}


def test_the_panels_cases_are_what_python_reads():
    expected = [{"tags": tags, "python": _python_reading(tags)} for tags in CASES]
    if os.environ.get("KALE_LIKE_WRITE_TAG_CASES"):
        CASES_FILE.write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    assert json.loads(CASES_FILE.read_text(encoding="utf-8")) == expected, \
        "tag_cases.json is stale: regenerate it (see this module's docstring)"


def test_gpu_keys_are_the_same_on_both_sides():
    import re

    match = re.search(r"const GPU_KEYS = \[([^\]]*)\]", GPU_KEYS_TS.read_text(encoding="utf-8"))
    assert match and set(re.findall(r"'([^']+)'", match.group(1))) == set(ACCELERATORS)


def test_split_choices_are_the_same_on_both_sides():
    import re

    from kale_like.splitting import SPLITS

    document = GPU_KEYS_TS.with_name("document.ts").read_text(encoding="utf-8")
    match = re.search(r"export const SPLITS[^=]*=\s*\[([^\]]*)\]", document)
    assert match and set(re.findall(r"'([^']+)'", match.group(1))) == set(SPLITS)

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
# Every prefix and word of the grammar: valid, invalid, and the edges (whitespace, case, an
# empty value, the tag repeated); test_every_tag_of_the_grammar_has_cases keeps this complete.
CASES += [
    ["step:_x"], ["step:" + "a" * 63], ["step:" + "a" * 64], ["step:"], [" step:x\t"], ["STEP:x"], ["Step:x"],
    ["step: a"], ["step :a"], ["step:a", "step:a"], ["step:a", "step:b"], ["step:a", "block:a"], ["step:a", "block:b"],
    ["block:a.b"], ["BLOCK:a"], [" block: "], ["block:  x"], ["block:a", "block:b"],
    ["prev:"], ["PREV:a"], ["prev:a", "prev:a"], ["prev:a", "prev:b"], ["prev:a b"], ["prev:1a"],
    ["limit:cpu"], ["limit:cpu:"], ["limit::1"], ["limit:"], ["limit:memory:lots"], ["limit:memory:2gi"],
    ["limit:CPU:1"], ["limit: cpu:1"], ["limit:cpu:1", "limit:cpu:2"], ["limit:a:b:1"], ["LIMIT:cpu:1"],
    ["limit:cpu:1.5"], ["limit:cpu:.5"], ["limit:_:"], ["limit:-bad:1"],
    ["request:cpu:500m"], ["request:cpu"], ["request:"], ["request:cpu:x"], ["request:cpu:1", "request:cpu:1"],
    ["Request:cpu:1"], ["request:x/y/z:1"],
    ["image:"], ["image:bad image"], ["image:-x"], ["IMAGE:x"], ["image:a", "image:b"], [" image:x "],
    ["annotation:team:ml"], ["annotation:team:"], ["annotation:team"], ["annotation:"], ["annotation:team:a:b"],
    ["annotation:-bad:1"], ["annotation:a:1", "annotation:a:2"], ["Annotation:a:1"],
    ["label:tier:gold"], ["label:tier:"], ["label:tier:bad value"], ["label:tier"], ["label:"], ["label:tier:-x"],
    ["label:a:1", "label:a:1"], ["LABEL:a:1"],
    ["cache:"], ["cache:Enabled"], ["cache:maybe"], ["cache:enabled", "cache:disabled"], ["CACHE:enabled"],
    [" cache:enabled "],
    ["secret:s3-creds:key:AWS_KEY"], ["secret:S3:key:A"], ["secret:a:b"], ["secret:a:b:c:d"], ["secret:"],
    ["secret:a::B"], ["secret:a:b:1X"], ["secret:a:b:C", "secret:a:b:C"], ["Secret:a:b:C"],
    ["env:A:"], ["env:A"], ["env:1A:x"], ["env:"], ["env:A:x:y"], ["env:A:1", "env:A:2"], ["ENV:A:1"],
    ["retries:"], ["retries:-1"], ["retries:x"], ["retries:1.5"], ["retries:1", "retries:2"], ["retries:007"],
    ["Retries:1"], ["retries: 1"],
    ["timeout:600"], ["timeout:0"], ["timeout:"], ["timeout:x"], ["timeout:00"], ["timeout:010"],
    ["timeout:1", "timeout:2"], ["TIMEOUT:1"],
    ["imports", "skip"], ["parameters", "pipeline-parameters"], ["skip", "skip"], ["IMPORTS"], ["Skip"],
    [" imports "], ["functions", "imports"], ["pipeline-metrics", "parameters"], ["pipeline-metrics", "pipeline-metrics"],
    ["raises-exception"], ["raises-exception", "raises-exception"], ["Raises-Exception"], ["functions:"],
    ["Functions"], ["PIPELINE-PARAMETERS"], ["Parameters"], ["Pipeline-Metrics"],
    ["papermill:parameters"], ["unknown:x"], [":x"], [":"], ["skip", "step:a", "imports"],
    # a role word and a step tag on one cell: the role wins, in either order (the panel once let step win)
    ["imports", "step:a"], ["step:a", "imports"], ["skip", "step:a"], ["step:a", "functions", "prev:b"],
    ["pipeline-parameters", "block:p"], ["step:m", "pipeline-metrics"], ["block:a", "skip", "limit:cpu:1"],
]


def _python_reading(tags: list[str]) -> dict:
    """Python's reading in the panel's terms (the fields both sides know)."""
    try:
        parsed = parse_tags(tags, 1)
    except TagError as err:
        return {"valid": False, "error": err.message}
    limits = dict(parsed.limits)
    gpu_key = next((k for k in limits if k in ACCELERATORS), None)
    settings = {"image": parsed.image, "cpu": limits.get("cpu"), "memory": limits.get("memory"),
                "gpu": limits.get(gpu_key) if gpu_key else None, "gpuKey": gpu_key,
                "cache": None if parsed.cache is None else ("enabled" if parsed.cache else "disabled"),
                "retries": parsed.retries}
    return {"valid": True, "step": parsed.step, "role": parsed.role or ("step" if parsed.step else "none"),
            # the panel keeps a dependency once; the steps depended on are the same
            "prev": list(dict.fromkeys(parsed.prev)), "settings": {k: v for k, v in settings.items() if v is not None}}


def test_the_panels_cases_are_what_python_reads():
    expected = [{"tags": tags, "python": _python_reading(tags)} for tags in CASES]
    if os.environ.get("KALE_LIKE_WRITE_TAG_CASES"):
        CASES_FILE.write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    assert json.loads(CASES_FILE.read_text(encoding="utf-8")) == expected, \
        "tag_cases.json is stale: regenerate it (see this module's docstring)"


def test_gpu_keys_come_from_the_grammar_on_both_sides():
    """The GPU keys live in tag_grammar.json only: the KFP task settings and the panel read them there."""
    import json
    import re

    from kale_like.notebook.tag_grammar import GRAMMAR_FILE

    grammar = json.loads((Path(__file__).resolve().parents[2] / "kale_like" / "notebook" / GRAMMAR_FILE)
                         .read_text(encoding="utf-8"))
    assert ACCELERATORS == tuple(grammar["accelerators"])
    sources = {p.name: p.read_text(encoding="utf-8") for p in GPU_KEYS_TS.parent.glob("*.ts*")}
    spelled = {name for name, text in sources.items() for key in ACCELERATORS if f"'{key}'" in text}
    assert not spelled, f"GPU keys spelled out in {sorted(spelled)}: take GPU_KEYS from taggrammar.ts"
    assert re.search(r"GPU_KEYS\b[^=\n]*=\s*RAW\.accelerators", sources["taggrammar.ts"])


def test_split_choices_are_the_same_on_both_sides():
    import re

    from kale_like.splitting import SPLITS

    document = GPU_KEYS_TS.with_name("document.ts").read_text(encoding="utf-8")
    match = re.search(r"export const SPLITS[^=]*=\s*\[([^\]]*)\]", document)
    assert match and set(re.findall(r"'([^']+)'", match.group(1))) == set(SPLITS)


def test_every_tag_of_the_grammar_has_cases():
    """Each prefix: valid, invalid, empty value, repeated, another case; each word: valid and another case."""
    from kale_like.notebook.tag_grammar import GRAMMAR

    readings = [(tags, _python_reading(tags)["valid"]) for tags in CASES]
    for prefix in GRAMMAR.prefixes:
        own = [(tags, valid) for tags, valid in readings if tags and all(t.strip().startswith(prefix + ":") for t in tags)]
        assert any(valid for _, valid in own) and any(not valid for _, valid in own), prefix
        assert [f"{prefix}:"] in CASES, f"{prefix}: with an empty value has no case"
        assert any(len(tags) == 2 for tags, _ in own), f"{prefix}: repeated has no case"
        assert any(t.strip().split(":")[0] in (prefix.upper(), prefix.capitalize()) for tags in CASES for t in tags), prefix
    for word in GRAMMAR.words:
        assert [word] in CASES and any(t.strip() in (word.upper(), word.capitalize(), word.title()) for c in CASES for t in c), word

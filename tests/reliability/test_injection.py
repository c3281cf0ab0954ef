"""No user text becomes YAML structure or code (issue 9, items 2 and 3).

Every hostile value is compiled by the real kfp compiler, the YAML is loaded back with
``yaml.safe_load_all``, and the documents must hold exactly the expected keys with
exactly the given values."""
from __future__ import annotations

import ast
import json

import pytest
import yaml

from kale_like.errors import KaleLikeError, ParameterError
from kale_like.parameters import check_name

from .input_harness import kale_like, write_notebook

pytestmark = pytest.mark.kfp

HOSTILE = [
    "x\ndefaultPipelineRoot: gs://elsewhere\n#",
    "a\rdefaultPipelineRoot: r", "a\x85b: c", "a\u2028b: c", "a\u2029b: c", "a\r\nb: c",
    "nul\x00here", "tab\there", "esc\x1b[31mred", "bell\x07", "\ufeffbom",
    "---\nkey: value", "...\n--- !!python/object/apply:os.system ['id']", "# comment: x",
    "'single' \"double\" `back`", "{flow: map}", "[flow, seq]", "&anchor *alias", "! tag",
    "trailing space ", "  leading", "\\", "\\n literal", "ünïcødé ✓", "emoji 🙂", "%TAG ! x",
]
TOP_LEVEL = {"components", "deploymentSpec", "pipelineInfo", "root", "schemaVersion", "sdkVersion"}


def _compile(tmp_path, *cells, metadata=None, args=()):
    pytest.importorskip("kfp")
    path = write_notebook(tmp_path / "nb.ipynb", *cells, metadata=metadata)
    out = tmp_path / "nb.yaml"
    result = kale_like("compile", str(path), "-o", str(out), "--dsl", str(tmp_path / "nb_pipeline.py"), *args)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    documents = list(yaml.safe_load_all(text))
    assert set(documents[0]) == TOP_LEVEL
    assert all(set(doc) == {"platforms"} for doc in documents[1:])
    header = text[:text.index("components:")]
    assert all(line.startswith("#") for line in header.splitlines()), header
    return documents, (tmp_path / "nb_pipeline.py").read_text(encoding="utf-8")


def _defaults(document) -> dict:
    return {name: body.get("defaultValue")
            for name, body in document["root"]["inputDefinitions"]["parameters"].items()}


def test_notebook_defaults_of_every_type_stay_data(tmp_path):
    names = [f"s{i}" for i in range(len(HOSTILE))]
    source = "\n".join([*(f"{n} = {v!r}" for n, v in zip(names, HOSTILE)),
                        f"items = {HOSTILE!r}", f"table = {dict(zip(HOSTILE, HOSTILE))!r}",
                        f"pair = {tuple(HOSTILE[:3])!r}", f"raw = {HOSTILE[0].encode()!r}",
                        "n = 1", "f = 0.5", "b = True", "nothing = None"])
    uses = "print(" + ", ".join([*names, "items", "table", "pair", "raw", "n", "f", "b", "nothing"]) + ")"
    documents, module = _compile(tmp_path, (source, ["parameters"]), (uses, ["step:use"]))
    defaults = _defaults(documents[0])
    assert {n: defaults[n] for n in names} == dict(zip(names, HOSTILE))
    assert defaults["items"] == HOSTILE
    assert defaults["table"] == dict(zip(HOSTILE, HOSTILE))
    assert ast.literal_eval(defaults["pair"]) == tuple(HOSTILE[:3])
    assert ast.literal_eval(defaults["raw"]) == HOSTILE[0].encode()
    assert (defaults["n"], defaults["f"], defaults["b"]) == (1, 0.5, True)
    compile(module, "nb_pipeline.py", "exec")


@pytest.mark.parametrize("value", [HOSTILE[0], HOSTILE[1], HOSTILE[3], HOSTILE[11], HOSTILE[12]])
def test_command_line_values_stay_data(tmp_path, value):
    documents, module = _compile(tmp_path, ("s = 'plain'\nitems = ['a']\ntable = {'k': 'v'}", ["parameters"]),
                                 ("print(s, items, table)", ["step:use"]),
                                 args=("-p", "s", value, "-y", json.dumps({"items": [value], "table": {value: value}})))
    assert _defaults(documents[0]) == {"s": value, "items": [value], "table": {value: value}}
    assert "defaultPipelineRoot" not in module and "os.system" not in module  # values are data, never source


@pytest.mark.parametrize("value", [HOSTILE[0], "1\n2", "True\nx: y"])
@pytest.mark.parametrize("name", ["n", "f", "b"])
def test_hostile_text_for_a_typed_parameter_is_refused(tmp_path, name, value):
    path = write_notebook(tmp_path / "nb.ipynb", ("n = 1\nf = 0.5\nb = True", ["parameters"]), "print(n, f, b)")
    result = kale_like("compile", str(path), "-o", str(tmp_path / "nb.yaml"), "-p", name, value)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"parameter '{name}'" in result.stderr
    assert not (tmp_path / "nb.yaml").exists()


def test_text_fields_stay_data(tmp_path):
    hostile = HOSTILE[0]
    metadata = {"pipeline_name": hostile, "pipeline_description": "\n".join(HOSTILE),
                "experiment_name": hostile}
    tags = ["step:one", f"env:E:{hostile}", f"annotation:note:{hostile}", "label:team:data"]
    documents, module = _compile(tmp_path, ("print(1)", tags), metadata=metadata)
    info = documents[0]["pipelineInfo"]
    assert info["description"] == "\n".join(HOSTILE)
    assert info["name"] == "x-defaultpipelineroot-gs-elsewhere"
    executor = documents[0]["deploymentSpec"]["executors"]["exec-one"]["container"]
    assert {"name": "E", "value": hostile} in executor["env"]
    pod = documents[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-one"]["podMetadata"]
    assert pod == {"annotations": {"note": hostile}, "labels": {"team": "data"}}
    compile(module, "nb_pipeline.py", "exec")


@pytest.mark.parametrize("tag", ["step:a\nb", "step:a: b", "prev:x\ny", "image:python\nRUN id",
                                 "label:k:v\nx", "secret:s:k:E\nx", "limit:memory:1Gi\nx: y", "retries:1\nx", "env:A\n:v", "timeout:5\n0"])
def test_hostile_tag_values_are_refused_with_their_cell(tmp_path, tag):
    path = write_notebook(tmp_path / "nb.ipynb", "x = 1", ("print(x)", [tag]))
    result = kale_like("compile", str(path), "-o", str(tmp_path / "nb.yaml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cell 2" in result.stderr and not (tmp_path / "nb.yaml").exists()


def dockerfile_instructions(text: str) -> list[str]:
    """The instruction keywords of a Dockerfile, continuation lines joined as Docker joins them."""
    logical = text.replace("\\\n", " ").splitlines()
    return [line.split()[0] for line in logical if line.strip() and not line.lstrip().startswith("#")]


def test_hostile_notebook_file_name_stays_in_comments(tmp_path):
    pytest.importorskip("kfp")
    folder = tmp_path / "x\nRUN rm -rf"
    folder.mkdir()
    path = write_notebook(folder / "nb\nRUN id\n.ipynb", "print(1)")
    result = kale_like("image", str(path), "-o", str(tmp_path / "image"))
    assert result.returncode == 0, result.stderr
    dockerfile = (tmp_path / "image" / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile_instructions(dockerfile) == ["FROM", "ENV", "COPY", "RUN", "RUN"]
    module_path = tmp_path / "m.py"
    result = kale_like("compile", str(path), "-o", str(tmp_path / "nb.yaml"), "--dsl", str(module_path))
    assert result.returncode == 0, result.stderr
    tree = ast.parse(module_path.read_text(encoding="utf-8"))
    assert not any(isinstance(node, ast.Expr) and isinstance(node.value, ast.Name) and node.value.id == "RUN"
                   for node in ast.walk(tree))


BAD_NAMES = ["x=1;import os", "x\nimport os", "class", "lambda", "1a", "", "a b", "a-b", "a.b", "__import__('os')",
             "None", "True"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_one_rule_for_parameter_names(name):
    with pytest.raises(ParameterError):
        check_name(name)


@pytest.mark.parametrize("name", BAD_NAMES[:6])
def test_every_python_surface_refuses_bad_names(tmp_path, name):
    from kale_like import api
    from kale_like.cli.sweep import parse_axes

    path = write_notebook(tmp_path / "nb.ipynb", ("a = 1", ["parameters"]), "print(a)")
    for call in (lambda: api.plan(path, parameters={name: 1}), lambda: api.run(path, parameters={name: 1}),
                 lambda: api.compile(path, tmp_path / "x.yaml", parameters={name: 1}),
                 lambda: parse_axes([f"{name.replace('=', '')}=1,2"])):
        with pytest.raises(KaleLikeError):
            call()
    assert not (tmp_path / "x.yaml").exists() and not (tmp_path / "nb.executed.ipynb").exists()


@pytest.mark.parametrize("args", [["-p", "x;y", "1"], ["-r", "for", "1"], ["-y", "{'a b': 1}"],
                                  ["--sweep", "import=1,2"]])
def test_cli_refuses_bad_names(tmp_path, args):
    path = write_notebook(tmp_path / "nb.ipynb", ("a = 1", ["parameters"]), "print(a)")
    result = kale_like("run", str(path), *args)
    assert result.returncode == 2 and "not a valid parameter name" in result.stderr
    assert not (tmp_path / "nb.executed.ipynb").exists()


@pytest.mark.parametrize("args", [["-p", "x=1;import os", "1"], ["-r", "class", "x"], ["-y", "{'a b': 1}"]])
def test_papermill_command_refuses_bad_names_before_writing(tmp_path, args):
    pytest.importorskip("papermill")
    path = write_notebook(tmp_path / "nb.ipynb", ("a = 1", ["parameters"]), "print(a)")
    result = kale_like("papermill", str(path), str(tmp_path / "out.ipynb"), *args)
    assert result.returncode == 2 and "not a valid parameter name" in result.stderr
    assert "internal error" not in result.stderr
    assert not (tmp_path / "out.ipynb").exists()  # papermill would have written the name into a cell

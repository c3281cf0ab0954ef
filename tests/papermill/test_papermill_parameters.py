"""Parameters the papermill way: parsing, where the injected cell goes and what it says,
values of every type reaching every step that reads them, as data (never as source)."""
from __future__ import annotations

import pickle

import pytest

from kale_like import api
from kale_like.parameters import parse_value

from pm_harness import assert_same_notebooks, make_notebook, nbformat, run_cli, run_papermill

NAMES = ["i", "f", "neg", "flag", "nothing", "s", "lst", "d"]
TYPES = [
    ("markdown", "# Types"),
    ("code", "i = 1\nf = 0.5\nneg = -3\nflag = False\nnothing = 'x'\ns = 'plain'\nlst = []\nd = {}", ["parameters"]),
    ("markdown", "## Show all"),
    ("code", f"for name in {NAMES!r}:\n    v = globals()[name]\n    print(name, type(v).__name__, repr(v))"),
    ("markdown", "## Arithmetic"),
    ("code", "total = i + neg + f\ntotal"),
    ("markdown", "## Text"),
    ("code", "s.splitlines()"),
    ("markdown", "## Containers"),
    ("code", "(len(lst), sorted(d), d['a']['b'] if 'a' in d else None, flag is True, nothing is None)"),
]
VALUES = {
    "i": 42, "f": 2.5e-3, "neg": -17, "flag": True, "nothing": None,
    "s": "it's \"quoted\"\nsecond line\\tbackslash é",
    "lst": [1, -2.5, "x", None, True], "d": {"a": {"b": [1, 2]}, "c": "it's"},
}
MARKER = "VALUE-9f3c-never-in-source"


@pytest.mark.parametrize("text", ["1", "-3", "0x10", "1e3", "-2.5", "nan", "inf", "True", "False", "None",
                                  "true", "none", "1_000", " 7", "hello", "'quoted'", ""])
def test_values_parse_as_papermill_parses_them(text):
    from papermill.cli import _resolve_type

    expected = _resolve_type(text)
    got = parse_value(text)
    assert type(got) is type(expected)
    assert got == expected or (got != got and expected != expected)  # nan


@pytest.mark.kernel
def test_every_type_reaches_every_step_through_the_engine(tmp_path, workdir):
    notebook = make_notebook(tmp_path / "types.ipynb", TYPES)
    default = run_papermill(notebook, tmp_path / "default.ipynb", None, VALUES)
    ours = run_papermill(notebook, tmp_path / "kale_like.ipynb", "kale_like", VALUES)
    assert_same_notebooks(default.nb, ours.nb)
    shown = "".join(ours.nb.cells[4].outputs[0]["text"])
    assert "d dict {'a': {'b': [1, 2]}" in shown and "s str 'it\\'s \"quoted\"\\nsecond line" in shown


@pytest.mark.kernel
def test_kale_like_run_injects_like_papermill(tmp_path):
    """Same injected cell (text, tag, place, count) and same outputs as papermill's default engine."""
    notebook = make_notebook(tmp_path / "types.ipynb", TYPES)
    default = run_papermill(notebook, tmp_path / "default.ipynb", None, VALUES)
    result = api.run(notebook, out=str(tmp_path / "run.ipynb"), parameters=VALUES, workdir=str(tmp_path / "wd"))
    assert result.ok, result.error
    ours = nbformat.read(result.output, as_version=4)
    assert_same_notebooks(default.nb, ours, with_status=False)
    injected = [i for i, c in enumerate(ours.cells) if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected == [2]
    assert ours.cells[2].source == default.nb.cells[2].source


def test_values_travel_as_data_never_as_source(tmp_path):
    notebook = make_notebook(tmp_path / "marker.ipynb", [
        ("code", "tag = 'default'\nsize = 1", ["parameters"]),
        ("markdown", "## One"), ("code", "print(tag * size)"),
        ("markdown", "## Two"), ("code", "print(len(tag))"),
    ])
    workdir = tmp_path / "wd"
    result = api.run(notebook, out=str(tmp_path / "out.ipynb"), parameters={"tag": MARKER, "size": 2},
                     workdir=str(workdir))
    assert result.ok, result.error
    specs = [pickle.loads(p.read_bytes()) for p in workdir.glob("cache/*/spec.pkl")]
    assert len(specs) == len(result.states) == 3
    for spec in specs:
        code = [c.source for c in spec.cells] + [c.code for c in spec.cells] + [s.code for s in spec.prelude]
        assert not any(MARKER in text for text in code), spec.step
        assert (spec.parameters.get("tag") == MARKER) == (spec.step == "parameters")
    out = nbformat.read(result.output, as_version=4)
    printed = {c.source: "".join(o.get("text", "") for o in c.outputs) for c in out.cells if c.cell_type == "code"}
    assert printed["print(tag * size)"] == MARKER * 2 + "\n"
    assert printed["print(len(tag))"] == f"{len(MARKER)}\n"


def test_unknown_parameter_warns_with_the_known_ones(tmp_path):
    notebook = make_notebook(tmp_path / "warn.ipynb", [("code", "alpha = 0.1\ndepth = 2", ["parameters"]),
                                                       ("code", "print(alpha)")])
    done = run_cli("run", str(notebook), "--out", str(tmp_path / "o.ipynb"), "--workdir", str(tmp_path / "wd"),
                   "-p", "alpah", "0.5")
    assert done.returncode == 0, done.stderr
    assert "alpah not declared in a parameters cell (known parameters: alpha, depth)" in done.stderr


def test_help_parameters_lists_names_types_defaults(tmp_path):
    notebook = make_notebook(tmp_path / "help.ipynb", [
        ("code", "alpha = 0.1\ndepth = 2\nname = 'x'\nflags = [1, 2]\nwhen = None", ["parameters"]),
        ("code", "print(alpha)")])
    done = run_cli("run", str(notebook), "--help-parameters")
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    assert [r[:2] for r in rows] == [["alpha", "float"], ["depth", "int"], ["name", "str"], ["flags", "list"],
                                     ["when", "NoneType"]]
    assert "(default 0.1)" in done.stdout and "(default [1, 2])" in done.stdout

"""The codec registry: choice by type, plug-ins first, dill as the last resort."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kale_like.marshal import (
    Codec,
    CodecRegistry,
    MarshalContext,
    default_registry,
    load_group,
    register_codec,
    save_group,
)
from kale_like.marshal.builtin import DILL, PICKLE


class Celsius:
    def __init__(self, degrees: float) -> None:
        self.degrees = degrees


class CelsiusCodec:
    """A plug-in style codec that writes plain text."""

    name = "celsius-text"
    kind = "Dataset"

    def handles(self, value: object) -> bool:
        return isinstance(value, Celsius)

    def save(self, value: object, directory: Path) -> None:
        assert isinstance(value, Celsius)
        (directory / "degrees.txt").write_text(repr(value.degrees))

    def load(self, directory: Path) -> object:
        return Celsius(float((directory / "degrees.txt").read_text()))


@pytest.mark.parametrize(("value", "codec"), [
    (np.zeros(2), "numpy"), (np.float32(1), "numpy"), (pd.DataFrame({"a": [1]}), "pandas"),
    (pd.Series([1.0]), "pandas"), (pd.Index([1]), "pandas"), ({"a": 1}, "pickle"),
    (np.random.default_rng(), "pickle"), (pd.Timestamp("2024"), "pickle"),
    (lambda: 1, "dill"),
])
def test_codec_is_chosen_by_type(value: object, codec: str) -> None:
    assert default_registry().choose(value).name == codec


def test_registered_codec_is_preferred_and_found_again_on_load(
        tmp_path: Path, context: MarshalContext, group_meta: Any) -> None:
    codec = CelsiusCodec()
    assert isinstance(codec, Codec)
    register_codec(codec)
    try:
        info = save_group(tmp_path / "g", {"t": Celsius(21.5)}, context)
        loaded = load_group(tmp_path / "g")["t"]
    finally:
        default_registry().unregister(codec.name)
    assert (info.codec, info.kind) == ("celsius-text", "Dataset")
    assert isinstance(loaded, Celsius) and loaded.degrees == 21.5
    assert (tmp_path / "g" / "degrees.txt").read_text() == "21.5"
    assert group_meta(tmp_path / "g")["codec"] == "celsius-text"


def test_several_values_use_the_bundle_even_with_a_plugin(
        tmp_path: Path, context: MarshalContext) -> None:
    register_codec(CelsiusCodec())
    try:
        shared = Celsius(3.0)
        info = save_group(tmp_path / "g", {"t": shared, "same": shared}, context)
        loaded = load_group(tmp_path / "g")
    finally:
        default_registry().unregister("celsius-text")
    assert info.codec == "pickle"
    assert loaded["same"] is loaded["t"]


def test_pickle_failure_falls_back_to_dill_and_keeps_the_kind(roundtrip: Any) -> None:
    table = np.array([len, None], dtype=object)
    table[1] = lambda x: x + 1  # pickle cannot name a lambda inside an array
    loaded = roundtrip(table=table)["table"]
    assert (roundtrip.info.codec, roundtrip.info.kind) == ("dill", "Dataset")
    assert loaded[0] is len and loaded[1](1) == 2


def test_registry_without_plugins_ends_with_its_fallback() -> None:
    registry = CodecRegistry([PICKLE], fallback=DILL, entry_point_group=None)
    assert registry.choose(1) is PICKLE
    assert registry.choose(lambda: 1) is DILL
    assert registry.named("dill") is DILL
    assert registry.named("nope") is None


ENTRY_POINT_CODEC = '''
from pathlib import Path

class Shout:
    def __init__(self, text):
        self.text = text

class ShoutCodec:
    name = "shout"
    kind = "Artifact"
    def handles(self, value):
        return isinstance(value, Shout)
    def save(self, value, directory):
        (directory / "shout.txt").write_text(value.text.upper())
    def load(self, directory):
        return Shout((directory / "shout.txt").read_text())
'''


def test_codec_from_an_entry_point_is_used(tmp_path: Path, run_main: Any) -> None:
    site = tmp_path / "site"
    dist_info = site / "shout_codec-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-codec\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[kale_like.codecs]\nshout = shout_codec:ShoutCodec\n")
    (site / "shout_codec.py").write_text(textwrap.dedent(ENTRY_POINT_CODEC))
    result = run_main('''
import json, sys
from kale_like.marshal import MarshalContext, load_group, save_group
from shout_codec import Shout
info = save_group(sys.argv[1], {"s": Shout("hey")}, MarshalContext("a", {}))
print(json.dumps({"codec": info.codec, "text": load_group(sys.argv[1])["s"].text}))
''', str(tmp_path / "g"), pythonpath=(str(site),))
    assert result == {"codec": "shout", "text": "HEY"}
    assert json.loads((tmp_path / "g" / "meta.json").read_text())["codec"] == "shout"


def test_dill_path_keeps_array_views_and_aliases(roundtrip: Any) -> None:
    base = np.arange(8.0)
    offset = 2
    loaded = roundtrip(f=lambda x: x + offset, base=base, view=base[3:], same=base)
    assert roundtrip.info.codec == "dill"
    loaded["view"][0] = -1.0
    assert loaded["base"][3] == -1.0 and loaded["same"] is loaded["base"]
    assert loaded["f"](1) == 3

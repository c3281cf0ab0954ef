"""Values that cannot travel, and groups that cannot be loaded: one MarshalError each."""
from __future__ import annotations

import io
import re
import socket
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kale_like.errors import MarshalError
from kale_like.marshal import MarshalContext, check_travels, load_group, save_group
from kale_like.marshal.meta import read_meta, version_skew, write_meta

SHAPE = re.compile(
    r"^step 'train', cell 4: variable 'gen' \((?P<type>[\w.]+)\) cannot be passed to another "
    r"step: (?P<reason>[^()]+) \(hint: (?P<hint>.+)\)$")


LOCKS = "locks and other synchronization primitives cannot be saved"


def _gen() -> Any:
    yield 1


@pytest.fixture
def untravelables(tmp_path: Path) -> Any:
    """(label, value, reason) for each kind of value that can never travel."""
    opened = open(tmp_path / "f.txt", "w")  # noqa: SIM115 - closed below
    sock = socket.socket()
    connection = sqlite3.connect(":memory:")
    thread = threading.Thread(target=lambda: None)
    yield [
        ("generator", _gen(), "generators cannot be saved"),
        ("_io.TextIOWrapper", opened, "open files cannot be saved"),
        ("_thread.lock", threading.Lock(), LOCKS),
        ("_thread.RLock", threading.RLock(), LOCKS),
        ("socket.socket", sock, "network sockets cannot be saved"),
        ("sqlite3.Connection", connection, "database connections and cursors cannot be saved"),
        ("sqlite3.Cursor", connection.cursor(), "database connections and cursors cannot be saved"),
        ("threading.Thread", thread, "running threads, processes and executors cannot be saved"),
    ]
    opened.close()
    sock.close()
    connection.close()


def test_check_travels_rejects_each_untravelable_with_the_message_shape(
        untravelables: Any, context: MarshalContext) -> None:
    for label, value, reason in untravelables:
        with pytest.raises(MarshalError) as caught:
            check_travels("gen", value, context)
        match = SHAPE.match(str(caught.value))
        assert match, str(caught.value)
        assert (match["type"], match["reason"]) == (label, reason)
        assert caught.value.location is not None and caught.value.location.cell == 4


def test_generator_message_in_full(context: MarshalContext) -> None:
    with pytest.raises(MarshalError) as caught:
        check_travels("gen", _gen(), context)
    assert str(caught.value) == (
        "step 'train', cell 4: variable 'gen' (generator) cannot be passed to another step: "
        "generators cannot be saved (hint: turn it into a list (`gen = list(gen)`) in the cell "
        "that makes it, or create it in the step that uses it)")


def test_save_group_checks_before_writing_anything(tmp_path: Path,
                                                   context: MarshalContext) -> None:
    with pytest.raises(MarshalError, match="variable 'gen' \\(generator\\)"):
        save_group(tmp_path / "g", {"ok": 1, "gen": _gen()}, context)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [1, "s", [1, 2], np.arange(3), io.BytesIO(b"x"),
                                   io.StringIO("y")])
def test_check_travels_accepts_ordinary_values(value: object, context: MarshalContext) -> None:
    check_travels("x", value, context)


def test_check_travels_does_not_serialize(context: MarshalContext) -> None:
    class Watched:
        def __reduce_ex__(self, protocol: object) -> Any:
            raise AssertionError("check_travels must not serialize")

    check_travels("x", Watched(), context)


def test_nested_untravelable_names_the_path(tmp_path: Path, context: MarshalContext) -> None:
    with pytest.raises(MarshalError) as caught:
        save_group(tmp_path / "g", {"x": {"jobs": [1, threading.Lock()]}, "y": 2}, context)
    assert str(caught.value).startswith(
        "step 'train', cell 2: variable 'x' (dict) cannot be passed to another step: "
        "x['jobs'][1] is a _thread.lock, and locks and other synchronization primitives "
        "cannot be saved (hint: ")
    assert caught.value.__cause__ is not None
    assert not (tmp_path / "g").exists()


class Stubborn:
    """Neither pickle nor dill can save it."""

    def __reduce__(self) -> Any:
        raise TypeError("this object refuses to be saved")


def test_unsaveable_object_names_the_variable_not_a_traceback(
        tmp_path: Path, context: MarshalContext) -> None:
    with pytest.raises(MarshalError) as caught:
        save_group(tmp_path / "g", {"a": np.ones(10), "x": [Stubborn()]}, context)
    message = str(caught.value)
    assert message.startswith("step 'train', cell 2: variable 'x' (list) cannot be passed to "
                              "another step: neither pickle nor dill can save it "
                              "(TypeError: this object refuses to be saved)")
    assert "hint: give its class __getstate__" in message


def test_failed_save_leaves_no_directory_and_no_temporary(tmp_path: Path,
                                                          context: MarshalContext) -> None:
    with pytest.raises(MarshalError):
        save_group(tmp_path / "g", {"big": np.ones(2_000_000), "bad": Stubborn()}, context)
    assert list(tmp_path.iterdir()) == []


def test_saving_again_replaces_the_group(tmp_path: Path, context: MarshalContext) -> None:
    save_group(tmp_path / "g", {"x": 1, "y": 2}, context)
    save_group(tmp_path / "g", {"x": 3}, context)
    assert load_group(tmp_path / "g") == {"x": 3}
    assert [path.name for path in tmp_path.iterdir()] == ["g"]


def test_existing_empty_directory_is_filled(tmp_path: Path, context: MarshalContext) -> None:
    (tmp_path / "g").mkdir()
    save_group(tmp_path / "g", {"x": 1}, context)
    assert load_group(tmp_path / "g") == {"x": 1}


def test_truncated_buffers_are_reported_as_damage(tmp_path: Path,
                                                  context: MarshalContext) -> None:
    save_group(tmp_path / "g", {"x": np.arange(100_000.0), "y": 1}, context)
    data = tmp_path / "g" / "buffers.bin"
    data.write_bytes(data.read_bytes()[:1000])
    with pytest.raises(MarshalError) as caught:
        load_group(tmp_path / "g")
    assert str(caught.value).startswith(
        f"variables 'x', 'y' saved by step 'train' cannot be loaded from {tmp_path / 'g'}: "
        "its files are damaged or incomplete")
    assert "run the step that produced it again" in str(caught.value)


def test_garbled_stream_is_a_marshal_error(tmp_path: Path, context: MarshalContext) -> None:
    save_group(tmp_path / "g", {"x": [1, 2, 3]}, context)
    (tmp_path / "g" / "values.pkl").write_bytes(b"\x80\x05garbage")
    with pytest.raises(MarshalError, match="variable 'x' saved by step 'train' cannot be loaded"):
        load_group(tmp_path / "g")


def test_missing_meta_means_not_a_group(tmp_path: Path) -> None:
    (tmp_path / "g").mkdir()
    with pytest.raises(MarshalError, match="is not a complete group of saved variables"):
        load_group(tmp_path / "g")


def test_missing_module_names_the_module_and_its_version(
        tmp_path: Path, context: MarshalContext, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "gone_pkg.py").write_text(
        "__version__ = '1.2.3'\nclass Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    import gone_pkg  # type: ignore[import-not-found]

    save_group(tmp_path / "g", {"thing": gone_pkg.Thing()}, context)
    monkeypatch.delitem(sys.modules, "gone_pkg")
    (tmp_path / "lib" / "gone_pkg.py").unlink()
    with pytest.raises(MarshalError) as caught:
        load_group(tmp_path / "g")
    message = str(caught.value)
    assert "variable 'thing' saved by step 'train'" in message
    assert "module 'gone_pkg' is not installed in this step's environment" in message
    assert "(the saving step had gone_pkg 1.2.3)" in message


def test_unknown_codec_is_a_marshal_error(tmp_path: Path, context: MarshalContext) -> None:
    save_group(tmp_path / "g", {"x": 1}, context)
    meta = read_meta(tmp_path / "g")
    write_meta(tmp_path / "g", {**meta, "codec": "parquet-plugin"})  # as a plug-in would have written it
    with pytest.raises(MarshalError, match="no codec named 'parquet-plugin' is installed"):
        load_group(tmp_path / "g")


def test_version_skew_is_spelled_out() -> None:
    meta = {"python": "2.7.18", "libraries": {"numpy": "0.0.1"}}
    assert version_skew(meta) == [
        f"Python 2.7.18 wrote it, this step runs {'.'.join(map(str, sys.version_info[:3]))}",
        f"numpy 0.0.1 wrote it, this step has {np.__version__}"]


def test_meta_without_names_is_not_a_group(tmp_path: Path, context: MarshalContext) -> None:
    save_group(tmp_path / "g", {"x": 1}, context)
    meta = tmp_path / "g" / "meta.json"
    meta.write_text(meta.read_text().replace('"names"', '"nombres"'))
    with pytest.raises(MarshalError, match="is not a complete group of saved variables"):
        load_group(tmp_path / "g")

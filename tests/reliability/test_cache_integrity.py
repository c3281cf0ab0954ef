"""Issue 9 item 4: the cache never serves damaged content.

Every file of a saved group carries a checksum recorded when it was written, and every
finished step's report is sealed with one; damage found on read is a cache miss that is
recomputed and replaced, with one warning line.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kale_like
from kale_like.errors import DamagedData, MarshalError
from kale_like.marshal import MarshalContext, confirm_loaded, load_group, save_group
from kale_like.marshal.group import DEFER_FROM

from .proc_harness import cli, entries, outputs, overwrite, warnings_in, write_notebook

CONTEXT = MarshalContext(step="make", cells={})


# --- the marshal layer: any change to any file of a group is caught ----------------------

def _group(tmp_path: Path, values: dict) -> Path:
    directory = tmp_path / "g"
    save_group(directory, values, CONTEXT)
    assert load_group(directory).keys() == values.keys()
    return directory


@pytest.mark.parametrize("offset", [0, 4096, 100_000, -4096])
def test_4kb_overwritten_inside_a_buffer_is_refused(tmp_path: Path, offset: int) -> None:
    directory = _group(tmp_path, {"x": np.arange(1_000_000, dtype=np.float64)})
    buffers = directory / "buffers.bin"
    start = offset if offset >= 0 else buffers.stat().st_size + offset
    overwrite(buffers, start, b"\x07" * 4096)
    with pytest.raises(DamagedData) as caught:
        load_group(directory)
    assert "buffers.bin" in str(caught.value) and "variable 'x' saved by step 'make'" in str(caught.value)
    assert caught.value.directory == str(directory)


@pytest.mark.parametrize("value", [[1, 2, 3] * 100, {"a": "text" * 50}, 12345678901234567890, "s" * 300])
def test_one_changed_byte_in_an_in_band_pickle_is_refused(tmp_path: Path, value: object) -> None:
    directory = _group(tmp_path, {"v": value})
    stream = directory / "values.pkl"
    data = stream.read_bytes()
    middle = len(data) // 2
    overwrite(stream, middle, bytes([data[middle] ^ 0x01]))
    with pytest.raises(DamagedData, match="values.pkl"):
        load_group(directory)


def test_edited_layout_is_refused(tmp_path: Path) -> None:
    directory = _group(tmp_path, {"x": np.ones(100_000), "y": 2})
    layout = directory / "layout.json"
    text = layout.read_text()
    layout.write_text(text.replace("8", "9", 1))  # same length, still valid JSON
    with pytest.raises(DamagedData, match="layout.json"):
        load_group(directory)


def test_edited_description_is_refused(tmp_path: Path) -> None:
    directory = _group(tmp_path, {"first": 1, "second": 2})
    meta = directory / "meta.json"
    meta.write_text(meta.read_text().replace('"first"', '"fir_t"'))
    with pytest.raises(MarshalError, match="does not match its own checksum"):
        load_group(directory)


def test_a_file_slipped_into_the_group_is_refused(tmp_path: Path) -> None:
    directory = _group(tmp_path, {"x": 1})
    (directory / "extra.bin").write_bytes(b"x")
    with pytest.raises(DamagedData, match="extra.bin"):
        load_group(directory)


def test_a_removed_file_is_refused(tmp_path: Path) -> None:
    directory = _group(tmp_path, {"x": np.ones(100_000)})
    (directory / "buffers.bin").unlink()
    with pytest.raises(DamagedData, match="buffers.bin"):
        load_group(directory)


def test_large_buffer_checked_in_the_background_is_still_caught(tmp_path: Path) -> None:
    directory = _group(tmp_path, {"x": np.zeros(DEFER_FROM // 8 + 1000)})
    overwrite(directory / "buffers.bin", DEFER_FROM // 2, b"\x01" * 4096)
    loaded = load_group(directory, defer_large=True)  # returns at once; the check runs beside
    assert loaded["x"].shape == (DEFER_FROM // 8 + 1000,)
    with pytest.raises(DamagedData, match="buffers.bin"):
        confirm_loaded()
    confirm_loaded()  # reported once, then forgotten


def test_small_files_are_checked_before_loading_even_when_deferring(tmp_path: Path) -> None:
    directory = _group(tmp_path, {"x": np.zeros(DEFER_FROM // 8 + 1000), "label": "abc" * 100})
    stream = directory / "values.pkl"
    data = stream.read_bytes()
    at = data.index(b"abcabc")
    overwrite(stream, at, b"ABC")
    with pytest.raises(DamagedData, match="values.pkl"):
        load_group(directory, defer_large=True)
    confirm_loaded()


def test_checksum_covers_alignment_padding_and_several_buffers(tmp_path: Path) -> None:
    # Views and odd sizes put gaps between blocks in buffers.bin; all of it is covered.
    base = np.arange(300_001, dtype=np.int8)
    values = {"a": base, "b": np.ones(70_001, dtype=np.float32), "c": np.arange(9_999.0)[::3]}
    directory = _group(tmp_path, values)
    loaded = load_group(directory)
    for name, array in values.items():
        assert np.array_equal(loaded[name], array)
    overwrite(directory / "buffers.bin", 300_010, b"\x01")  # inside a gap or the next block
    with pytest.raises(DamagedData):
        load_group(directory)


# --- the local backend: damage is a miss, recomputed, replaced, one warning line ---------

PRODUCER = "import numpy as np\nx = np.arange(1_000_000, dtype=np.float64)"
TOTAL = float(np.arange(1_000_000, dtype=np.float64).sum())


def _first_run(tmp_path: Path, consumer: str) -> tuple[Path, Path, Path]:
    nb = write_notebook(tmp_path / "nb.ipynb", PRODUCER, consumer)
    workdir, out = tmp_path / "work", tmp_path / "out.ipynb"
    result = cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert warnings_in(result.stderr) == []
    return nb, workdir, out


def test_damaged_cached_buffer_is_recomputed_not_served(tmp_path: Path) -> None:
    nb, workdir, out = _first_run(tmp_path, "print(float(x.sum()))")
    overwrite(entries(workdir)["cell_1"] / "values" / "buffers.bin", 8192, b"\xff" * 4096)
    write_notebook(nb, PRODUCER, "print(float(x.sum()) + 0)")  # the consumer must load x again
    result = cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert outputs(out)[1] == f"{TOTAL}\n"
    [warning] = warnings_in(result.stderr)
    assert "step 'cell_1'" in warning and "damaged" in warning and "recomputing" in warning
    again = cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir))
    assert again.returncode == 0 and warnings_in(again.stderr) == []  # the entry was replaced
    assert outputs(out)[1] == f"{TOTAL}\n"


def test_damaged_large_value_checked_while_the_step_runs_is_recomputed(tmp_path: Path) -> None:
    producer = "import numpy as np\nx = np.arange(5_000_000, dtype=np.float64)"  # 40 MB: checked in the background
    nb = write_notebook(tmp_path / "nb.ipynb", producer, "print(float(x.sum()))")
    workdir, out = tmp_path / "work", tmp_path / "out.ipynb"
    assert cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir)).returncode == 0
    overwrite(entries(workdir)["cell_1"] / "values" / "buffers.bin", 30_000_000, b"\x00" * 4096)
    write_notebook(nb, producer, "print(float(x.sum()))\n")
    result = cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert outputs(out)[1] == f"{float(np.arange(5_000_000, dtype=np.float64).sum())}\n"
    [warning] = warnings_in(result.stderr)
    assert "step 'cell_1'" in warning


def test_damaged_small_value_is_recomputed(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "total = 41 + 1\nlabel = 'answer'", "print(label, total)")
    workdir, out = tmp_path / "work", tmp_path / "out.ipynb"
    assert cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir)).returncode == 0
    stream = entries(workdir)["cell_1"] / "values" / "values.pkl"
    data = stream.read_bytes()
    at = data.index(b"answer")
    overwrite(stream, at, b"ANSWER")
    write_notebook(nb, "total = 41 + 1\nlabel = 'answer'", "print(label, total)\n")
    result = cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert outputs(out)[1] == "answer 42\n"
    assert len(warnings_in(result.stderr)) == 1


def test_damaged_cached_report_is_recomputed(tmp_path: Path) -> None:
    nb, workdir, out = _first_run(tmp_path, "print(float(x.sum()))")
    report = entries(workdir)["cell_2"] / "report.json"
    text = report.read_text()
    shown = f"{TOTAL}"
    assert shown in text
    report.write_text(text.replace(shown, shown[:-1] + "7"))  # valid JSON, wrong number
    result = cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert outputs(out)[1] == f"{TOTAL}\n"
    [warning] = warnings_in(result.stderr)
    assert "cached result of step 'cell_2' is damaged" in warning


def test_api_reports_the_recompute_as_a_warning_event(tmp_path: Path) -> None:
    nb, workdir, out = _first_run(tmp_path, "print(float(x.sum()))")
    overwrite(entries(workdir)["cell_1"] / "values" / "buffers.bin", 0, b"\0" * 4096)
    write_notebook(nb, PRODUCER, "y = float(x.sum())\nprint(y)")
    events: list[dict] = []
    result = kale_like.run(str(nb), split="cells", out=str(out), workdir=str(workdir), on_event=events.append)
    assert result.ok, result.error
    assert outputs(out)[1] == f"{TOTAL}\n"
    assert [e["message"] for e in events if e["type"] == "warning"] == [
        e["message"] for e in events if e["type"] == "warning" and "'cell_1'" in e["message"]]
    assert sum(e["type"] == "warning" for e in events) == 1
    states = [e["state"] for e in events if e.get("step") == "cell_1"]
    assert "succeeded" in states  # recomputed, not served from the cache


def test_two_consumers_of_one_damaged_entry_recompute_it_once(tmp_path: Path) -> None:
    cells = [PRODUCER, "a = float(x.sum())", "b = float(x.max())", "print(a, b)"]
    nb = write_notebook(tmp_path / "nb.ipynb", *cells)
    workdir, out = tmp_path / "work", tmp_path / "out.ipynb"
    assert cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir),
               "--jobs", "2").returncode == 0
    overwrite(entries(workdir)["cell_1"] / "values" / "buffers.bin", 4096 * 7, b"\x11" * 4096)
    write_notebook(nb, PRODUCER, "a = float(x.sum()) + 0", "b = float(x.max()) + 0", "print(a, b)")
    result = cli("run", str(nb), "--split", "cells", "--out", str(out), "--workdir", str(workdir), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert outputs(out)[3] == f"{TOTAL} {999999.0}\n"
    assert len(warnings_in(result.stderr)) == 1
    meta = json.loads((entries(workdir)["cell_1"] / "values" / "meta.json").read_text())
    assert meta["checksums"]["files"]["buffers.bin"]

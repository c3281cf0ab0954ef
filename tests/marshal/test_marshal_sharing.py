"""Objects shared between the variables of a group stay shared after loading."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kale_like.marshal import MarshalContext, load_group, save_group


def test_alias_is_the_same_object(roundtrip: Any) -> None:
    x = [1, 2]
    loaded = roundtrip(x=x, y=x)
    assert loaded["y"] is loaded["x"]
    loaded["y"].append(3)
    assert loaded["x"] == [1, 2, 3]


def test_member_of_a_dict_is_the_same_object(roundtrip: Any) -> None:
    a = {"k": {"inner": [1]}, "other": 2}
    loaded = roundtrip(a=a, b=a["k"])
    assert loaded["b"] is loaded["a"]["k"]


def test_view_saved_with_its_base_is_a_view_again(roundtrip: Any) -> None:
    arr = np.arange(10.0)
    loaded = roundtrip(arr=arr, v=arr[:2], r=arr[::-3])
    loaded["v"][0] = 99.0
    assert loaded["arr"][0] == 99.0
    loaded["r"][0] = -1.0
    assert loaded["arr"][9] == -1.0
    np.testing.assert_array_equal(loaded["r"], [-1.0, 6.0, 3.0, 0.0 + 99.0])


def test_base_inside_a_container_still_shares(roundtrip: Any) -> None:
    arr = np.zeros((4, 5))
    loaded = roundtrip(store={"data": arr}, row=arr[2])
    loaded["row"][:] = 7
    assert loaded["store"]["data"][2].tolist() == [7.0] * 5


def test_overlapping_views_of_an_unsaved_base_share(roundtrip: Any) -> None:
    hidden = np.arange(100.0)
    loaded = roundtrip(a=hidden[10:50], b=hidden[40:80])
    loaded["a"][35] = -5.0       # hidden[45]
    assert loaded["b"][5] == -5.0


def test_the_same_array_twice_is_one_object(roundtrip: Any) -> None:
    arr = np.ones(3)
    loaded = roundtrip(x=arr, pair=(arr, arr))
    assert loaded["pair"][0] is loaded["x"] and loaded["pair"][1] is loaded["x"]


def test_lone_strided_view_does_not_drag_its_base_along(roundtrip: Any) -> None:
    big = np.ones((20_000, 100))
    loaded = roundtrip(col=big[:, 0])
    np.testing.assert_array_equal(loaded["col"], np.ones(20_000))
    assert roundtrip.info.nbytes < big.nbytes / 10


def test_disjoint_views_are_written_without_the_gap(roundtrip: Any) -> None:
    big = np.ones(10_000_000)
    loaded = roundtrip(head=big[:10], tail=big[-10:])
    assert loaded["head"].sum() == 10 and loaded["tail"].sum() == 10
    assert roundtrip.info.nbytes < 100_000


def test_dataframe_and_another_variable_sharing_it(roundtrip: Any) -> None:
    frame = pd.DataFrame({"a": np.arange(5.0), "b": np.arange(5.0) * 2})
    loaded = roundtrip(df=frame, same=frame, cols=[frame])
    assert loaded["same"] is loaded["df"] and loaded["cols"][0] is loaded["df"]
    pd.testing.assert_frame_equal(loaded["df"], frame)


def test_loaded_arrays_never_write_to_the_file(tmp_path: Path) -> None:
    context = MarshalContext("s", {})
    save_group(tmp_path / "g", {"x": np.arange(1_000_000.0)}, context)
    before = (tmp_path / "g" / "buffers.bin").read_bytes()
    loaded = load_group(tmp_path / "g")["x"]
    loaded[:] = -1.0
    assert (tmp_path / "g" / "buffers.bin").read_bytes() == before
    assert load_group(tmp_path / "g")["x"][123] == 123.0


def test_loaded_arrays_outlive_their_group_directory(tmp_path: Path) -> None:
    import shutil

    save_group(tmp_path / "g", {"x": np.arange(1_000_000.0)}, MarshalContext("s", {}))
    loaded = load_group(tmp_path / "g")["x"]
    shutil.rmtree(tmp_path / "g")
    assert loaded.sum() == sum(range(1_000_000))

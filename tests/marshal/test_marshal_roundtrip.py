"""Values come back equal and with their exact types, through the codec their type selects."""
from __future__ import annotations

import datetime
import decimal
import fractions
from collections import OrderedDict, defaultdict
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.mark.parametrize("value", [
    0, -7, 2**100, 1.5, float("inf"), 1 + 2j, True, None, "", "naïve ☃", b"\x00\xff",
    bytearray(b"abc"), [1, [2, [3]]], (1, "a", None), {"k": [1, 2], 3: "x"}, {1, 2},
    frozenset({"a"}), range(3, 9, 2), OrderedDict(a=1), decimal.Decimal("1.10"),
    fractions.Fraction(2, 3), datetime.datetime(2024, 5, 1, 12, 30), slice(1, 5),
])
def test_builtin_values_round_trip_with_their_type(roundtrip: Any, value: object) -> None:
    loaded = roundtrip(x=value)["x"]
    assert loaded == value
    assert type(loaded) is type(value)
    assert roundtrip.info.codec == "pickle"
    assert roundtrip.info.kind == "Artifact"


def test_defaultdict_keeps_its_factory(roundtrip: Any) -> None:
    counts: defaultdict[str, int] = defaultdict(int, {"a": 2})
    loaded = roundtrip(x=counts)["x"]
    loaded["new"] += 1
    assert loaded == {"a": 2, "new": 1}


@pytest.mark.parametrize("make", [
    lambda: np.arange(12.0).reshape(3, 4),
    lambda: np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    lambda: np.array(5.0),
    lambda: np.array([1, "a", None, [2]], dtype=object),
    lambda: np.array([(1, 2.5, b"ab"), (3, 4.5, b"cd")],
                     dtype=[("i", "<i4"), ("f", "<f8"), ("s", "S2")]),
    lambda: np.array(["2024-01-01", "NaT"], dtype="datetime64[s]"),
    lambda: np.array([1 + 2j, 3j], dtype=np.complex64),
    lambda: np.arange(6, dtype=">i4"),
    lambda: np.array([True, False]),
    lambda: np.zeros((0, 3)),
    lambda: np.arange(100.0).reshape(10, 10)[::2, ::-3],
    lambda: np.broadcast_to(np.arange(3.0), (4, 3)),
    lambda: np.arange(300_000, dtype=np.int16),
])
def test_numpy_arrays_round_trip_with_dtype_shape_and_layout(roundtrip: Any, make: Any) -> None:
    array = make()
    loaded = roundtrip(x=array)["x"]
    assert type(loaded) is np.ndarray
    assert loaded.dtype == array.dtype
    assert loaded.shape == array.shape
    assert loaded.flags.f_contiguous == array.flags.f_contiguous
    assert loaded.flags.c_contiguous == array.flags.c_contiguous
    assert loaded.flags.writeable == array.flags.writeable
    if array.dtype.hasobject:
        assert loaded.tolist() == array.tolist()
    else:
        np.testing.assert_array_equal(loaded, array)
    assert roundtrip.info.codec == "numpy"
    assert roundtrip.info.kind == "Dataset"


def test_read_only_array_stays_read_only(roundtrip: Any) -> None:
    array = np.arange(5.0)
    array.flags.writeable = False
    assert not roundtrip(x=array)["x"].flags.writeable


def test_loaded_arrays_are_writable_and_aligned(roundtrip: Any) -> None:
    loaded = roundtrip(x=np.arange(100_000.0), y=np.arange(10, dtype=np.int32))
    for array in loaded.values():
        assert isinstance(array, np.ndarray)
        assert array.flags.writeable and array.flags.aligned
        array[0] = 42
        assert array[0] == 42


@pytest.mark.parametrize("scalar", [
    np.float64(1.5), np.float32(2.5), np.int8(-3), np.uint64(2**63), np.bool_(True),
    np.complex128(1j), np.datetime64("2024-01-02"), np.timedelta64(3, "h"), np.str_("s"),
])
def test_numpy_scalars_stay_numpy_scalars(roundtrip: Any, scalar: object) -> None:
    loaded = roundtrip(x=scalar)["x"]
    assert type(loaded) is type(scalar)
    assert loaded == scalar


def test_generator_keeps_its_state(roundtrip: Any) -> None:
    rng = np.random.default_rng(42)
    rng.random(5)
    legacy = np.random.RandomState(7)
    legacy.rand(3)
    loaded = roundtrip(rng=rng, legacy=legacy)
    np.testing.assert_array_equal(loaded["rng"].random(4), rng.random(4))
    np.testing.assert_array_equal(loaded["legacy"].rand(4), legacy.rand(4))


def test_dataframe_keeps_dtypes_index_and_values(roundtrip: Any) -> None:
    index = pd.MultiIndex.from_product([["a", "b"], [1, 2, 3]], names=["letter", "n"])
    frame = pd.DataFrame({
        "ints": np.arange(6, dtype=np.int32),
        "floats": np.linspace(0, 1, 6),
        "text": list("uvwxyz"),
        "category": pd.Categorical(["lo", "hi", "lo", "hi", "lo", "mid"]),
        "when": pd.date_range("2024-01-01", periods=6, freq="h", tz="Europe/Paris"),
        "nullable": pd.array([1, None, 3, 4, None, 6], dtype="Int64"),
        "flag": [True, False] * 3,
    }, index=index)
    loaded = roundtrip(df=frame)["df"]
    pd.testing.assert_frame_equal(loaded, frame)
    assert roundtrip.info.codec == "pandas"
    assert roundtrip.info.kind == "Dataset"


def test_series_and_index_keep_name_and_dtype(roundtrip: Any) -> None:
    series = pd.Series(pd.Categorical(list("abca")), index=pd.date_range("2024", periods=4),
                       name="grade")
    index = pd.Index([3, 1, 2], name="id")
    loaded = roundtrip(s=series, i=index)
    pd.testing.assert_series_equal(loaded["s"], series)
    pd.testing.assert_index_equal(loaded["i"], index)
    assert roundtrip.info.kind == "Dataset"


def test_fitted_sklearn_estimator_predicts_the_same(roundtrip: Any) -> None:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = make_classification(n_samples=200, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, labels)
    loaded = roundtrip(model=model)["model"]
    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))
    assert roundtrip.info.codec == "sklearn"
    assert roundtrip.info.kind == "Model"


def test_figure_and_axes_stay_one_figure(roundtrip: Any) -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2], label="line")
    ax.set_title("title")
    loaded = roundtrip(fig=fig, ax=ax)
    plt.close(fig)
    assert loaded["ax"].figure is loaded["fig"]
    assert loaded["fig"].axes == [loaded["ax"]]
    assert loaded["ax"].get_title() == "title"
    np.testing.assert_array_equal(loaded["ax"].lines[0].get_ydata(), [3, 1, 2])
    assert roundtrip.info.kind == "Artifact"
    plt.close(loaded["fig"])


def test_meta_json_describes_the_group(roundtrip: Any, group_meta: Any) -> None:
    roundtrip(x=np.arange(3), label="a")
    meta = group_meta(roundtrip.directory)
    assert meta["names"] == ["x", "label"]
    assert meta["codec"] == "pickle" and meta["kind"] == "Artifact"
    assert meta["types"] == {"x": "numpy.ndarray", "label": "str"}
    assert meta["libraries"]["numpy"] == np.__version__
    assert meta["python"].count(".") == 2
    assert meta["step"] == "train"
    files = [path for path in roundtrip.directory.iterdir() if path.name != "meta.json"]
    assert roundtrip.info.nbytes == sum(path.stat().st_size for path in files)
    assert roundtrip.info.names == ("x", "label")

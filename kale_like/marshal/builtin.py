"""The built-in codecs: typed names over one pickle-based format, then dill.

numpy, pandas, scikit-learn, torch and pickle all write the same stream format
(:mod:`.stream`); they differ in what they claim and the ``kind`` they report. The
checks look at class modules first, so nothing is imported to answer ``handles``.
"""
from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable
from pathlib import Path

from .checksum import preferred_algorithm
from .codec import CodecRegistry
from .model import ARTIFACT, DATASET, MODEL
from .stream import read_stream, referable, write_stream


class StreamCodec:
    """A codec writing :mod:`.stream` files with pickle (or dill)."""

    def __init__(self, name: str, kind: str, claims: Callable[[object], bool], *,
                 use_dill: bool = False) -> None:
        self.name = name
        self.kind = kind
        self._claims = claims
        self._use_dill = use_dill

    def handles(self, value: object) -> bool:
        return self._claims(value)

    def save(self, value: object, directory: Path) -> dict[str, str]:
        return write_stream(directory, value, use_dill=self._use_dill,
                            algorithm=preferred_algorithm())

    def load(self, directory: Path) -> object:
        return read_stream(directory, use_dill=self._use_dill)

    def __repr__(self) -> str:
        return f"StreamCodec({self.name!r})"


def needs_dill(value: object) -> bool:
    """Functions pickle cannot name (lambdas, closures, renamed defs), here or one level in.

    Catching the obvious cases up front saves a doomed pickle pass over large data;
    deeper ones are caught when pickle fails.
    """
    if isinstance(value, dict):
        return any(_unnameable(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_unnameable(item) for item in value)
    return _unnameable(value)


def _unnameable(value: object) -> bool:
    return isinstance(value, types.FunctionType) and not referable(value)


def _classes_from(value: object, package: str) -> bool:
    return any(cls.__module__.partition(".")[0] == package for cls in type(value).__mro__)


def _numpy_data(value: object) -> bool:
    if not _classes_from(value, "numpy"):
        return False
    numpy = sys.modules["numpy"]
    return isinstance(value, (numpy.ndarray, numpy.generic))


def _pandas_data(value: object) -> bool:
    if not _classes_from(value, "pandas"):
        return False
    pandas = sys.modules["pandas"]
    return isinstance(value, (pandas.DataFrame, pandas.Series, pandas.Index))


def _sklearn_model(value: object) -> bool:
    return not isinstance(value, type) and _classes_from(value, "sklearn")


def _torch_model(value: object) -> bool:
    return any(f"{cls.__module__}.{cls.__qualname__}" == "torch.nn.modules.module.Module"
               for cls in type(value).__mro__)


NUMPY = StreamCodec("numpy", DATASET, _numpy_data)
PANDAS = StreamCodec("pandas", DATASET, _pandas_data)
SKLEARN = StreamCodec("sklearn", MODEL, _sklearn_model)
TORCH = StreamCodec("torch", MODEL, _torch_model)
PICKLE = StreamCodec("pickle", ARTIFACT, lambda value: not needs_dill(value))
DILL = StreamCodec("dill", ARTIFACT, lambda value: True, use_dill=True)


@functools.cache
def default_registry() -> CodecRegistry:
    """The registry :func:`save_group` and :func:`load_group` use."""
    return CodecRegistry([NUMPY, PANDAS, SKLEARN, TORCH, PICKLE], fallback=DILL)


def bundle_codec(bundle: dict[str, object]) -> StreamCodec:
    """Groups of several values are one pickled dict, so shared objects stay shared."""
    return DILL if needs_dill(bundle) else PICKLE

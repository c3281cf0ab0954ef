"""Throughput of save_group/load_group against plain pickle, for one big array and one big frame.

    python bench/bench_marshal.py [--size-mb 1024] [--repeat 3] [--dir /tmp]

Each operation is timed separately (median of ``--repeat`` runs) after ``os.sync()``, so
dirty pages from the previous run do not slow the next one. The page cache stays warm
(both sides read back what was just written). "load" is what ``load_group`` /
``pickle.load`` return; "load+touch" adds reading one byte per 4 KiB page, because
``load_group`` maps the file and pages arrive on first access, while pickle reads
everything up front. The baseline is ``pickle.dump``/``pickle.load`` with protocol 5,
in-band, to a file.

``load_group`` verifies every file against the checksum recorded when it was written
(XXH3-128, about 0.05 s of CPU per GiB). Step processes defer the check of large files
to a background thread that runs beside the step's work; the "deferred check" rows
measure that (load, touch, then wait for the check), so both costs are shown. Values a
step of the same run wrote (and the runner saw finish well) are loaded without the
check (``verify=False``); the "trusted" rows measure that load.
"""
from __future__ import annotations

import argparse
import functools
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Run as a plain script (python bench/...), not under pytest: this tree's kale_like first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kale_like.marshal import MarshalContext, confirm_loaded, load_group, save_group

PAGE = 4096
COLUMNS = 8


@dataclass
class Timing:
    save: float
    load: float
    touch: float  # reading every page after load
    deferred: float = 0.0  # load with the large-file check in the background, touch, wait for the check
    trusted: float = 0.0  # load without the check (a value written in this run), touch


def make_array(nbytes: int) -> np.ndarray:
    return np.random.default_rng(0).random(nbytes // 8)


def make_frame(nbytes: int) -> pd.DataFrame:
    rows = nbytes // (8 * COLUMNS)
    rng = np.random.default_rng(1)
    columns: dict[str, Any] = {f"f{i}": rng.random(rows) for i in range(COLUMNS - 2)}
    columns["i0"] = rng.integers(0, 1 << 40, rows)
    columns["i1"] = np.arange(rows)
    return pd.DataFrame(columns)


def touch(value: Any) -> None:
    """Read one byte per page of every array, so lazily mapped pages are really loaded."""
    arrays = [value] if isinstance(value, np.ndarray) else [
        value[name].to_numpy() for name in value.columns]
    for array in arrays:
        int(array.reshape(-1).view(np.uint8)[::PAGE].sum())


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    os.sync()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def run_marshal(value: Any, work: Path) -> Timing:
    directory = work / "group"
    save, _ = timed(lambda: save_group(directory, {"value": value}, MarshalContext("bench", {})))
    load, loaded = timed(lambda: load_group(directory)["value"])
    touched, _ = timed(functools.partial(touch, loaded))
    _check(value, loaded)
    del loaded
    deferred, _ = timed(lambda: _load_deferred(directory))
    trusted, _ = timed(lambda: touch(load_group(directory, verify=False)["value"]))
    shutil.rmtree(directory)
    return Timing(save, load, touched, deferred, trusted)


def _load_deferred(directory: Path) -> None:
    loaded = load_group(directory, defer_large=True)["value"]
    touch(loaded)
    confirm_loaded()


def run_pickle(value: Any, work: Path) -> Timing:
    path = work / "plain.pkl"

    def dump() -> None:
        with open(path, "wb") as file:
            pickle.dump(value, file, protocol=5)

    def load() -> Any:
        with open(path, "rb") as file:
            return pickle.load(file)

    save, _ = timed(dump)
    load_time, loaded = timed(load)
    touched, _ = timed(functools.partial(touch, loaded))
    del loaded
    path.unlink()
    return Timing(save, load_time, touched)


def _check(original: Any, loaded: Any) -> None:
    if isinstance(original, np.ndarray):
        assert loaded.shape == original.shape and loaded[-1] == original[-1]
    else:
        assert loaded.shape == original.shape and loaded.iloc[-1].equals(original.iloc[-1])


def median(timings: list[Timing]) -> Timing:
    return Timing(*(statistics.median(getattr(t, field) for t in timings)
                    for field in ("save", "load", "touch", "deferred", "trusted")))


def report(name: str, nbytes: int, ours: Timing, plain: Timing) -> list[str]:
    gb = nbytes / 1e9
    rows = [
        ("save", ours.save, plain.save),
        ("load", ours.load, plain.load),
        ("load+touch", ours.load + ours.touch, plain.load + plain.touch),
        ("save+load+touch", ours.save + ours.load + ours.touch,
         plain.save + plain.load + plain.touch),
        ("deferred check", ours.deferred, plain.load + plain.touch),
        ("save+deferred", ours.save + ours.deferred, plain.save + plain.load + plain.touch),
        ("trusted", ours.trusted, plain.load + plain.touch),
        ("save+trusted", ours.save + ours.trusted, plain.save + plain.load + plain.touch),
    ]
    return [f"{name:<10} {op:<16} {mine:>8.3f} {gb / mine:>8.2f} {base:>8.3f} {gb / base:>8.2f}"
            f" {base / mine:>8.1f}x" for op, mine, base in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    nbytes = args.size_mb * (1 << 20)
    # Each run deletes its files: keeping them made later writes land on never-used
    # memory pages, which this VM backs slowly (0.4 GB/s instead of 2+ GB/s).
    needed = 3 * nbytes
    free = shutil.disk_usage(args.dir).free
    if free < needed:
        sys.exit(f"need {needed / 1e9:.1f} GB free in {args.dir}, have {free / 1e9:.1f} GB;"
                 " use --size-mb to shrink")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"{os.cpu_count()} cpus, {args.size_mb} MiB per value, median of {args.repeat}")
    print(f"{'value':<10} {'operation':<16} {'ours s':>8} {'GB/s':>8} {'pickle s':>8} "
          f"{'GB/s':>8} {'speedup':>9}")
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_marshal.") as work:
        run_marshal(make_frame(1 << 20), Path(work))  # one-time imports stay out of the timings
        for name, make in (("ndarray", make_array), ("DataFrame", make_frame)):
            value = make(nbytes)
            size = value.nbytes if isinstance(value, np.ndarray) else int(
                value.memory_usage(index=True).sum())
            ours, plain = [], []
            for _ in range(args.repeat):  # interleaved, so both see the same machine state
                ours.append(run_marshal(value, Path(work)))
                plain.append(run_pickle(value, Path(work)))
            print("\n".join(report(name, size, median(ours), median(plain))))
            del value


if __name__ == "__main__":
    main()

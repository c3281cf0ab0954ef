"""Every benchmark, one command: ``python bench/run_all.py [--quick]``.

Each benchmark measures kale_like and its peer (nbclient, plain pickle, papermill's
default engine, kfp's own compiler) side by side in the same run and prints ratios.
``--quick`` shrinks sizes and repeats for a smoke run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = [
        ("local run vs nbclient", ["bench_local.py", "--repeat", "1" if args.quick else "3"]),
        ("marshal vs pickle", ["bench_marshal.py", *(["--size-mb", "128", "--repeat", "1"] if args.quick else [])]),
        ("papermill engine", ["bench_papermill.py", "--repeat", "1" if args.quick else "2"]),
        ("KFP compile", ["bench_compile.py"]),
        ("scale: overhead per step, 10 to 5,000 steps", ["bench_scale.py", *(["--quick"] if args.quick else [])]),
    ]
    failed = 0
    for title, command in runs:
        print(f"\n=== {title} ===", flush=True)
        result = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]])
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

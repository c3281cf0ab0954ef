"""Options more than one ``kale-like`` command takes, declared once.

Each helper adds its options in the order ``--help`` shows them; the help text is a
parameter where commands word it differently (``compile`` says what a parameter means
for the IR, ``run`` only how it is parsed).
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # What ArgumentParser.add_subparsers() returns (argparse keeps the class's name private).
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

SPLIT_HELP = "how to cut the notebook into steps (auto: tags if any, else markdown headings, else cells)"
PARAMETER_HELP = "set a parameter (value parsed as papermill does)"


def add_notebook(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook")


def add_split(parser: argparse.ArgumentParser, help: str = SPLIT_HELP) -> None:
    from ..splitting import SPLITS

    parser.add_argument("--split", default="auto", choices=SPLITS, help=help)


def add_parameters(parser: argparse.ArgumentParser, help: str = PARAMETER_HELP) -> None:
    """``-p/-r/-f/-y``: papermill's four ways to give parameter values."""
    parser.add_argument("-p", "--parameters", nargs=2, action="append", metavar=("NAME", "VALUE"), help=help)
    parser.add_argument("-r", "--parameters-raw", nargs=2, action="append", metavar=("NAME", "RAW"),
                        help="set a parameter to a raw string")
    parser.add_argument("-f", "--parameters-file", action="append", metavar="YAML", help="parameters from a YAML file")
    parser.add_argument("-y", "--parameters-yaml", action="append", metavar="YAML", help="parameters as a YAML string")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The parameter values :func:`add_parameters`' options gave, merged as papermill does."""
    from ..parameters import collect

    return collect(args.parameters, args.parameters_raw, args.parameters_file, args.parameters_yaml)


def add_image(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--image", help=help)


def add_backend(parser: argparse.ArgumentParser, help: str) -> None:
    """``--backend``: the registry's backends that run here (a cluster is ``kfp submit``'s)."""
    from ..backends import backend_names

    parser.add_argument("--backend", default="local", choices=backend_names(remote=False), help=help)


def warn(warnings: Any) -> None:
    import sys

    for warning in warnings:
        print(f"kale-like: warning: {warning}", file=sys.stderr)

"""``kale-like compile | submit | image``: Kubeflow Pipelines from the command line.

Registered by :mod:`kale_like.cli.app`, which maps errors to exit codes; the
handlers here only parse, call :mod:`kale_like.api`, and print.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from .options import add_image, add_notebook, add_parameters, add_split, overrides, warn

if TYPE_CHECKING:
    from ..kfp.options import CompileOptions
    from .options import Subcommands


def register(sub: Subcommands) -> None:
    compile_ = sub.add_parser("compile", help="compile the notebook to Kubeflow Pipelines IR YAML")
    add_notebook(compile_)
    compile_.add_argument("-o", "--output", help="IR YAML to write (default: NOTEBOOK.yaml beside it)")
    compile_.add_argument("--dsl", nargs="?", const=True, default=None, metavar="PY",
                          help="also write the generated component module (default: NOTEBOOK_pipeline.py)")
    _common(compile_)
    compile_.set_defaults(handler=_compile)

    submit = sub.add_parser("submit", help="compile and submit the notebook to a Kubeflow Pipelines server")
    add_notebook(submit)
    submit.add_argument("--host", help="KFP API endpoint (default: notebook metadata, then KF_PIPELINES_ENDPOINT)")
    submit.add_argument("--experiment", help="experiment name (default: notebook metadata, then 'Default')")
    submit.add_argument("--pipeline-name", help="pipeline name on the server (default: the notebook's)")
    submit.add_argument("--run-name", help="run name (default: pipeline name and time)")
    submit.add_argument("--upload-only", action="store_true", help="upload the pipeline (or a new version) only")
    submit.add_argument("--wait", action="store_true", help="wait until the run ends; exit 1 unless it succeeded")
    submit.add_argument("--timeout", type=float, default=24 * 3600, help="seconds to wait with --wait")
    submit.add_argument("--poll-interval", type=float, default=5.0, help="seconds between state checks with --wait")
    submit.add_argument("--token", help="bearer token (default: KF_PIPELINES_TOKEN, then a service-account token)")
    submit.add_argument("--cookie", help="raw Cookie header, e.g. 'authservice_session=…'")
    submit.add_argument("--namespace", help="Kubernetes namespace (multi-user deployments)")
    submit.add_argument("--ui-host", help="base URL for run links (default: the host)")
    _common(submit)
    submit.set_defaults(handler=_submit)

    image = sub.add_parser("image", help="write a Dockerfile that bakes the notebook's pinned requirements")
    add_notebook(image)
    image.add_argument("-o", "--output", help="build folder (default: NOTEBOOK-image beside the notebook)")
    image.add_argument("--base", help="base image (default: python:X.Y-slim matching this Python; Debian's "
                                      "python3 works too)")
    image.add_argument("--ca-bundle", metavar="PEM", help="CA bundle pip trusts during the build (a TLS proxy)")
    image.add_argument("--index-url", metavar="URL", help="package index to build from (default: pip's)")
    image.set_defaults(handler=_image)


def _common(parser: argparse.ArgumentParser) -> None:
    add_split(parser, help="how to cut the notebook into steps")
    add_parameters(parser, help="set a parameter (compile: its default in the IR; submit: the run's value; "
                                "parsed as papermill does)")
    add_image(parser, help="image of every step (default: notebook metadata, then the Kubeflow notebook "
                           "server's own image, then python:X.Y installing requirements at step start)")
    parser.add_argument("--install", action="store_true", default=None,
                        help="pip-install the notebook's pinned requirements when each step starts "
                             "(default: only when no image is given)")
    parser.add_argument("--no-install", dest="install", action="store_false",
                        help="never install at step start (air-gapped clusters; needs --image)")
    parser.add_argument("--package", action="append", default=[], metavar="SPEC",
                        help="also install SPEC at step start (implies --install)")
    parser.add_argument("--pip-index-url", action="append", default=[], metavar="URL", help="package index to install from")
    parser.add_argument("--html", default="auto", choices=["auto", "nbconvert", "simple"],
                        help="how each step renders its executed cells for the KFP UI")


def _options(args: argparse.Namespace, parameters: dict[str, Any]) -> CompileOptions:
    from ..kfp.options import CompileOptions

    return CompileOptions(image=args.image, install=args.install, packages=tuple(args.package),
                          pip_index_urls=tuple(args.pip_index_url), html=args.html, parameters=parameters)


def _compile(args: argparse.Namespace) -> int:
    from .. import api

    given = overrides(args)
    stem = os.path.splitext(os.path.abspath(args.notebook))[0]
    output = args.output or stem + ".yaml"
    dsl = (os.path.splitext(os.path.abspath(output))[0] + "_pipeline.py") if args.dsl is True else args.dsl
    compiled = api.compile(args.notebook, output, split=args.split, parameters=given, dsl=dsl,
                           options=_options(args, given))
    warn(compiled.warnings)
    print(f"kale-like: {compiled.image_reason}", file=sys.stderr)
    print(f"kale-like: {len(compiled.components)} components compiled in {compiled.seconds:.1f}s: "
          f"{compiled.package_path}", file=sys.stderr)
    if compiled.module_path:
        print(f"kale-like: component module: {compiled.module_path}", file=sys.stderr)
    return 0


def _submit(args: argparse.Namespace) -> int:
    from .. import api

    given = overrides(args)
    result = api.submit(args.notebook, host=args.host, experiment=args.experiment, pipeline_name=args.pipeline_name,
                        run_name=args.run_name, parameters=given, upload_only=args.upload_only, wait=args.wait,
                        timeout=args.timeout, poll_interval=args.poll_interval, token=args.token, cookies=args.cookie, namespace=args.namespace,
                        ui_host=args.ui_host, split=args.split, options=_options(args, {}),
                        on_status=lambda state: print(f"kale-like: run state: {state}", file=sys.stderr))
    print(f"kale-like: pipeline {result.pipeline_id} version {result.version_id}", file=sys.stderr)
    if args.upload_only:
        return 0
    print(f"kale-like: run {result.run_id}: {result.run_url}", file=sys.stderr)
    if args.wait:
        print(f"kale-like: run finished: {result.state}", file=sys.stderr)
        return 0 if result.state == "SUCCEEDED" else 1
    return 0


def _image(args: argparse.Namespace) -> int:
    from ..kfp.image import write_image_context
    from ..notebook import load_notebook

    notebook = load_notebook(args.notebook)
    folder = args.output or os.path.splitext(os.path.abspath(args.notebook))[0] + "-image"
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        from ..errors import KaleLikeError

        raise KaleLikeError(f"--ca-bundle: no such file: {args.ca_bundle}")
    context = write_image_context(notebook, folder, args.base, args.ca_bundle, args.index_url)
    warn([f"'{m}' is imported but not installed here; add it to requirements.txt" for m in context.requirements.missing])
    print(f"kale-like: wrote {context.dockerfile} ({len(context.requirements.pinned)} requirements from imports, "
          f"{len(context.constraints)} pinned in constraints.txt)", file=sys.stderr)
    print(f"kale-like: build with: docker build -t REGISTRY/NAME:TAG {context.folder}", file=sys.stderr)
    print(f"kale-like: then: kale-like compile {args.notebook} --image REGISTRY/NAME:TAG", file=sys.stderr)
    return 0


"""How a notebook is compiled for Kubeflow Pipelines: plain values, read once at the edge."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import KaleLikeError

HTML_MODES = ("auto", "nbconvert", "simple")


def default_image() -> str:
    """The stock Python image matching this interpreter (steps install what they need on it)."""
    return "python:{}.{}".format(*sys.version_info[:2])


@dataclass(frozen=True)
class CompileOptions:
    image: str | None = None                 # base image; else notebook metadata; else see resolve_image
    install: bool | None = None              # pip-install the pinned requirements at step start;
                                             # None: only when no image is known (see resolve_image)
    packages: tuple[str, ...] = ()           # more packages to install at step start (implies install)
    pip_index_urls: tuple[str, ...] = ()     # mirrors for installing (air-gapped clusters)
    html: str = "auto"                       # step HTML: nbconvert when importable, else simple
    parameters: dict[str, Any] = field(default_factory=dict)  # overrides the run will pass
    ship_local_modules: bool = True          # embed modules imported from the notebook's folder
    image_reason: str = ""                   # why this image (filled in by resolve_image)

    def __post_init__(self) -> None:
        if self.html not in HTML_MODES:
            raise ValueError(f"html must be one of {', '.join(HTML_MODES)}")

    @property
    def installs(self) -> bool:
        return bool(self.install) or bool(self.packages)


class ImageRequired(KaleLikeError):
    """``--no-install`` without an image: nothing would provide the notebook's libraries."""


def resolve_image(options: CompileOptions, plan: Any, environ: dict[str, str] | None = None) -> CompileOptions:
    """The steps' image and whether they install at start, decided once, with the reason.

    An image given (``--image``, then the notebook's metadata) is trusted to hold the
    notebook's libraries. Without one: inside a Kubeflow notebook server its own image
    (it runs the notebook, so it has them: Kale's behaviour); otherwise the stock Python
    image, installing the notebook's pinned requirements when each step starts — unless
    installing is forbidden (``--no-install``, air-gapped clusters), which needs an image.
    """
    from .notebook_server import notebook_server_image

    given = options.image or getattr(plan.pipeline, "base_image", None)
    if given:
        source = "--image" if options.image else "the notebook's metadata"
        return replace(options, image=given, install=bool(options.install),
                       image_reason=f"steps run in {given} (from {source})")
    server = notebook_server_image(environ)
    if server:
        return replace(options, image=server, install=bool(options.install),
                       image_reason=f"steps run in {server}, this Kubeflow notebook server's own image")
    if options.install is False and not options.packages:
        raise ImageRequired("--no-install needs an image that holds the notebook's libraries",
                            hint="build one with 'kale-like image NOTEBOOK -o DIR', push it, and pass --image "
                                 "REGISTRY/NAME:TAG (or set kale_like.base_image in the notebook's metadata)")
    return replace(options, image=default_image(), install=True,
                   image_reason=f"steps run in {default_image()} and pip-install the notebook's pinned "
                                f"requirements when they start (needs network; --image IMAGE or --no-install "
                                f"to avoid it)")

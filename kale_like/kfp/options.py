"""How a notebook is compiled for Kubeflow Pipelines: plain values, read once at the edge."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

HTML_MODES = ("auto", "nbconvert", "simple")


def default_image() -> str:
    """The Python image matching this interpreter (it lacks kale_like: see ``kale-like image``)."""
    return "python:{}.{}".format(*sys.version_info[:2])


@dataclass(frozen=True)
class CompileOptions:
    image: str | None = None                 # base image; else notebook metadata; else python:X.Y
    install: bool = False                    # pip-install the inferred requirements at step start
    packages: tuple[str, ...] = ()           # more packages to install at step start (implies install)
    pip_index_urls: tuple[str, ...] = ()     # mirrors for installing (air-gapped clusters)
    html: str = "auto"                       # step HTML: nbconvert when importable, else simple
    parameters: dict[str, Any] = field(default_factory=dict)  # overrides the run will pass
    ship_local_modules: bool = True          # embed modules imported from the notebook's folder

    def __post_init__(self) -> None:
        if self.html not in HTML_MODES:
            raise ValueError(f"html must be one of {', '.join(HTML_MODES)}")

    @property
    def installs(self) -> bool:
        return self.install or bool(self.packages)

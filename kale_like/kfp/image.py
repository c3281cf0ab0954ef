"""A Docker build context whose image runs the notebook's steps with nothing to install.

``Dockerfile`` + ``requirements.txt`` (the notebook's imports pinned to the
versions installed here, plus what kale_like and the KFP executor need) + a copy
of the ``kale_like`` package. Steps compiled with ``--image`` set to the built tag
start without any download, which is what air-gapped clusters need.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from .. import __version__
from ..errors import KaleLikeError
from ..notebook import Notebook
from ..notebook.tags import IMAGE_REF
from .header import comment_text
from .options import default_image
from .requirements import Requirements, find_requirements


@dataclass(frozen=True)
class ImageContext:
    folder: str
    dockerfile: str
    requirements: Requirements
    base_image: str


def write_image_context(notebook: Notebook, folder: str, base_image: str | None = None) -> ImageContext:
    requirements = find_requirements(notebook)
    base = base_image or default_image() + "-slim"
    os.makedirs(folder, exist_ok=True)
    lines = list(dict.fromkeys(requirements.pinned + requirements.runtime))
    with open(os.path.join(folder, "requirements.txt"), "w", encoding="utf-8") as handle:
        handle.write("# The notebook's imports, pinned to the versions it ran with, and what kale_like needs\n")
        handle.write("\n".join(lines) + "\n")
    _copy_package(os.path.join(folder, "kale_like"))
    dockerfile = os.path.join(folder, "Dockerfile")
    with open(dockerfile, "w", encoding="utf-8") as handle:
        handle.write(render_dockerfile(notebook.path or "notebook", base, requirements))
    return ImageContext(os.path.abspath(folder), dockerfile, requirements, base)


def render_dockerfile(notebook: str, base: str, requirements: Requirements) -> str:
    if not IMAGE_REF.fullmatch(base):
        raise KaleLikeError(f"{comment_text(base)!r} is not a container image reference",
                            hint="e.g. python:3.11-slim or registry.example/team/image:tag")
    # File names are the user's text: escaped, so that none can start a Dockerfile instruction.
    missing = "".join(f"# not installed here, add it yourself: {comment_text(name)}\n" for name in requirements.missing)
    local = "".join(f"# local module (embedded in the pipeline, not installed): {comment_text(os.path.basename(p))}\n"
                    for p in requirements.local)
    return (
        f"# Image for the pipeline steps of {comment_text(os.path.basename(notebook))}, "
        f"written by kale_like {__version__}.\n"
        f"# Build: docker build -t REGISTRY/NAME:TAG .   then compile with --image REGISTRY/NAME:TAG\n"
        f"{missing}{local}"
        f"FROM {base}\n"
        f"ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1\n"
        f"COPY requirements.txt /opt/kale_like/requirements.txt\n"
        f"RUN python3 -m pip install --no-cache-dir -r /opt/kale_like/requirements.txt\n"
        f"COPY kale_like /opt/kale_like/kale_like\n"
        f"ENV PYTHONPATH=/opt/kale_like\n"
        f"RUN python3 -c \"import kale_like.runtime.kfp_entry, kfp.dsl.executor_main\"\n"
    )


def _copy_package(target: str) -> None:
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.exists(target):
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "labextension"))

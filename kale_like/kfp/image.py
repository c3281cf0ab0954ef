"""A Docker build context whose image runs the notebook's steps with nothing to install.

``Dockerfile`` + ``requirements.txt`` (the notebook's imports pinned to the versions
installed here, plus kfp and what kale_like's step runtime imports) + ``constraints.txt``
(the whole dependency closure, pinned from this environment). kale_like itself is not
in the image: its runtime travels inside every component (see :mod:`.runtime_bundle`).
kfp is installed without its dependencies, as kfp's own step prelude does: a step runs
only kfp's executor, which needs nothing else (the client, Kubernetes and cloud-storage
libraries would triple the image for nothing).

The base may be a stock ``python`` image or Debian's ``python3``, whose environment is
marked externally managed (PEP 668) and makes pip refuse to install. The Dockerfile sets
``PIP_BREAK_SYSTEM_PACKAGES=1`` rather than creating a venv: the image has one purpose,
a venv would need Debian's ``python3-venv`` (missing from stock ``python3`` images) and a
``PATH`` change that kfp's ``python3`` command must follow, and pips that predate the
marker ignore the variable. Builds behind a TLS-inspecting proxy or a private index pass
``ca_bundle`` (copied into the context, used by pip during the build only) and
``index_url``.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass

from .._version import __version__
from ..errors import KaleLikeError
from ..notebook import Notebook
from ..notebook.tags import IMAGE_REF
from .constraints import dependency_closure
from .header import comment_text
from .options import default_image
from .requirements import Requirements, find_requirements

CA_FILE = "build-ca.pem"


@dataclass(frozen=True)
class ImageContext:
    folder: str
    dockerfile: str
    requirements: Requirements
    base_image: str
    constraints: tuple[str, ...] = ()


def write_image_context(notebook: Notebook, folder: str, base_image: str | None = None,
                        ca_bundle: str | None = None, index_url: str | None = None) -> ImageContext:
    requirements = find_requirements(notebook)
    base = base_image or default_image() + "-slim"
    os.makedirs(folder, exist_ok=True)
    for stale in ("kale_like", CA_FILE):  # earlier versions copied kale_like in; an old CA must not linger
        path = os.path.join(folder, stale)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    kfp = next((r for r in requirements.runtime if r.split("==")[0] == "kfp"), "kfp")
    lines = [r for r in dict.fromkeys(requirements.pinned + requirements.runtime) if r != kfp]
    _write(folder, "requirements.txt",
           "# The notebook's imports, pinned to the versions it ran with, and what kale_like's steps need\n"
           + "\n".join(lines) + "\n")
    constraints = tuple(dependency_closure([line.split("==")[0] for line in lines]))
    _write(folder, "constraints.txt",
           "# Every dependency of requirements.txt, pinned to the environment the notebook ran in\n"
           + "\n".join(constraints) + "\n")
    if ca_bundle:
        shutil.copyfile(ca_bundle, os.path.join(folder, CA_FILE))
    dockerfile = os.path.join(folder, "Dockerfile")
    _write(folder, "Dockerfile", render_dockerfile(notebook.path or "notebook", base, requirements,
                                                   bool(ca_bundle), index_url, kfp))
    return ImageContext(os.path.abspath(folder), dockerfile, requirements, base, constraints)


def render_dockerfile(notebook: str, base: str, requirements: Requirements, ca_bundle: bool = False,
                      index_url: str | None = None, kfp: str = "kfp") -> str:
    if not IMAGE_REF.fullmatch(base):
        raise KaleLikeError(f"{comment_text(base)!r} is not a container image reference",
                            hint="e.g. python:3.11-slim or registry.example/team/image:tag")
    if index_url is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"\\]+", index_url):
        raise KaleLikeError(f"--index-url {comment_text(index_url)!r} is not a URL",
                            hint="e.g. https://pypi.internal/simple")
    # File names are the user's text: escaped, so that none can start a Dockerfile instruction.
    missing = "".join(f"# not installed here, add it yourself: {comment_text(name)}\n" for name in requirements.missing)
    local = "".join(f"# local module (shipped inside the pipeline, not installed): {comment_text(os.path.basename(p))}\n"
                    for p in requirements.local)
    copied = ["requirements.txt", "constraints.txt"] + ([CA_FILE] if ca_bundle else [])
    pip_env = "PIP_CERT=/opt/kale_like/build-ca.pem " if ca_bundle else "PIP_NO_INPUT=1 "
    index = f" --index-url {index_url}" if index_url else ""
    install = f"python3 -m pip install --no-cache-dir{index} -r requirements.txt"
    return (
        f"# Image for the pipeline steps of {comment_text(os.path.basename(notebook))}, "
        f"written by kale_like {__version__}.\n"
        f"# Build: docker build -t REGISTRY/NAME:TAG .   then compile with --image REGISTRY/NAME:TAG\n"
        f"{missing}{local}"
        f"FROM {base}\n"
        f"# Debian's python3 is marked externally managed (PEP 668); this image exists to hold these packages.\n"
        f"ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_BREAK_SYSTEM_PACKAGES=1 PYTHONDONTWRITEBYTECODE=1\n"
        f"COPY {' '.join(copied)} /opt/kale_like/\n"
        + f"RUN export {pip_env}&& cd /opt/kale_like && {install} -c constraints.txt \\\n"
          f" && python3 -m pip install --no-cache-dir{index} --no-deps '{kfp}'"
        + (f" \\\n && rm {CA_FILE}\n" if ca_bundle else "\n")
        # As a step imports them: kfp's executor under _KFP_RUNTIME needs none of kfp's dependencies.
        + "RUN _KFP_RUNTIME=true python3 -c \"import IPython, dill, kfp.dsl.executor_main\"\n"
    )


def _write(folder: str, name: str, text: str) -> None:
    with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
        handle.write(text)

"""Kubeflow Pipelines: the notebook's pipeline as real KFP v2 components.

``codegen`` writes one readable Python module with one self-contained component
function per step; ``compile`` imports it and runs the real ``kfp`` compiler;
``submit`` talks to a KFP server through ``kfp.Client``; ``image`` writes a
Dockerfile that bakes the notebook's requirements. Nothing here imports ``kfp``
at module import time: ``kale_like`` works without the ``kfp`` extra installed.
"""
from __future__ import annotations

from .options import CompileOptions

__all__ = ["CompileOptions"]

"""kale_like as a papermill engine, and per-step executed notebooks.

``papermill in.ipynb out.ipynb -p alpha 0.5 --engine kale_like`` runs the notebook
as a kale_like pipeline (see :mod:`kale_like.papermill.engine`). Importing this
package does not import papermill; the engine module does, and names the pip
extra to install when it is missing.
"""
from __future__ import annotations

ENGINE_NAME = "kale_like"
ENTRY_POINT = "kale_like.papermill._engine:KaleLikeEngine"

__all__ = ["ENGINE_NAME", "ENTRY_POINT"]

"""Where a run writes when the caller does not say: the same for every backend."""
from __future__ import annotations

import hashlib
import os


def default_workdir(notebook_path: str | None) -> str:
    """Step results and the cache: one folder per notebook under the user's cache directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    ident = hashlib.sha256(os.path.abspath(notebook_path or "notebook").encode()).hexdigest()[:12]
    stem = os.path.splitext(os.path.basename(notebook_path or "notebook"))[0]
    return os.path.join(base, "kale_like", f"{stem}-{ident}")


def default_output(notebook_path: str | None) -> str:
    """The executed notebook: NOTEBOOK.executed.ipynb next to the notebook."""
    stem, _ = os.path.splitext(os.path.abspath(notebook_path or "notebook.ipynb"))
    return stem + ".executed.ipynb"

"""Import nbformat without paying for a format checker we never use.

jsonschema imports ``rfc3987_syntax`` (a grammar compiled at import time) when it
is installed, which makes ``import nbformat`` take seconds. nbformat validates
notebook structure, not IRIs, so in a fresh process we leave that optional
checker out. A process that already imported jsonschema (a Jupyter server) is
left untouched.
"""
from __future__ import annotations

import sys
from types import ModuleType


def load_nbformat() -> ModuleType:
    if "nbformat" in sys.modules:
        return sys.modules["nbformat"]
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes its import fail fast
        try:
            import nbformat
        finally:
            del sys.modules["rfc3987_syntax"]
        return nbformat
    import nbformat

    return nbformat

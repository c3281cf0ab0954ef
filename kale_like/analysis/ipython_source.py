"""Turn cell source into Python the way IPython does (magics, ``!shell``, ``?`` help).

IPython's own ``TransformerManager`` is used, so a cell means in a pipeline step
exactly what it means in Jupyter. It is imported only when a cell needs it, which
keeps ``kale-like validate`` fast on notebooks without magics.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily at run time (see above)
    from IPython.core.inputtransformer2 import TransformerManager

# A line that IPython would rewrite: magics, shell escapes, help, or assignments from them.
_NEEDS_IPYTHON = re.compile(
    r"^\s*(%|!|\?)|\?\s*$|^\s*[\w.,\s\[\]()*]+=\s*(%|!)", re.MULTILINE)


def to_python(source: str) -> str:
    """Return the Python that IPython would execute for ``source``."""
    if not _NEEDS_IPYTHON.search(source):
        return source
    return _transformer().transform_cell(source)


@lru_cache(maxsize=1)
def _transformer() -> TransformerManager:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()

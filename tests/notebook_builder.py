"""The one way tests build notebooks: nbformat's own constructors, never hand-written JSON."""
from __future__ import annotations

from typing import Any

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def build_notebook(*cells: Any, metadata: dict | None = None):
    """Cells are sources, ``(source, [tags])`` pairs, or ``("# md", "markdown")``."""
    built = []
    for cell in cells:
        if isinstance(cell, tuple) and cell[1] == "markdown":
            built.append(new_markdown_cell(cell[0]))
        elif isinstance(cell, tuple):
            built.append(new_code_cell(cell[0], metadata={"tags": list(cell[1])}))
        else:
            built.append(new_code_cell(cell))
    return new_notebook(cells=built, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}, **({"kale_like": metadata} if metadata else {})})

"""The executed notebook: outputs of every step merged back into a copy of the notebook, in
notebook order; written atomically. The source notebook is only ever read."""
from __future__ import annotations

from typing import Any

INJECTED_TAG = "injected-parameters"


def parameters_source(values: dict[str, Any]) -> str:
    """The injected cell's text, as papermill writes it (its translator when installed)."""
    from ..parameters import check_names

    check_names(values)  # each name becomes an assignment target: never code
    try:
        from papermill.translators import translate_parameters

        return translate_parameters("python", "python", values, "Parameters")
    except ImportError:
        lines = ["# Parameters"] + [f"{name} = {value!r}" for name, value in values.items()]
        return "\n".join(lines) + "\n"


def merge_outputs(node: Any, records: dict[int, dict], parameters: dict, parameter_cell: int | None,
                  injected_count: int | None, run_metadata: dict) -> Any:
    """Return ``node`` (a copy of the source notebook) with outputs and counts filled in."""
    from ..nbformat_loader import load_nbformat
    nbformat = load_nbformat()

    for index, cell in enumerate(node.cells):
        if cell.cell_type != "code":
            continue
        record = records.get(index)
        cell.outputs = [nbformat.from_dict(o) for o in record["outputs"]] if record else []
        cell.execution_count = record["execution_count"] if record else None
    if parameters:
        injected = nbformat.v4.new_code_cell(parameters_source(parameters),
                                             metadata={"tags": [INJECTED_TAG]})
        injected.execution_count = injected_count
        old = [i for i, c in enumerate(node.cells) if INJECTED_TAG in c.get("metadata", {}).get("tags", [])]
        if old:  # papermill replaces an earlier injection in place
            node.cells[old[0]] = injected
        else:
            position = parameter_cell + 1 if parameter_cell is not None else 0
            node.cells.insert(position, injected)
    node.metadata.setdefault("kale_like", {})["run"] = run_metadata
    return node


def write_atomically(node: Any, path: str) -> None:
    """Write the notebook through a temporary file that never outlives the write (see :mod:`kale_like.files`)."""
    from kale_like.files import replace_atomically

    from ..nbformat_loader import load_nbformat
    nbformat = load_nbformat()

    replace_atomically(path, lambda handle: nbformat.write(node, handle), suffix=".ipynb")

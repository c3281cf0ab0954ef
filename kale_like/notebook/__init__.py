"""Notebook files, cells and their tags."""
from .model import Cell, Notebook, NotebookSettings
from .reader import load_notebook, notebook_from_node
from .tags import CellTags, parse_tags

__all__ = ["Cell", "CellTags", "Notebook", "NotebookSettings", "load_notebook",
           "notebook_from_node", "parse_tags"]

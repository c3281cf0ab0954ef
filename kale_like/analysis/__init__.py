"""Static analysis of cell source: pure functions over text, IPython-aware and scope-correct."""

"""The ``kale-like`` command line: one parser, one error-to-exit-code mapping, and a
module per group of commands (``run``/``validate``/``graph``; Kubeflow's ``compile``,
``submit``, ``image``; ``papermill``) sharing their options through :mod:`.options`."""
from .app import _parser as _parser, main  # _parser: the docs test reads every command's flags

__all__ = ["main"]

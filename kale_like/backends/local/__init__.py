"""The embedded default backend: every step in its own process, on this machine."""
from .runner import LocalBackend

__all__ = ["LocalBackend"]

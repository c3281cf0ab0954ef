"""Backends run a :class:`~kale_like.planning.Plan`. One small protocol, one registry,
also reachable through the ``kale_like.backends`` entry-point group.

The registry is what every surface asks: the CLI's ``--backend`` choices, the server's
check of a run request and its ``info`` reply, and so the panel's backend menu. A
backend added here (or through an entry point) shows up in all of them.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ..contract import Event, EventSink, RunError

if TYPE_CHECKING:  # the registry is read by surfaces that must start fast (CLI, server)
    from ..notebook import Notebook
    from ..planning import Plan

__all__ = ["Backend", "BackendInfo", "Event", "EventSink", "RunOptions", "RunResult", "backend_infos",
           "backend_names", "find_backend", "get_backend", "register"]


@dataclass(frozen=True)
class RunOptions:
    out: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    jobs: int | None = None
    cache: bool = True
    workdir: str | None = None
    target: dict[str, str] = field(default_factory=dict)
    """Where a remote backend sends the pipeline (``host``, ``namespace``, ``token``)."""
    image: str | None = None   # the steps' image, for backends that run the compiled IR in containers


@dataclass
class RunResult:
    ok: bool
    output: str | None = None
    failure: RunError | None = None
    states: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def error(self) -> dict[str, Any] | None:
        """The failure in its wire form (what the server sends and the panel shows)."""
        return self.failure.to_json() if self.failure else None


class Backend(Protocol):
    name: str

    def run(self, plan: "Plan", options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult: ...


Abort = Callable[[], None]


class Preparing(Protocol):
    """Optional: a backend that can start work while the notebook is still being analysed
    (the local backend's warm parent). ``prepare`` returns what undoes it if planning fails."""

    def prepare(self, notebook: "Notebook", workdir: str | None) -> Abort: ...


@dataclass(frozen=True)
class BackendInfo:
    """A registered backend: what surfaces show, and what it needs installed."""

    name: str
    factory: Callable[[], Backend]
    label: str = ""
    requires: str | None = None
    """A module that must be importable (its pip extra is named in ``needs``)."""
    needs: str = ""
    remote: bool = False
    """Hands the pipeline to a cluster and ends with its run page instead of an executed notebook."""

    @property
    def available(self) -> bool:
        return self.requires is None or importlib.util.find_spec(self.requires) is not None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label or self.name, "available": self.available,
                "needs": self.needs, "remote": self.remote}


def _lazy(module: str, attribute: str) -> Callable[[], Backend]:
    """A factory that imports its module on first use, so listing backends stays cheap."""
    def make() -> Backend:
        return getattr(importlib.import_module(module, __name__), attribute)()
    return make


_BUILTINS = (
    BackendInfo("local", _lazy(".local", "LocalBackend"), "Local"),
    BackendInfo("kfp-local", _lazy(".kfp_local", "KfpLocalBackend"), "kfp.local (the compiled IR, on this machine)",
                requires="kfp", needs="kale_like[kfp]"),
    BackendInfo("kfp-docker", _lazy(".kfp_docker", "KfpDockerBackend"),
                "kfp.local in containers (podman or Docker)", requires="kfp", needs="kale_like[kfp]"),
    BackendInfo("kfp", _lazy(".kfp_submit", "KfpSubmitBackend"), "Kubeflow Pipelines", requires="kfp",
                needs="kale_like[kfp]", remote=True),
)
_REGISTRY: dict[str, BackendInfo] = {b.name: b for b in _BUILTINS}
_entry_points_loaded = False


def register(name: str, factory: Callable[[], Backend], label: str = "", requires: str | None = None,
             needs: str = "", remote: bool = False) -> None:
    _REGISTRY[name] = BackendInfo(name, factory, label, requires, needs, remote)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for entry in entry_points(group="kale_like.backends"):
        if entry.name not in _REGISTRY:
            register(entry.name, _entry_factory(entry))


def _entry_factory(entry: Any) -> Callable[[], Backend]:
    return lambda: entry.load()()


def backend_infos() -> list[BackendInfo]:
    """Every known backend, built-ins first."""
    _load_entry_points()
    return list(_REGISTRY.values())


def backend_names(*, available_only: bool = False, remote: bool | None = None) -> list[str]:
    return [b.name for b in backend_infos()
            if (b.available or not available_only) and (remote is None or b.remote == remote)]


def find_backend(name: str) -> BackendInfo | None:
    if name not in _REGISTRY:
        _load_entry_points()
    return _REGISTRY.get(name)


def get_backend(name: str) -> Backend:
    from ..errors import KaleLikeError

    info = find_backend(name)
    if info is None:
        raise KaleLikeError(f"unknown backend '{name}'", hint=f"known backends: {', '.join(backend_names())}")
    if not info.available:
        raise KaleLikeError(f"the '{name}' backend needs {info.requires}", hint=f"pip install '{info.needs}'")
    return info.factory()


def prepare(name: str, notebook: "Notebook", workdir: str | None) -> Abort:
    """Start the named backend's warm-up, if it has one; returns what undoes it."""
    info = find_backend(name)
    backend = get_backend(name) if info is not None and info.available else None
    if backend is None or not hasattr(backend, "prepare"):
        return lambda: None
    return backend.prepare(notebook, workdir)

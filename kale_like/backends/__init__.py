"""Backends run a :class:`~kale_like.build.Plan`. One small protocol, one registry,
also reachable through the ``kale_like.backends`` entry-point group."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ..build import Plan

Event = dict[str, Any]
EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class RunOptions:
    out: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    jobs: int | None = None
    cache: bool = True
    workdir: str | None = None
    image: str | None = None   # the steps' image, for backends that run the compiled IR in containers


@dataclass
class RunResult:
    ok: bool
    output: str | None = None
    error: dict | None = None
    states: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


class Backend(Protocol):
    name: str

    def run(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult: ...


_REGISTRY: dict[str, Callable[[], Backend]] = {}


def register(name: str, factory: Callable[[], Backend]) -> None:
    _REGISTRY[name] = factory


def get_backend(name: str) -> Backend:
    if name not in _REGISTRY:
        _load_builtins()
    if name not in _REGISTRY:
        from importlib.metadata import entry_points

        for entry in entry_points(group="kale_like.backends"):
            if entry.name == name:
                register(name, entry.load())
    if name not in _REGISTRY:
        from ..errors import KaleLikeError

        raise KaleLikeError(f"unknown backend '{name}'", hint=f"known backends: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]()


def _load_builtins() -> None:
    from .local import LocalBackend

    register("local", LocalBackend)
    try:
        from .kfp_local import KfpLocalBackend  # noqa: F401 - present once the KFP backend lands
    except ImportError:
        return
    register("kfp-local", KfpLocalBackend)
    from .kfp_docker import KfpDockerBackend

    register("kfp-docker", KfpDockerBackend)

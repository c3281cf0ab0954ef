"""The pipeline model: frozen dataclasses that are valid by construction.

A :class:`Pipeline` that exists has unique step names, only known upstream steps
and no cycles. Backends (local, kfp, papermill) consume it; nothing here runs code.
"""
from __future__ import annotations

import graphlib
from dataclasses import dataclass, field
from typing import Any

from .errors import Location, PipelineError

# A step's code as the runtime runs it: part of the model, defined where the step process can
# import it without the rest of the pipeline.
from .runtime.cells import Snippet as Snippet, StepCell as StepCell


@dataclass(frozen=True)
class StepInput:
    """Name ``name`` must hold the value that step ``producer`` left in it."""

    name: str
    producer: str


@dataclass(frozen=True)
class StepSettings:
    image: str | None = None
    limits: tuple[tuple[str, str], ...] = ()
    requests: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    cache: bool | None = None
    secrets: tuple[tuple[str, str, str], ...] = ()  # (secret name, key, env var)
    env: tuple[tuple[str, str], ...] = ()
    retries: int | None = None
    timeout: int | None = None


@dataclass(frozen=True)
class Step:
    """One pipeline step.

    Running it means: run ``prelude`` (definitions and configuration replayed from
    earlier cells), load ``inputs``, bind the pipeline ``parameters`` it reads, run
    ``cells`` in order capturing their outputs, then save ``outputs``.
    """

    name: str
    cells: tuple[StepCell, ...]
    inputs: tuple[StepInput, ...] = ()
    outputs: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    prelude: tuple[Snippet, ...] = ()
    prelude_cells: tuple[int, ...] = ()  # imports/functions-tagged cells run whole in the prelude
    settings: StepSettings = field(default_factory=StepSettings)
    metrics: tuple[str, ...] = ()
    carries_rng: bool = False   # restore/save the global random and numpy.random streams
    kind: str = "code"          # code | parameters | metrics
    output_cells: tuple[tuple[str, int], ...] = ()  # output name -> cell number that last assigned it

    @property
    def first_cell(self) -> int:
        return self.cells[0].cell_index if self.cells else -1

    @property
    def cell_numbers(self) -> tuple[int, ...]:
        return tuple(c.cell_index + 1 for c in self.cells)


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    type_name: str  # int | float | str | bool | list | dict | NoneType
    cell_index: int
    line: int = 1


@dataclass(frozen=True)
class Pipeline:
    name: str
    steps: tuple[Step, ...]
    parameters: tuple[Parameter, ...] = ()
    description: str = ""
    experiment: str | None = None
    base_image: str | None = None
    notebook_path: str | None = None
    volumes: tuple[Any, ...] = ()
    # Derived in __post_init__ from the steps.
    _order: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # By name: the scheduler and the backends look steps up per event (5,000-step notebooks).
    _by_name: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_unique(self.steps)
        _check_upstream(self.steps)
        _check_parameters(self.steps, self.parameters)
        object.__setattr__(self, "_order", _topological_order(self.steps))
        object.__setattr__(self, "_by_name", {step.name: step for step in self.steps})

    def step(self, name: str) -> Step:
        return self._by_name[name]  # KeyError for an unknown name

    @property
    def order(self) -> tuple[str, ...]:
        """Step names in an order that respects every edge (notebook order when free)."""
        return self._order

    def edges(self) -> list[tuple[str, str]]:
        return [(up, step.name) for step in self.steps for up in step.upstream]



def _where(step: Step) -> Location:
    return Location(step=step.name, cell=step.first_cell + 1 if step.cells else None)


def _check_unique(steps: tuple[Step, ...]) -> None:
    seen: dict[str, Step] = {}
    for step in steps:
        if step.name in seen:
            cells = ", ".join(str(n) for n in seen[step.name].cell_numbers + step.cell_numbers)
            raise PipelineError(f"two steps are named '{step.name}' (cells {cells})",
                                hint="give each step a unique name")
        seen[step.name] = step


def _check_upstream(steps: tuple[Step, ...]) -> None:
    names = {s.name for s in steps}
    for step in steps:
        for up in step.upstream:
            if up not in names:
                raise PipelineError(f"depends on unknown step '{up}'", _where(step),
                                    hint=f"known steps: {', '.join(sorted(names))}")
            if up == step.name:
                raise PipelineError("a step cannot depend on itself", _where(step))


def _check_parameters(steps: tuple[Step, ...], parameters: tuple[Parameter, ...]) -> None:
    known = {p.name for p in parameters}
    for step in steps:
        missing = [p for p in step.parameters if p not in known]
        if missing:
            raise PipelineError(f"reads unknown parameters {missing}", _where(step))


def _topological_order(steps: tuple[Step, ...]) -> tuple[str, ...]:
    position = {s.name: i for i, s in enumerate(steps)}
    sorter = graphlib.TopologicalSorter({s.name: set(s.upstream) for s in steps})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        loop = exc.args[1]
        cells = {s.name: s.cell_numbers for s in steps}
        described = " -> ".join(f"{n} (cells {', '.join(map(str, cells.get(n, ())))})" for n in loop)
        raise PipelineError(f"the steps form a cycle: {described}",
                            hint="remove one of the prev: tags in the loop") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        for name in ready:
            order.append(name)
            sorter.done(name)
    return tuple(order)

"""Which steps may start now, at a constant cost per step.

Each step keeps a count of upstream steps not yet finished; finishing a step lowers its
children's counts, and a child whose count reaches zero joins a heap of ready steps
ordered by position in the pipeline (so independent steps still start in notebook
order). Nothing scans the list of pending steps: a 5,000-step notebook costs 5,000
times a 1-step one, not 25 million. ``operations`` counts the elementary steps taken,
so tests can check that growth without timing anything.
"""
from __future__ import annotations

import heapq

from ...pipeline import Pipeline

WAITING, STARTED, DONE = "waiting", "started", "done"


class Readiness:
    def __init__(self, pipeline: Pipeline) -> None:
        order = pipeline.order
        self._position = {name: index for index, name in enumerate(order)}
        self._order = order
        self._upstream = {name: tuple(set(pipeline.step(name).upstream)) for name in order}
        self._children: dict[str, list[str]] = {name: [] for name in order}
        for name, upstream in self._upstream.items():
            for parent in upstream:
                self._children[parent].append(name)
        self._remaining = {name: len(upstream) for name, upstream in self._upstream.items()}
        self._state = dict.fromkeys(order, WAITING)
        self._heap: list[int] = [self._position[n] for n in order if not self._remaining[n]]
        heapq.heapify(self._heap)
        self._queued = {order[i] for i in self._heap}
        self.operations = len(order)

    def pop(self) -> str | None:
        """The first ready step in pipeline order (now counted as started), or None."""
        if not self._heap:
            return None
        name = self._order[heapq.heappop(self._heap)]
        self._queued.discard(name)
        self._state[name] = STARTED
        self.operations += 1
        return name

    def push_back(self, name: str) -> None:
        """Ready again (a retry, a recompute, or no free slot right now)."""
        self._state[name] = WAITING
        if name not in self._queued:
            heapq.heappush(self._heap, self._position[name])
            self._queued.add(name)
        self.operations += 1

    def done(self, name: str) -> None:
        """``name`` succeeded (ran or came from the cache): release the children it held."""
        self._state[name] = DONE
        for child in self._children[name]:
            self.operations += 1
            if self._state[child] != WAITING:
                continue
            self._remaining[child] -= 1
            if self._remaining[child] == 0:
                self.push_back(child)

    def undone(self, name: str) -> None:
        """``name`` must run again (its saved values were damaged): waiting children wait for it."""
        if self._state[name] != DONE:
            return
        self._state[name] = WAITING
        for child in self._children[name]:
            self.operations += 1
            if self._state[child] == WAITING:
                self._remaining[child] += 1
                self._withdraw(child)

    def requeue(self, name: str) -> None:
        """``name`` must run again once its upstream is done (again)."""
        self._state[name] = WAITING
        self._remaining[name] = sum(self._state[u] != DONE for u in self._upstream[name])
        self.operations += 1 + len(self._upstream[name])
        if self._remaining[name] == 0:
            self.push_back(name)
        else:
            self._withdraw(name)

    def waiting(self) -> list[str]:
        """Steps never started (or waiting to start again), in pipeline order."""
        return [name for name in self._order if self._state[name] == WAITING]

    def _withdraw(self, name: str) -> None:
        if name in self._queued:  # rare (damage recompute): rebuild without it
            self._queued.discard(name)
            position = self._position[name]
            self._heap = [p for p in self._heap if p != position]
            heapq.heapify(self._heap)

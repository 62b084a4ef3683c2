"""StepGraph: dependencies (references, `after`, files), topological order, cycles, selection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipeflow.model.pipeline import Step


class CycleError(ValueError):
    """The steps depend on each other in a circle; `cycle` lists it, first name repeated."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("cycle: " + " -> ".join(cycle))


class StepGraph:
    """Which step needs which; built once per pipeline, read by planner, engine and reports."""

    def __init__(
        self, steps: Mapping[str, Step], files: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """`files`: per step, the steps that write files it reads (`plan/files.py`)."""
        files = files or {}
        # Per step, the steps whose `result.target` it reads (`file_upstream`).
        self.targets_read: Mapping[str, set[str]] = {}
        self.upstream: dict[str, tuple[str, ...]] = {}
        for name, step in steps.items():
            deps = step.upstream()  # each named once already
            extra = files.get(name)
            if extra:
                deps = tuple(dict.fromkeys((*deps, *extra)))
            for dep in deps:
                if dep not in steps:  # reported by the checks; not part of the graph
                    deps = tuple(dep for dep in deps if dep in steps)
                    break
            self.upstream[name] = deps
        self.labels: dict[str, tuple[str, ...]] = {name: step.tags for name, step in steps.items()}
        self.downstream: dict[str, list[str]] = {name: [] for name in steps}
        for name, deps in self.upstream.items():
            for dep in deps:
                self.downstream[dep].append(name)
        self._order: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        return name in self.upstream

    def order(self) -> list[str]:
        """Steps in an order where each comes after all it needs (file order breaks ties)."""
        if self._order is None:
            self._order = self._sorted()
        return self._order

    def _sorted(self) -> list[str]:
        """The order `graphlib.TopologicalSorter(self.upstream).static_order()` gives, found
        the same way (steps in rounds: those whose needs are all met, in the order graphlib
        meets them), without graphlib's object per step and its separate search for cycles."""
        waiting: dict[str, int] = {}  # step -> how many of its needs are not in the order yet
        for name, deps in self.upstream.items():  # graphlib meets a step, then what it needs
            waiting[name] = waiting.get(name, 0) + len(deps)
            for dep in deps:
                if dep not in waiting:
                    waiting[dep] = 0
        ready = [name for name, count in waiting.items() if count == 0]
        found: list[str] = []
        downstream = self.downstream
        while ready:
            found += ready
            later: list[str] = []
            for name in ready:
                for user in downstream[name]:
                    waiting[user] -= 1
                    if not waiting[user]:
                        later.append(user)
            ready = later
        if len(found) < len(waiting):
            raise CycleError(self.find_cycle() or [])
        return found

    def find_cycle(self, *, ignore_self: bool = False) -> list[str] | None:
        """One cycle as `[a, b, a]`, or None; `ignore_self`: a step needing itself is none."""
        return _find_cycle(self.upstream, ignore_self, set(), set())

    def find_cycles(self, *, ignore_self: bool = False) -> list[list[str]]:
        """One cycle per knot of steps: once a cycle is found, its steps are set aside and the
        rest searched again, so cycles apart from one another are all found (two sharing a
        step count as one knot: the second shows once the first is undone)."""
        found: list[list[str]] = []
        aside: set[str] = set()  # the steps of the cycles found
        done: set[str] = set()  # steps on no cycle: each search goes on from the last
        while (cycle := _find_cycle(self.upstream, ignore_self, aside, done)) is not None:
            found.append(cycle)
            aside.update(cycle)
        return found

    def ancestors(self, names: Iterable[str]) -> set[str]:
        """All steps the given ones need, directly or not (the given ones excluded)."""
        return self._walk(names, self.upstream)

    def descendants(self, names: Iterable[str]) -> set[str]:
        """All steps that need the given ones, directly or not (the given ones excluded)."""
        return self._walk(names, self.downstream)

    @staticmethod
    def _walk(names: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
        seen: set[str] = set()
        todo = list(names)
        start = set(todo)
        while todo:
            for neighbour in edges[todo.pop()]:
                if neighbour not in seen:
                    seen.add(neighbour)
                    todo.append(neighbour)
        return seen - start

    def tags(self) -> list[str]:
        """Every tag of the steps, once each, in the order of first use."""
        return list(dict.fromkeys(tag for labels in self.labels.values() for tag in labels))

    def select(
        self,
        *,
        only: Iterable[str] = (),
        start: str | None = None,
        until: str | None = None,
        tags: Iterable[str] = (),
    ) -> set[str]:
        """The steps that `--only`, `--from`, `--until` and `--tag` ask to run (all by default).

        Each option narrows the selection (an intersection); within one option, the names or
        tags it repeats add up: `--tag a --tag b` is every step tagged `a` or `b`.
        """
        selected = set(self.upstream)
        only = self.members(only)
        if only:
            selected &= set(only)
        wanted = set(tags)
        if wanted:
            selected &= {name for name, labels in self.labels.items() if wanted & set(labels)}
        if start is not None:
            first = self.members([start])
            selected &= set(first) | self.descendants(first)
        if until is not None:
            last = self.members([until])
            selected &= set(last) | self.ancestors(last)
        return selected

    def members(self, names: Iterable[str]) -> list[str]:
        """The steps `names` stand for: a step itself, and the name of a step that runs a
        sub-pipeline every step of it (`one` is `one/prep`, `one/read`), as in `after:`."""
        found: list[str] = []
        for name in names:
            if name in self.upstream:
                found.append(name)
            else:
                found += [step for step in self.upstream if step.startswith(f"{name}/")]
        return found


def _find_cycle(
    upstream: Mapping[str, tuple[str, ...]],
    ignore_self: bool,
    aside: set[str],
    done: set[str],
) -> list[str] | None:
    """One cycle of `upstream` (per step, the steps it needs) as `[a, b, a]`, or None, among
    the steps not `aside`; `done` holds the steps found on no cycle, and gets those this
    search finds (a step is on no cycle once all it needs is explored without meeting it)."""
    visiting: dict[str, int] = {}
    stack: list[str] = []

    # Iterative depth-first search: a 10,000-step chain must not hit the recursion limit.
    for start in upstream:
        if start in done or start in aside:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, index = work.pop()
            if index == 0:
                visiting[node] = len(stack)
                stack.append(node)
            deps = upstream[node]
            if index < len(deps):
                work.append((node, index + 1))
                dep = deps[index]
                if (ignore_self and dep == node) or dep in aside:
                    continue
                if dep in visiting:
                    return [*stack[visiting[dep] :], dep]
                if dep not in done:
                    work.append((dep, 0))
            else:
                stack.pop()
                del visiting[node]
                done.add(node)
    return None

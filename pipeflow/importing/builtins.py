"""The pipeflow callables a config may name as steps: the one registry that validation, the
worker and the planner read. The rest of the `pipeflow` package is never a step."""

from __future__ import annotations

from pipeflow.records import record


@record
class BuiltinStep:
    """A documented step: its name in the docs, and where its callables are defined."""

    name: str  # as the docs write it: `pipeflow.read`
    definitions: tuple[tuple[str, str], ...]  # (module, qualified name) of each callable
    reads_other_results: bool = False  # its key cannot see a change in what it reads

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every `run:` path that names it: `module.name` and `module:name` of each callable."""
        found: list[str] = []
        for module, qualname in self.definitions:
            found += [f"{module}.{qualname}", f"{module}:{qualname}"]
        return tuple(found)


BUILTIN_STEPS: tuple[BuiltinStep, ...] = (
    BuiltinStep(
        name="pipeflow.read",
        definitions=(("pipeflow", "read"), ("pipeflow.builtin", "read")),
        reads_other_results=True,
    ),
)

_BY_SPELLING = {spelling: step for step in BUILTIN_STEPS for spelling in step.spellings}
_BY_DEFINITION = {definition: step for step in BUILTIN_STEPS for definition in step.definitions}

READS_OTHER_RESULTS: tuple[str, ...] = tuple(
    spelling for step in BUILTIN_STEPS if step.reads_other_results for spelling in step.spellings
)


def builtin_step(dotted: str) -> BuiltinStep | None:
    """The built-in step a `run:` path spells, if it spells one."""
    return _BY_SPELLING.get(dotted)


def defines_builtin_step(module: str, qualname: str) -> bool:
    """Whether an object defined as `qualname` in `module` is a built-in step's callable."""
    return (module, qualname) in _BY_DEFINITION


def builtin_names() -> list[str]:
    """The documented names, for messages."""
    return [step.name for step in BUILTIN_STEPS]

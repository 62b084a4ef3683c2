"""Which semantic checks of a step its schema problems hold back, so that one mistake is not
reported again as a confusing follow-on.

A step whose `inputs`, `foreach`, `as` or `run` is wrong, or that has an unknown key that may
stand for one of the first three (`inputz`, `ass`, `args`, an input indented too little), does
not have its inputs checked against its function: that check would report a "missing input"
the user already gave under the misspelt key. An unknown key that reads as another key
(`retires`, `descripton`, `depends_on`) holds nothing back. A step whose `run` is wrong does
not have it looked up again. Every other check still runs (SPEC 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from pipeflow.config.other_tools import MEANT
from pipeflow.errors import Problem

# Step keys whose schema errors leave the inputs to check against the function: the others
# (`inputs`, `foreach`, `as`, `run`, `pipeline`, `params`, an unknown key that may stand for
# the first three) would make that check report a follow-on ("missing input").
_APART_FROM_INPUTS = frozenset(
    {
        "after",
        "outputs",
        "result",
        "cache",
        "retries",
        "retry_delay",
        "retry_backoff",
        "timeout",
        "when",
        "code_version",
        "description",
        "tags",
        "reads",
        "writes",
    }
)


def held_back(schema_found: Iterable[Problem]) -> tuple[frozenset[str], frozenset[str]]:
    """The steps whose inputs are not checked against their function, and those whose `run`
    is not checked, for these schema problems."""
    inputs: set[str] = set()
    runs: set[str] = set()
    for problem in schema_found:
        if not problem.path.startswith("steps."):
            continue
        parts = problem.path.split(".")
        if len(parts) >= 3 and _holds_back_inputs(parts[2].split("[")[0]):
            inputs.add(parts[1].split("[")[0])
        if parts[2:3] == ["run"]:
            runs.add(parts[1])
    return frozenset(inputs), frozenset(runs)


_KNOWN = sorted(_APART_FROM_INPUTS | {"inputs", "foreach", "as", "run", "pipeline", "params"})


def _holds_back_inputs(key: str) -> bool:
    """Whether a schema problem at step key `key` holds back the check of the inputs: an
    unknown key does unless it reads as a key apart from them (`retires`, `depends_on`),
    since it may be a misspelt `inputs` or an input indented one level too little."""
    if key in _KNOWN:
        return key not in _APART_FROM_INPUTS
    meant = MEANT.get(key) or next(iter(get_close_matches(key, _KNOWN, n=1, cutoff=0.6)), None)
    return meant not in _APART_FROM_INPUTS

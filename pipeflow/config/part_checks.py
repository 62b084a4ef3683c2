"""`${steps.NAME.PART}` of a step whose value can have no parts (section 3 of SPEC).

A part is one of a step's declared `outputs`, or else a key of the mapping it returns. A step
without `outputs` can return no mapping when it runs once per item (`foreach`: its value is
the list of the items' results) or when its function's return annotation says so
(`importing/returns.py`); a reference to a part of it could only fail when the step reading it
runs. `Checker.step_reference` reports it instead.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeflow.importing import ImportProblem, Signature
from pipeflow.model.pipeline import Step
from pipeflow.model.refs import Ref


def no_parts(
    ref: Ref, target: Step, signature: Callable[[str], Signature] | None
) -> tuple[str, str] | None:
    """(message, hint) when `ref` names a part of `target`'s value, which can have none.

    `signature` gives a `run:` path's signature (None: the code is not checked); it may raise
    ImportProblem, which is reported where that path is."""
    if ref.part is None or target.outputs or target.origin is not None:
        return None
    whole = f"use `${{steps.{ref.step}}}`"
    if target.foreach is not None:
        return (
            f"`{ref.text}`: step `{ref.step}` runs once per item (`foreach`), so its value is "
            "the list of the items' results, which has no parts",
            f"{whole} (the list)",
        )
    if target.run is None or signature is None:
        return None
    try:
        returns = signature(target.run).no_parts
    except ImportProblem:
        return None
    if returns is None:
        return None
    return (
        f"`{ref.text}`: step `{ref.step}` returns `{returns}` (the return annotation of "
        f"{target.run}), which has no parts",
        f"{whole}; a part is a key of the mapping a step returns (if it returns one, say so: "
        "`-> dict`)",
    )

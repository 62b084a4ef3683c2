"""What changed in a step's result settings (`outputs`, `result.target`, `result.format`).

A key holds those settings as one digest (`keys.py`), so the digest alone can only say that
they changed. The stored result's manifest names its parts, and each part's path and format:
compared with the step's settings now, they say which setting changed ("its result target
changed (stored at models/fit.pkl; the target is now models/{step}.joblib)") where the
digest could not.
"""

from __future__ import annotations

import re

from pipeflow.cache.consumed import target_param_refs
from pipeflow.model.pipeline import Step
from pipeflow.records import record
from pipeflow.storage import Manifest, format_for_extension
from pipeflow.storage.templates import target_pattern

_STORE_OWN = ".pipeflow/"  # where a result without a target is stored


@record
class ResultSettings:
    """The settings of a step's result that its key holds, as the config gives them."""

    outputs: tuple[str, ...]
    format: str | None
    target: str | None


def result_settings(step: Step) -> ResultSettings:
    """`step`'s settings, its target as its key holds it (`keys.py`): a sub-pipeline's step's
    is the sub-pipeline's own, unless its `{params.*}` are filled in."""
    target = step.result.target
    if not target_param_refs(step) and step.origin is not None and step.origin.target is not None:
        target = step.origin.target
    return ResultSettings(outputs=tuple(step.outputs), format=step.result.format, target=target)


def settings_changes(now: ResultSettings, before: Manifest) -> list[str]:
    """Each setting that differs from the one `before` was stored with, as far as its parts
    tell; empty when they do not tell."""
    found: list[str] = []
    names = sorted(before.parts)
    if names != sorted(now.outputs or ("value",)):
        if not now.outputs:
            found.append(f"it no longer has `outputs:` (it had {names})")
        elif names == ["value"]:
            found.append(f"it now has `outputs: {list(now.outputs)}`")
        else:
            found.append(f"its outputs changed ({names} -> {list(now.outputs)})")
    paths = [part.path for part in before.parts.values()]
    targeted = [path for path in paths if not path.startswith(_STORE_OWN)]
    if now.target is None and targeted:
        found.append(f"it no longer has a result target (it was stored at {targeted[0]})")
    elif now.target is not None and not targeted and paths:
        found.append(f"it now has a result target ({now.target})")
    elif now.target is not None and targeted and not _rendered_from(now.target, targeted):
        # The stored path, as rendered, and the template now: not one form on both sides.
        found.append(
            f"its result target changed (stored at {targeted[0]}; the target is now {now.target})"
        )
    formats = sorted({part.format for part in before.parts.values()})
    wanted = now.format
    if wanted is None and now.target is not None:
        implied = format_for_extension(now.target)
        wanted = None if implied is None else implied.name
    if wanted is not None and formats and formats != [wanted]:
        found.append(f"its result format changed ({', '.join(formats)} -> {wanted})")
    return found


def _rendered_from(template: str, paths: list[str]) -> bool:
    """Whether each of `paths` may be what `template` renders to."""
    pattern = target_pattern(template)
    if pattern is None:
        return True  # a malformed template: nothing to tell
    expression = "".join(
        ".*" if piece == "**" else "[^/]*" if piece == "*" else re.escape(piece)
        for piece in re.split(r"(\*\*|\*)", pattern)
    )
    return all(re.fullmatch(expression, path) for path in paths)

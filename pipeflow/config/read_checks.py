"""The inputs of a `pipeflow.read` step, checked before any step runs (SPEC 3).

Written as literals, they can be known wrong now: neither `path` nor `config`, both, `config`
without `step`, a config that does not exist or does not load, a step it does not have, a part
that step does not declare. Before, each passed `validate` and failed its step at run time,
one with a bare `KeyError`. Inputs made of references are only known when the step runs.

The other config is loaded with its default params (or the literal `params:` given), without
importing its code, as the step itself loads it; configs that read each other are each loaded
once per check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeflow.config.suggest import did_you_mean, listing
from pipeflow.errors import ConfigError
from pipeflow.importing import READS_OTHER_RESULTS
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import references_in

Fail = Callable[..., None]

_checking = threading.local()  # the configs whose reads are being checked, in this thread


def check_reads(pipeline: Pipeline, fail: Fail) -> None:
    for name, step in pipeline.steps.items():
        if step.run in READS_OTHER_RESULTS and step.origin is None:
            _check_read(pipeline, name, step, fail)


def _check_read(pipeline: Pipeline, name: str, step: Step, fail: Fail) -> None:
    inputs = step.inputs
    where = ["steps", name, "inputs"]
    known = {key: value for key, value in inputs.items() if not references_in(value)}
    if len(known) < len(inputs):
        unknown = set(inputs) - set(known)
        if unknown & {"path", "config", "step"}:
            return  # made of references: known when the step runs
    given = {key for key in ("path", "config") if key in inputs}
    if not given:
        fail(
            where,
            f"step `{name}` (pipeflow.read) reads nothing: it has neither `path` nor `config`",
            "give `path` (a file or URL), or `config` and `step` (another pipeline's result)",
        )
        return
    if given == {"path", "config"}:
        fail(
            where,
            f"step `{name}` (pipeflow.read) has both `path` and `config`",
            "give `path` to read a file, or `config` and `step` to read a result, not both",
        )
        return
    if "config" not in given:
        path = known.get("path")
        if isinstance(path, str):
            from pipeflow.storage.read_guard import HINT, read_problem

            # Host names are looked up at run: validate asks no network.
            problem = read_problem(path, base=pipeline.project_dir, resolve=False)
            if problem is not None:
                fail(
                    [*where, "path"],
                    f"step `{name}` (pipeflow.read) may not read {path}: {problem}",
                    HINT,
                )
        return
    if "step" not in inputs:
        fail(
            where,
            f"step `{name}` (pipeflow.read) has `config` but no `step`",
            "add `step:`, the name of the step whose result to read (and `part:` if needed)",
        )
        return
    config, wanted = known.get("config"), known.get("step")
    if not isinstance(config, str) or not isinstance(wanted, str):
        return
    other = _load(Path(pipeline.project_dir) / config, known.get("params"))
    if isinstance(other, str):
        fail([*where, "config"], f"step `{name}` (pipeflow.read): {other}", _hint(config))
        return
    if other is None:
        return  # being checked already (configs that read each other)
    target = other.steps.get(wanted)
    if target is None:
        fail(
            [*where, "step"],
            f"step `{name}` (pipeflow.read): pipeline `{other.name}` ({config}) has no step "
            f"`{wanted}`",
            did_you_mean(wanted, other.steps) or listing("steps", other.steps),
        )
        return
    part = known.get("part")
    if isinstance(part, str) and target.outputs and part not in target.outputs:
        fail(
            [*where, "part"],
            f"step `{name}` (pipeflow.read): step `{wanted}` of `{other.name}` has no output "
            f"`{part}`",
            did_you_mean(part, target.outputs) or listing("outputs", target.outputs),
        )


def _load(file: Path, params: Any) -> Pipeline | str | None:
    """The other pipeline; a message when it cannot be loaded; None when it is being checked."""
    if not file.is_file():
        return f"no config file {file}"
    key = str(file.resolve())
    checking: set[str] = getattr(_checking, "files", set())
    if key in checking:
        return None
    _checking.files = checking | {key}
    try:
        from pipeflow.config.loader import load

        given = dict(params) if isinstance(params, Mapping) else None
        return load(file, params=given, check_code=False).pipeline
    except ConfigError as error:
        first = error.problems[0] if error.problems else None
        shown = f"{first.location()}: {first.message}" if first is not None else str(error)
        return f"the config it reads does not load ({shown})"
    finally:
        _checking.files = checking


def _hint(config: str) -> str:
    return f"the path is relative to this config's folder; check it: pipeflow validate {config}"

"""Checks of a step's stored result and its fan-out: `format`, `target` and `foreach`/`as`.

A target is rendered before the run with the real params and, for a `foreach` step whose
items are known now, each item (so an item such as `../x` is refused here); items known only
during the run are tried when they are stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from pipeflow.config.param_types import describe
from pipeflow.config.reader import Fail
from pipeflow.config.schema_hints import assignment
from pipeflow.config.suggest import did_you_mean, listing
from pipeflow.model.pipeline import SINGLE_PART, Pipeline, ResultSpec, Step
from pipeflow.model.refs import Ref, Template, lookup_path, run_stand_ins, unparse
from pipeflow.model.secrets import Secrets
from pipeflow.storage import (
    FORMAT_NAMES,
    TargetFields,
    TemplateError,
    get_format,
    render_target,
    template_fields,
    template_problems,
)
from pipeflow.storage.target_formats import extension_params, target_format

DocPath = list[str | int]
# Formats whose files may carry each other's extension: text the step made itself in a
# `.json` or `.csv` file, JSON or CSV text in a `.txt` file; joblib reads pickles.
_SHARED_EXTENSIONS = frozenset(
    frozenset(pair)
    for pair in (
        {"txt", "json"},
        {"txt", "csv"},
        {"pickle", "joblib"},
    )
)


def trial_fields(pipeline: Pipeline, params: Mapping[str, Any]) -> TargetFields:
    """Field values to render targets with before a run: the real params, a `${run.*}` in
    them as a value of the type the run gives it (a format spec is checked against that)."""
    return TargetFields(
        pipeline=pipeline.name,
        step="",
        output=SINGLE_PART,
        run_id="run",
        date=datetime.now(timezone.utc),
        params=run_stand_ins(params),
        key="0" * 8,
        ext="bin",
    )


def check_result(
    name: str, step: Step, *, fields: TargetFields, params: Mapping[str, Any], fail: Fail
) -> None:
    """A known format; a target that parses, names each output and each item, and stays in."""
    spec = step.result
    path: DocPath = ["steps", name, "result"]
    if spec.format is not None and spec.format not in FORMAT_NAMES:
        fail(
            [*path, "format"],
            f"unknown format `{spec.format}`",
            did_you_mean(spec.format, FORMAT_NAMES) or listing("formats", FORMAT_NAMES),
        )
    if spec.target is None:
        return
    item_name = (step.item_name or "item") if step.foreach is not None else None
    try:
        used = template_fields(spec.target)
    except TemplateError as error:
        trial = replace(fields, step=name, item_name=item_name)
        for problem in template_problems(spec.target, trial) or [str(error)]:
            fail([*path, "target"], problem)  # every field that is wrong, not only the first
        return
    if len(step.parts) > 1 and "output" not in used:
        fail(
            [*path, "target"],
            f"step `{name}` has {len(step.parts)} outputs but its target has no `{{output}}`",
            "add `{output}` to the target so each output gets its own file",
        )
    # Each item known now is tried (an item such as `../x` is refused here); items
    # known only during the run are tried when they are stored.
    items: list[Any] = [None]
    if step.foreach is not None and used & {"item", step.item_name or "item"}:
        known = static_items(step, params)
        items = known[:1000] if known is not None else []
    first = replace(fields, step=name, output=(step.parts or (SINGLE_PART,))[0])
    first = replace(first, item_name=item_name, item=items[0] if items else None)
    # A field may give the extension (`{params.out}`): told from the target as rendered.
    implied = None if "ext" in used else target_format(spec.target, first)
    if spec.format is None and "ext" not in used and implied is None and _renders(spec, first):
        _unknown_extension(spec.target, first, [*path, "target"], fail)
    if (
        implied is not None
        and spec.format in FORMAT_NAMES
        and spec.format != implied.name
        and frozenset({implied.name, spec.format}) not in _SHARED_EXTENSIONS
    ):
        fail(
            [*path, "target"],
            f"`{spec.target}` names the {implied.name} format by its extension, not "
            f"{spec.format}: a tool opening the file would find {spec.format} data where "
            f"{implied.name} belongs",
            f"end the target with `.{get_format(spec.format).extension}` or `.{{ext}}` to "
            f"keep `format: {spec.format}`, or drop `format:` to store it as {implied.name}",
        )
    # Every part: `{output}` may be what sends one of them somewhere it must not go.
    for part in step.parts or (SINGLE_PART,):
        trial = replace(fields, step=name, output=part, item_name=item_name)
        for item in items:
            try:
                render_target(spec.target, replace(trial, item=item))
            except TemplateError as error:
                tried = replace(trial, item=item)
                for problem in template_problems(spec.target, tried) or [str(error)]:
                    fail([*path, "target"], problem)
                return


def _renders(spec: ResultSpec, fields: TargetFields) -> bool:
    """Whether the target renders for `fields`: when it does not (a path that leaves the root),
    that is its problem, reported below, and its extension is not one."""
    try:
        render_target(str(spec.target), fields)
    except TemplateError:
        return False
    return True


def _unknown_extension(target: str, fields: TargetFields, path: DocPath, fail: Fail) -> None:
    """A target whose extension names no format, and no `format:`: the params that give it
    its extension named, with their values."""
    endings = ", ".join(f".{f}" for f in FORMAT_NAMES)
    named = extension_params(target)
    if not named:
        fail(
            path,
            f"cannot tell the format of `{target}` from its extension",
            f"end it with one of {endings}, or set `format:`",
        )
        return
    values = []
    for dotted in named:
        try:
            value = lookup_path(fields.params, tuple(dotted.split(".")))
        except (KeyError, TypeError):  # an unknown param: reported on its own
            values.append(f"`params.{dotted}` is not set")
            continue
        values.append(f"`params.{dotted}` is {value!r}")
    which = " or ".join(f"`params.{dotted}`" for dotted in named)
    fail(
        path,
        f"cannot tell the format of `{target}` from its extension: " + ", ".join(values),
        f"give {which} a value ending in one of {endings}, or set `format:`",
    )


def check_foreach(
    name: str,
    step: Step,
    *,
    params: Mapping[str, Any],
    secrets: Secrets,
    fail: Fail,
    kind: str = "yaml",
) -> None:
    """A `foreach` known now must be a list; each item's result needs its own target; the
    item's name is not also one of the step's `inputs`."""
    item = step.item_name or "item"
    if item in step.inputs:
        named = f"`as: {item}`" if step.item_name else "`item`, its name without `as:`"
        fail(
            ["steps", name, "inputs", item],
            f"input `{item}` is given twice: here and as the `foreach` item ({named}); "
            "each call would get the item and this value would be dropped",
            f"give the item another name with `as:` (e.g. `as: {item}_item`), or rename or "
            f"remove `inputs.{item}`",
            key=True,
        )
    _item_target(name, step, fail)  # whatever the items: known now or only at the run
    path: DocPath = ["steps", name, "foreach"]
    value = step.foreach
    if isinstance(value, Ref) and value.scope == "params":
        try:
            value = lookup_path(params, value.path)
        except KeyError:
            return  # reported as an unknown param
    elif isinstance(value, Template):  # text around a reference: a string, never a list
        refs = [part for part in value.parts if isinstance(part, Ref)]
        alone, whole = f'"{refs[0].text}"', '"${steps.NAME}"'
        fail(
            path,
            f"`foreach` takes a list or one reference whole: `{unparse(value)}` has text "
            "around its reference, so it is a string, never a list",
            f"write the reference alone: `{assignment('foreach', alone, kind)}`"
            if len(refs) == 1
            else f"build the list in a step and write `{assignment('foreach', whole, kind)}`",
        )
        return
    elif isinstance(value, Ref):
        return  # a step's value or an environment variable: checked when the step runs
    if not isinstance(value, list):
        fail(
            path,
            f"`foreach` must be a list (or a reference to one), got {describe(value, secrets)}",
            "e.g. `foreach: [mae, mse]` or `foreach: ${params.metrics}`"
            if kind != "toml"
            else 'e.g. `foreach = ["mae", "mse"]` or `foreach = "${params.metrics}"`',
        )


def _item_target(name: str, step: Step, fail: Fail) -> None:
    """Each item of a `foreach` step stores its own result: a target names the item."""
    target = step.result.target
    if target is None:
        return
    try:
        used = template_fields(target)
    except TemplateError:
        return  # reported by the result checks
    by_item = {"key", "item", step.item_name or "item"}
    if not used & by_item:
        fail(
            ["steps", name, "result", "target"],
            "a `foreach` step stores one result per item: its target needs `{key}`, "
            f"or the item: `{{{step.item_name or 'item'}}}`",
            f"e.g. `target: counts/{{{step.item_name or 'item'}}}.json` or "
            "`target: metrics/{step}-{key}.json`",
        )


def static_items(step: Step, params: Mapping[str, Any]) -> list[Any] | None:
    """A `foreach` list known before the run (literal, or a param), else None."""
    value = step.foreach
    if isinstance(value, Ref) and value.scope == "params":
        try:
            value = lookup_path(params, value.path)
        except KeyError:
            return None
    return value if isinstance(value, list) else None

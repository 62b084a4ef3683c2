"""Target templates: turn `{date:%Y-%m-%d}/{step}_{output}.parquet` into a path under the root.

Templates use Python's format-field syntax, but fields are resolved here rather than by
`str.format`: only the names in TEMPLATE_FIELDS exist, only `params` takes a dotted name, and no
attribute of any object is ever looked up, so a template cannot reach into Python internals
(`{step.__class__}`). The rendered path is checked last, which catches a param value such as
`../../x` as surely as a `..` written in the template itself, and a target that would land in
pipeflow's reserved `.pipeflow/` area however it is spelled (`boundaries.py`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pipeflow.model.refs import dotted_spelling, list_index, mapping_key
from pipeflow.model.words import a_kind, counted, indexes
from pipeflow.records import record
from pipeflow.storage.boundaries import check_relative
from pipeflow.storage.formats import suggestion
from pipeflow.storage.paths import relative_path

TEMPLATE_FIELDS: tuple[str, ...] = (
    "pipeline",
    "step",
    "output",
    "run_id",
    "date",
    "params",
    "key",
    "ext",
    "item",
)

# Fields as Prefect 1's templated targets name them -> how a pipeflow target writes them.
OTHER_TOOL_FIELDS = {
    **dict.fromkeys(("task_name", "task_full_name", "task_slug"), "{step}"),
    "flow_name": "{pipeline}",
    **dict.fromkeys(("flow_run_id", "task_run_id", "flow_run_name"), "{run_id}"),
    "today": "{date:%Y-%m-%d}",
    "scheduled_start_time": "{date}",
    "map_index": "{item}",
    "parameters": "{params.NAME}",
}


class TemplateError(ValueError):
    """A target template uses an unknown field, is malformed, or renders to an unsafe path."""


@record
class TargetFields:
    """The values a target template can use."""

    pipeline: str
    step: str
    output: str  # the part name; "value" for a step that returns a single value
    run_id: str
    date: datetime  # the run's start time
    params: Mapping[str, Any]
    key: str  # the step's cache key
    ext: str  # the format's extension, without the dot
    # One item of a `foreach` step, as `{item}` and as its `as:` name (`{book}`).
    item: Any = None
    item_name: str | None = None


def render_target(template: str, fields: TargetFields) -> str:
    """The relative POSIX path `template` gives for `fields`; TemplateError when it cannot."""
    pieces: list[str] = []
    for literal, name, spec, conversion in _parse(template):
        pieces.append(literal)
        if name is None:
            continue
        value = _resolve(template, name, fields)
        pieces.append(_formatted(template, name, value, spec, conversion))
    rendered = "".join(pieces)
    try:
        path = relative_path(rendered)
        check_relative(path)
    except ValueError as error:
        raise TemplateError(f"target template {template!r} is refused: {error}") from error
    return path


def template_problems(template: str, fields: TargetFields) -> list[str]:
    """What is wrong with each field of `template` for `fields`, all of them, where
    `render_target` stops at the first: for `validate`, which reports every problem at once.
    [] when every field has a value (the rendered path may still be refused)."""
    try:
        parsed = list(_parse(template))
    except TemplateError as error:
        return [str(error)]
    problems: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        try:
            _formatted(template, name, _resolve(template, name, fields), spec, conversion)
        except TemplateError as error:
            if str(error) not in problems:
                problems.append(str(error))
    return problems


# Fields whose value never holds `/` (names, ids, a key, an extension; a date without a spec).
_WITHIN_A_NAME = frozenset({"pipeline", "step", "output", "run_id", "date", "key", "ext"})


def target_pattern(template: str) -> str | None:
    """The paths a target may render to, as a glob: a field stands as `*` where its value
    lies within one folder name, and as `**` where it may hold `/` (`{params.*}`, `{item}`,
    a spec with `/`), which `model/locations.py` reads as any path (a target without an
    extension may get one); None when the template is malformed."""
    try:
        pattern = "".join(
            literal + ("" if name is None else "*" if _within_a_name(name, spec) else "**")
            for literal, name, spec, _ in _parse(template)
        )
    except TemplateError:
        return None
    if "." in pattern.rsplit("/", 1)[-1] or pattern.endswith("*"):
        return pattern
    return pattern + "*"


def _within_a_name(name: str, spec: str) -> bool:
    return name in _WITHIN_A_NAME and "/" not in spec


def with_params(template: str, params: Mapping[str, Any]) -> str:
    """`template` with its `{params.*}` fields filled in from `params`, and every other field
    (and literal brace) kept as written: a sub-pipeline's target in the pipeline that runs
    it, whose run renders the rest. TemplateError as `render_target` gives it."""
    pieces: list[str] = []
    for literal, name, spec, conversion in _parse(template):
        pieces.append(_escaped(literal))
        if name is None:
            continue
        head, *rest = _split(template, name)
        if head != "params":
            kept = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            pieces.append("{" + kept + "}")
            continue
        value = _param(template, name, params, rest)
        pieces.append(_escaped(_formatted(template, name, value, spec, conversion)))
    return "".join(pieces)


# The widest a format spec may make a field (`{step:>300}`): the longest key an object store
# takes. A wider one could not be a path anywhere, and would only cost memory (`{step:>1e9}`).
WIDEST_FIELD = 1024


def _formatted(template: str, name: str, value: Any, spec: str, conversion: str | None) -> str:
    dated = isinstance(value, _PathDate) or hasattr(value, "strftime")
    if not dated:  # a date's spec is strftime's: its digits are text
        for digits in re.findall(r"\d+", spec):
            if len(digits.lstrip("0")) > 4 or int(digits) > WIDEST_FIELD:
                shown = digits if len(digits) <= 12 else digits[:9] + "..."
                raise TemplateError(
                    f"target template {_cut(template)!r}: `{{{name}:{_cut(spec)}}}` asks for "
                    f"{shown} characters; a field may make {WIDEST_FIELD} at most (no path "
                    "takes more)"
                )
    if conversion == "r":
        value = repr(value)
    elif conversion == "a":
        value = ascii(value)
    elif conversion == "s":
        value = str(value)
    try:
        return format(value, spec)
    except (ValueError, TypeError) as error:
        raise TemplateError(
            f"target template {template!r}: cannot format {{{name}}} with `:{spec}`: {error}"
        ) from error


def _cut(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:60]}...{text[-12:]}"


def _escaped(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def template_fields(template: str) -> set[str]:
    """The top-level field names a template uses, known or not: {"date", "step", "params"}."""
    return {_split(template, name)[0] for name in _names(template)}


def template_params(template: str) -> set[str]:
    """The params a template uses, dotted: {"seed", "model.depth"} for `{params.model.depth}`."""
    used: set[str] = set()
    for name in _names(template):
        head, *rest = _split(template, name)
        if head == "params" and rest:
            used.add(".".join(rest))
    return used


def _parse(template: str) -> Iterator[tuple[str, str | None, str, str | None]]:
    """`string.Formatter.parse`, with malformed braces and nested fields as TemplateError."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise TemplateError(f"target template {template!r} is malformed: {error}") from error
    for literal, name, spec, conversion in parsed:
        if name is not None and literal.endswith("$"):
            raise TemplateError(_reference_message(template, name))
        if spec and "{" in spec:
            raise TemplateError(
                f"target template {template!r}: a field inside a format spec ({{{name}:{spec}}}) "
                "is not supported"
            )
        yield literal, name, spec or "", conversion


def _reference_message(template: str, name: str) -> str:
    """`${params.n}` written where `{params.n}` was meant: `str.format` would keep the `$`
    and store the result at `$1.json`."""
    said = f"target template {template!r}: `${{{name}}}` is a reference, and a target takes no "
    said += "`${...}` reference"
    if name.startswith("env."):
        return said + (
            f"; give the value to a param (`NAME: ${{{name}}}` under `params:`) and write "
            "`{params.NAME}`"
        )
    if name.startswith("steps."):
        known = ", ".join(f"{{{field}}}" for field in TEMPLATE_FIELDS)
        return said + f"; a target cannot hold a step's value, its fields are {known}"
    return said + f": its fields are in single braces, write `{{{name}}}`"


def _names(template: str) -> Iterator[str]:
    for _, name, _, _ in _parse(template):
        if name is not None:
            yield name


def _split(template: str, name: str) -> list[str]:
    """`params.a.b` -> ["params", "a", "b"]; positional and indexed fields are refused."""
    known = ", ".join(f"{{{field}}}" for field in TEMPLATE_FIELDS)
    if name == "" or name.isdigit():
        raise TemplateError(
            f"target template {template!r}: positional field {{{name}}} has no value; "
            f"name a field: {known}"
        )
    if "[" in name:
        dotted = dotted_spelling(name) or name
        if dotted.startswith("parameters."):  # Prefect's `{parameters[limit]}`
            dotted = "params" + dotted.removeprefix("parameters")
        raise TemplateError(
            f"target template {template!r}: {{{name}}} uses an index in brackets; a target "
            f"walks lists and mappings with dots: write `{{{dotted}}}`"
        )
    parts = name.split(".")
    if "" in parts:
        raise TemplateError(f"target template {template!r}: {{{name}}} has an empty name part")
    return parts


class _PathDate:
    """A date that formats as `2026-11-22T014501` when the template gives no spec: no colons
    or spaces in paths. With a spec (`{date:%Y-%m-%d}`) it formats as the datetime does; with
    a conversion (`{params.at!s}`) it is the datetime's own text."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return self.value.strftime(spec or "%Y-%m-%dT%H%M%S")

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


def _resolve(template: str, name: str, fields: TargetFields) -> Any:
    head, *rest = _split(template, name)
    if head == fields.item_name and head not in TEMPLATE_FIELDS:
        head = "item"
    if head == "item":
        if fields.item_name is None:
            raise TemplateError(
                f"target template {template!r}: {{item}} names the item of a `foreach` step; "
                "this step has no `foreach`"
            )
        return _walk(template, name, fields.item, rest, "item")
    if head not in TEMPLATE_FIELDS:
        known = ", ".join(f"{{{field}}}" for field in TEMPLATE_FIELDS)
        meant = OTHER_TOOL_FIELDS.get(head)
        said = f" (Prefect's `{{{head}}}` is `{meant}` here)" if meant else ""
        raise TemplateError(
            f"target template {template!r}: unknown field {{{head}}}"
            f"{said or suggestion(head, TEMPLATE_FIELDS)}; known fields: {known}"
        )
    if head != "params":
        if rest:
            raise TemplateError(
                f"target template {template!r}: {{{name}}}: only {{params.NAME}} takes a dotted "
                "name; format a date with a spec such as {date:%Y-%m-%d}"
            )
        field = getattr(fields, head)
        return _PathDate(field) if head == "date" else field
    return _param(template, name, fields.params, rest)


def _param(template: str, name: str, params: Mapping[str, Any], rest: list[str]) -> Any:
    """`{params.a.b}`: one param's value (`rest` is `["a", "b"]`)."""
    if not rest:
        raise TemplateError(
            f"target template {template!r}: {{params}} needs a param name, e.g. {{params.seed}}"
        )
    value = _walk(template, name, params, rest, "params")
    # A date (`${run.date}`, a TOML or YAML date-time) without a spec: as `{date}`.
    return _PathDate(value) if isinstance(value, datetime) else value


def _shown(value: Any) -> str:
    """A value as a message shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _item_hint(name: str) -> str:
    """What to do about a target naming what an item lacks."""
    whole = name.split(".", 1)[0]
    return (
        f"; name a key every item has, or put the item whole (`{{{whole}}}`) or `{{key}}` "
        "in the target"
    )


def _walk(template: str, name: str, value: Any, rest: list[str], head: str) -> Any:
    """`{params.a.b}`, `{item.name}`: a value inside nested mappings, never a mapping."""
    what = "param" if head == "params" else "key of the item"
    for depth, part in enumerate(rest):
        where = ".".join([head, *rest[:depth]])
        if isinstance(value, list | tuple):  # `{params.files.0}`: an item by its index
            if list_index(part, len(value)) is None:
                raise TemplateError(
                    f"target template {template!r}: `{{{name}}}` names item `{part}` of "
                    f"{where}, which is a list of {counted(len(value), 'item')}"
                    + (f" ({indexes(len(value), str)})" if value else "")
                )
            value = value[int(part)]
            continue
        if not isinstance(value, Mapping):
            raise TemplateError(
                f"target template {template!r}: `{{{name}}}` names key `{part}` of "
                f"{'the item' if where == 'item' else where}, but "
                f"{'the item' if where == 'item' else where} is "
                f"{a_kind(type(value).__name__)} ({_shown(value)}), not a mapping"
                + (_item_hint(name) if head == "item" else "")
            )
        if part not in value:
            part = mapping_key(value, part)  # `{params.classes.0}` for `{0: setosa}`
        if part not in value:
            known_names = sorted(str(key) for key in value) if isinstance(value, Mapping) else []
            listing = f"; known under {where}: {', '.join(known_names)}" if known_names else ""
            raise TemplateError(
                f"target template {template!r}: unknown {what} {{{name}}}"
                f"{suggestion(part, known_names)}{listing}"
                + (_item_hint(name) if head == "item" else "")
            )
        value = value[part]
    if isinstance(value, Mapping):
        group = "a group of params" if head == "params" else "a mapping"
        raise TemplateError(
            f"target template {template!r}: {{{name}}} is {group}; name one of its keys, "
            f"e.g. {{{name}.{next(iter(value), 'NAME')}}}"
        )
    if isinstance(value, list | tuple):  # its repr would be the name: `['a', 'b'].json`
        raise TemplateError(
            f"target template {template!r}: {{{name}}} is a list of "
            f"{counted(len(value), 'item')}, which makes no file name; "
            + (f"name one of its items, e.g. {{{name}.0}}" if value else "give it items")
        )
    return value

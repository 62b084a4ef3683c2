"""`params_schema`: the merged params checked against the config's JSON Schema, each failure
a problem at the source that set the failing value (a params file, `--param`, a schedule) or
else at the config's `params:`. jsonschema is imported only to word the problems: a plain
schema that the params meet is answered by `params_check.py`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeflow.config.param_types import check_type, quote_hint
from pipeflow.config.params import ParamSource
from pipeflow.config.params_check import plainly_valid
from pipeflow.config.reader import Document
from pipeflow.config.schema_refs import no_retrieval, ref_problems
from pipeflow.errors import Problem, did_you_mean
from pipeflow.model.pipeline import Pipeline
from pipeflow.model.plain import json_value
from pipeflow.model.refs import Ref, Template, run_stand_ins, unparse
from pipeflow.model.secrets import Secrets


def params_schema_problems(
    pipeline: Pipeline,
    document: Document,
    merged: Mapping[str, Any],
    sources: Sequence[ParamSource],
    secrets: Secrets,
) -> list[Problem]:
    if not pipeline.params_schema:
        return []
    refs = ref_problems(pipeline.params_schema)
    if refs:  # never handed to a validator: it would fetch a remote one, or fail on it
        return [
            document.problem(["params_schema", *path], message, hint=hint)
            for path, message, hint in refs
        ]
    schema = {"type": "object", **pipeline.params_schema}
    # A `${run.*}` param is checked as a value of the kind the run gives it (a run id, the
    # start time), as its format spec in a target is; a date as its ISO text (its JSON form,
    # `json_value`: `{type: string, format: date}` describes it).
    checked = json_value(unparse(run_stand_ins(merged)))
    if plainly_valid(schema, checked):
        return []
    import jsonschema  # only to word the problems: it takes ~150 ms to import
    from referencing.exceptions import Unresolvable

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as invalid:
        return [_invalid_problem(invalid, document)]
    validator = jsonschema.Draft202012Validator(
        schema,
        registry=no_retrieval(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    try:
        errors = sorted(
            validator.iter_errors(checked), key=lambda e: [str(p) for p in e.absolute_path]
        )
    except Unresolvable as unresolved:  # a local one `ref_problems` could not tell (`$id`s)
        return [
            document.problem(
                ["params_schema"],
                f"params_schema has a reference that points at nothing: {unresolved}",
                hint="refer only to definitions inside params_schema, e.g. `#/$defs/NAME`",
            )
        ]
    problems: list[Problem] = []
    for error in errors:
        place: list[str | int] = list(error.absolute_path)  # a list's items by index
        if not place:  # the params as a whole (`required`, ...): at the rule
            problems.append(_whole_problem(error, document, secrets))
            continue
        path = [str(part) for part in place]
        dotted = ".".join(path)
        origin = _origin(place, sources, merged)
        if secrets.hides(path):
            # jsonschema's message shows the value: say which rule failed instead.
            rule = f"{error.validator}: {error.validator_value!r}"
            whence = " (from the environment)" if origin is None else ""
            message = f"param `{dotted}` = ***{whence} fails params_schema ({rule})"
        else:
            shown = f"{error.instance!r}"
            found, value = _at(merged, place)
            if found and isinstance(value, Ref | Template):  # the user wrote the reference
                shown = f"{unparse(value)} (as the run fills it in: {shown})"
            message = f"param `{dotted}` = {shown} fails params_schema: {error.message}"
            if origin is None and found and value is None:
                problems.append(_not_given(dotted, place, error.message, document))
                continue
        if origin is not None:
            hint = None if secrets.hides(path) else _type_hint(error, dotted, origin, place)
            problems.append(origin.problem(place, message, hint))
        else:
            problems.append(document.problem(["params", *place], message))
    return problems


def _type_hint(error: Any, dotted: str, origin: ParamSource, place: list[str | int]) -> str | None:
    """For a param the schema wants as text given what YAML read as a number or a boolean
    (`--param code=007`): to quote it, as a text default's check says; for an integer one
    given a float that is not whole (`1.5`): to write a whole number."""
    kinds = (
        error.validator_value
        if isinstance(error.validator_value, list)
        else [error.validator_value]
    )
    if error.validator != "type":
        return None
    _, given = _at(origin.values, place)
    if "string" not in kinds:
        whole = _integer(kinds) and isinstance(given, float)
        return f"give `{dotted}` a whole number, as params_schema wants" if whole else None
    written = origin.written([str(part) for part in place])
    return quote_hint(dotted, given, written, "as params_schema wants")


def whole_integers(schema: Any, value: Any) -> Any:
    """`value` with each float that is a whole number (`2.0`, `1e2`) where `schema` wants an
    integer made the int: JSON Schema counts it an integer, and the step gets one. Followed
    through `properties`, `additionalProperties` and `items`."""
    if not isinstance(schema, Mapping):
        return value
    if isinstance(value, float) and value.is_integer() and _integer(schema.get("type")):
        return int(value)
    if isinstance(value, dict):
        known = schema.get("properties")
        known = known if isinstance(known, Mapping) else {}
        other = schema.get("additionalProperties")
        return {key: whole_integers(known.get(key, other), item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_integers(schema.get("items"), item) for item in value]
    return value


def _integer(kind: Any) -> bool:
    """Whether a `type` allows integers and no other numbers."""
    kinds = kind if isinstance(kind, list) else [kind]
    return "integer" in kinds and "number" not in kinds


def _not_given(dotted: str, place: list[str | int], said: str, document: Document) -> Problem:
    """A `null` default that the schema refuses, never overridden: a param each run must give
    (Prefect's `Parameter(..., required=True)`), and this run did not."""
    return document.problem(
        ["params", *place],
        f"param `{dotted}` is not given: its default is null, which params_schema refuses ({said})",
        hint=f"give it a value: `--param {dotted}=VALUE` or a params file "
        f"(`params={{{dotted!r}: ...}}` in Python)",
    )


_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
_NAMES = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def _invalid_problem(invalid: Any, document: Document) -> Problem:
    """A `params_schema` that is no valid JSON Schema, at the part that is not: a type name
    that is none (`strin`) with the one it most likely is."""
    place: list[str | int] = list(invalid.absolute_path)  # in the schema, a list's items by index
    # The keyword `type`, not a param named so (`properties: {type: ...}`).
    if place and place[-1] == "type" and (len(place) < 2 or place[-2] not in _NAMES):
        names = invalid.instance if isinstance(invalid.instance, list) else [invalid.instance]
        wrong = [name for name in names if name not in _TYPES]
        if wrong:
            shown = ", ".join(f"`{name}`" for name in wrong)
            message = f"invalid params_schema: {shown} is no JSON Schema type"
            hint = did_you_mean(str(wrong[0]), _TYPES) or "the types: " + ", ".join(_TYPES)
            return document.problem(["params_schema", *place], message, hint=hint)
    message = f"invalid params_schema: {invalid.message}"
    return document.problem(["params_schema", *place], message)


# Rules whose message names keys, never a value (which could be a secret).
_NAMING_KEYS = frozenset({"required", "dependentRequired", "additionalProperties"})


def _whole_problem(error: Any, document: Document, secrets: Secrets) -> Problem:
    """A failure of the params as a whole, at its rule in `params_schema`: no one value (nor
    the last override given) is to blame, and the message shows no value."""
    if error.validator in _NAMING_KEYS or error.validator == "unevaluatedProperties":
        said = f": {secrets.mask(error.message)}"
    else:
        said = f" ({error.validator}: {secrets.mask(repr(error.validator_value))})"
    rule = ["params_schema", *error.relative_schema_path]
    return document.problem(rule, f"the params fail params_schema{said}")


def _origin(
    place: list[str | int], sources: Sequence[ParamSource], merged: Mapping[str, Any]
) -> ParamSource | None:
    """The last source that set this param, so the message points where the value came from.
    A source whose value was refused (another type than the default's) set nothing: the
    value checked is an earlier one, maybe the default's."""
    _, current = _at(merged, place)
    for source in reversed(sources):
        found, value = _at(source.values, place)
        if found and _gave(value, current):
            return source
    return None


def _gave(value: Any, current: Any) -> bool:
    """Whether a source's `value` is the merged `current` one, as merging stores it (an int
    for a float default as a float, a date's ISO text as the date)."""
    if value is current or value == current:
        return True
    return current is not None and check_type(current, value) == current


def _at(value: Any, place: list[str | int]) -> tuple[bool, Any]:
    """Whether `place` (keys, and indices of lists) is in `value`, and what is there."""
    node: Any = value
    for part in place:
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not in_list and not (isinstance(node, Mapping) and part in node):
            return False, None
        node = node[part]
    return True, node

"""Schema problems: every JSON Schema error in a config as a located problem in plain words.

jsonschema reports "is not valid under any of the given schemas" for a `oneOf`, and "Additional
properties are not allowed" for a typo. Each error is translated here by the keyword that failed:
an unknown key points at the key and suggests the closest allowed one, a wrong type points at the
value and says what was expected, and a `oneOf`/`anyOf` is reduced to the branch the user was
evidently writing (the one whose type matches), so the message is about the real mistake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pipeflow.config.other_tools import other_tool_hint, other_tool_top_hint
from pipeflow.config.reader import Document
from pipeflow.config.schema import (
    compiled_valid,
    definitions,
    load_schema,
    plain,
    validation_errors,
)
from pipeflow.config.schema_hints import a_step, assignment, sub_pipeline_step, type_hint
from pipeflow.config.suggest import (
    describe_value,
    did_you_mean,
    format_path,
    name_like,
    plain_name,
)
from pipeflow.errors import Problem
from pipeflow.model import jsontext
from pipeflow.model.duration_words import DURATION_HINT, DURATION_WORDS, duration_suggestion

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

DocumentPath = tuple[str | int, ...]

_TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}
# What the required keys of an "exactly one of" choice hold, for "needs `run` (...) or ...".
_CHOICE_WORDS = {
    "run": "a dotted path to a function",
    "pipeline": "a path to another config",
    "cron": 'a cron expression such as "0 6 * * 1-5"',
    "interval": "a duration such as `1h`",
}
_IRIS = "steps.iris.load_data"  # the function the examples name
_CHOICE_EXAMPLES: dict[str, Callable[[str], str]] = {
    "run": lambda kind: f"e.g. `{assignment('run', 'steps.iris.load_data', kind, text=True)}`",
    "cron": lambda kind: (
        f"e.g. `{assignment('cron', chr(34) + '0 6 * * 1-5' + chr(34), kind)}` or "
        f"`{assignment('interval', '1h', kind, text=True)}`"
    ),
}


def schema_problems(document: Document) -> list[Problem]:
    """Every schema violation in `document`, located and worded, sorted by line and column.

    A config the compiled check passes has none; jsonschema (imported only then) finds and
    explains the errors of the others."""
    if document.fits_schema:  # checked when its reading was kept (`readings.py`)
        return []
    instance = document.data if document.plain else plain(document.data)
    if compiled_valid(instance):
        return []
    errors = list(validation_errors(instance))
    if not errors:
        return []
    from pipeflow.config.placement import misplaced  # only a config with problems needs it

    problems: list[Problem] = []
    for error in errors:
        problems.extend(_explain(error, document))
    # A key written one level off is one problem, not the errors it causes.
    moved = misplaced(document, instance, errors)
    problems = [*moved.problems, *(p for p in problems if not moved.explains(p))]
    unique = list(dict.fromkeys(problems))  # a choice and its branch may word one mistake twice
    unique.sort(key=lambda problem: (problem.line or 0, problem.column or 0, problem.path))
    return unique


def _explain(error: ValidationError, document: Document) -> list[Problem]:
    path: DocumentPath = tuple(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    rule: Any = error.validator_value
    if "propertyNames" in error.relative_schema_path:
        return [_bad_key_name(error, path, document)]
    if keyword in ("oneOf", "anyOf"):
        return _explain_choice(error, path, document)
    if keyword == "additionalProperties":
        return _unknown_keys(error, path, document)
    if keyword == "required":
        return _missing_keys(error, path, document)
    if keyword == "type":
        return [_wrong_type(error, path, document)]
    if keyword == "pattern":
        words = sub_pipeline_step(instance, path, document.data, document.kind)
        message, hint = words or _pattern_words(error, path, document.kind)
        return [document.problem(path, message, hint=hint)]
    field = _field(path)
    if keyword == "enum":
        allowed = [str(choice) for choice in rule]
        choices = _either(f"`{choice}`" for choice in allowed)
        message = f"`{field}` must be {choices}, got {describe_value(instance)}"
        return [document.problem(path, message, hint=did_you_mean(str(instance), allowed))]
    if keyword == "const":
        expected = jsontext.dumps(rule)
        message = f"`{field}` must be {expected}, got {describe_value(instance)}"
        if path == ("pipeflow",):
            message = f"`pipeflow` (the format version) must be 1, got {describe_value(instance)}"
            hint = "this pipeflow reads format 1; remove the key or write `pipeflow: 1`"
            return [document.problem(path, message, hint=hint)]
        return [document.problem(path, message)]
    if keyword in ("minimum", "exclusiveMinimum"):
        relation = "at least" if keyword == "minimum" else "more than"
        limit = rule
        message = f"`{field}` must be {relation} {limit}, got {describe_value(instance)}"
        return [document.problem(path, message)]
    if keyword in ("minLength", "minProperties", "minItems"):
        if path == ("steps",):
            hint = f"add a step, e.g. {a_step('load_data', _IRIS, document.kind)}"
            return [document.problem(path, "the pipeline has no steps", hint=hint, key=True)]
        if path[-1:] == ("outputs",) and path[:1] == ("steps",):
            hint = "list the names of the parts the step returns, or remove `outputs:`"
            return [document.problem(path, "`outputs` must not be empty", hint=hint)]
        return [document.problem(path, f"`{field}` must not be empty")]
    if keyword == "uniqueItems":
        return [_repeated_item(path, instance, document)]
    return [document.problem(path, error.message)]


def _bad_key_name(error: ValidationError, path: DocumentPath, document: Document) -> Problem:
    """A key that breaks its mapping's `propertyNames` rule, e.g. a step named `load data`."""
    key = str(error.instance)
    if error.validator == "pattern":
        message, hint = _pattern_words(error, path, document.kind)
    else:
        message, hint = f"the key `{key}` is not allowed {_where(path)}: {error.message}", None
    return document.problem((*path, key), message, hint=hint, key=True)


def _field(path: DocumentPath) -> str:
    """The name a message uses for `path`: its last key, with any list indexes after it."""
    for position in range(len(path) - 1, -1, -1):
        if isinstance(path[position], str):
            return format_path(path[position:])
    return format_path(path) or "the config"


def _where(path: DocumentPath) -> str:
    if not path:
        return "at the top level"
    if path[0] == "steps" and len(path) >= 2:
        if len(path) == 2:
            return f"in step `{path[1]}`"
        return f"in `{format_path(path[2:])}` of step `{path[1]}`"
    return f"in `{format_path(path)}`"


def _subject(path: DocumentPath) -> str:
    if len(path) == 2 and path[0] == "steps":
        return f"step `{path[1]}`"
    return f"`{format_path(path)}`" if path else "the pipeline"


def _either(words: Iterable[str]) -> str:
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _unknown_keys(error: ValidationError, path: DocumentPath, document: Document) -> list[Problem]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    allowed = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    step_keys = definitions()["step"]["properties"]
    default_keys = load_schema()["properties"]["defaults"]["properties"]
    problems = []
    for key in instance:
        if key in allowed or any(re.search(pattern, key) for pattern in patterns):
            continue
        in_step = len(path) == 2 and path[0] == "steps"
        hint = (
            (in_step and other_tool_hint(key, document.kind))
            or (not path and other_tool_top_hint(key, document.kind))
            or did_you_mean(key, allowed)
        )
        value = instance[key]
        if hint is None and not path and isinstance(value, dict) and "run" in value:
            hint = (
                f"is `{key}` a step? name its table `[steps.{key}]`"
                if document.kind == "toml"
                else f"is `{key}` a step? indent it under `steps:`"
            )
        elif hint is None and not path and key in step_keys:
            place = "under `defaults:` or in a step" if key in default_keys else "in a step"
            hint = f"`{key}` is a step setting: put it {place}"
        if hint is None:
            hint = "allowed keys: " + ", ".join(f"`{name}`" for name in allowed)
        message = f"unknown key `{key}` {_where(path)}"
        problems.append(document.problem((*path, key), message, hint=hint, key=True))
    return problems


def _missing_keys(error: ValidationError, path: DocumentPath, document: Document) -> list[Problem]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    rule: Any = error.validator_value
    required: list[str] = list(rule)
    problems = []
    for key in required:
        if key in instance:
            continue
        hint: str | None
        if not path and key == "name":
            message = "the pipeline needs a `name`"
            example = assignment("name", "iris", document.kind, text=True)
            hint = f"add e.g. `{example}` (ASCII letters, digits, '-' and '_')"
        elif not path and key == "steps":
            message = "the pipeline has no `steps`"
            table = "`steps` table" if document.kind == "toml" else "`steps:` mapping"
            hint = f"add a {table}, e.g. {a_step('load_data', _IRIS, document.kind)}"
        else:
            message = f"{_subject(path)} needs `{key}`"
            hint = did_you_mean(key, instance)
        problems.append(document.problem(path, message, hint=hint, key=True))
    return problems


def _explain_choice(
    error: ValidationError, path: DocumentPath, document: Document
) -> list[Problem]:
    rule: Any = error.validator_value
    branches: list[Any] = list(rule)
    instance = error.instance
    required = [
        branch["required"][0]
        for branch in branches
        if isinstance(branch, dict) and set(branch) == {"required"} and len(branch["required"]) == 1
    ]
    if len(required) == len(branches):  # "exactly one of these keys"
        if not isinstance(instance, dict):
            return []  # the type error already says what is wrong
        present = [key for key in required if key in instance]
        if len(present) > 1:
            names = _either(f"`{key}`" for key in present).replace(" or ", " and ")
            message = f"{_subject(path)} has both {names}; give only one"
            return [document.problem(path, message, key=True)]
        wanted = _either(f"`{key}` ({_CHOICE_WORDS.get(key, 'a value')})" for key in required)
        hint = next(
            (
                suggestion
                for key in instance
                if (suggestion := did_you_mean(key, required)) is not None
            ),
            _CHOICE_EXAMPLES[required[0]](document.kind)
            if required[0] in _CHOICE_EXAMPLES
            else None,
        )
        return [document.problem(path, f"{_subject(path)} needs {wanted}", hint=hint, key=True)]
    by_branch: dict[int, list[ValidationError]] = {index: [] for index in range(len(branches))}
    for child in error.context or []:
        by_branch[int(child.relative_schema_path[0])].append(child)
    # The branch the user meant is the one whose type fits; its errors are the real mistakes.
    fitting = [
        index
        for index, errors in by_branch.items()
        if errors and not any(_is_shape_error(child) for child in errors)
    ]
    if len(fitting) == 1:
        problems: list[Problem] = []
        for child in by_branch[fitting[0]]:
            problems.extend(_explain(child, document))
        return problems
    expected = _either(_branch_words(branch) for branch in branches)
    message = f"expected {expected} for `{_field(path)}`, got {describe_value(instance)}"
    hint = None
    if path[-1:] == ("result",) and instance is True:
        hint = "results are stored by default; `result: false` turns that off"
    return [document.problem(path, message, hint=hint)]


def _is_shape_error(error: ValidationError) -> bool:
    """True when the error says the value is of another kind, not that its content is wrong."""
    return not error.relative_path and error.validator in ("type", "const", "enum")


def _branch_words(branch: Any) -> str:
    if not isinstance(branch, dict):
        return "a value"
    reference = branch.get("$ref", "")
    if reference.startswith("#/$defs/"):
        branch = definitions().get(reference.removeprefix("#/$defs/"), {})
    if branch.get("title") == "duration":
        return DURATION_WORDS
    if "const" in branch:
        return f"`{jsontext.dumps(branch['const'])}`"
    rule = branch.get("type", [])
    kinds: list[str] = [rule] if isinstance(rule, str) else rule
    return _either(_TYPE_WORDS.get(kind, kind) for kind in kinds) or "a value"


def _wrong_type(error: ValidationError, path: DocumentPath, document: Document) -> Problem:
    instance = error.instance
    rule: Any = error.validator_value
    kinds: list[str] = [rule] if isinstance(rule, str) else list(rule)
    field = _field(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if schema.get("title") == "duration":
        expected = DURATION_WORDS
    else:
        expected = _either(_TYPE_WORDS.get(kind, kind) for kind in kinds)
    got = describe_value(instance)
    if len(path) == 2 and path[0] == "steps" and "object" in kinds:
        message = f"step `{path[1]}` must be a mapping with `run:` or `pipeline:`, got {got}"
        hint = f"e.g. {a_step(str(path[1]), 'package.module.function', document.kind)}"
        return document.problem(path, message, hint=hint, key=instance is None)
    message = f"expected {expected} for `{field}`, got {got}"
    fix = type_hint(kinds, instance, path, document.kind, schema=schema)
    return document.problem(path, message, hint=fix)


def _pattern_words(
    error: ValidationError, path: DocumentPath, kind: str = "yaml"
) -> tuple[str, str | None]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = schema.get("title")
    value = str(error.instance)
    field = _field(path)
    if title == "duration":
        schedule = path[:1] == ("schedules",) and path[-1:] == ("interval",)

        def cron(expression: str) -> str:
            return assignment("cron", f'"{expression}"', kind)

        suggestion = duration_suggestion(value, cron=cron if schedule else None)
        return f"{value!r} is not a duration", suggestion or DURATION_HINT
    if title == "pipeline name":
        suggestion = re.sub(r"[^A-Za-z0-9_-]+", "_", plain_name(value)).strip("_") or "my_pipeline"
        message = f"the pipeline name {value!r} may only use ASCII letters, digits, `-` and `_`"
        return message, f"e.g. `{assignment('name', suggestion, kind, text=True)}`"
    if title == "step name":
        suggestion = name_like(value, allow_dash=True)
        message = (
            f"{value!r} is not a valid step name: use ASCII letters, digits, `_` and `-`, "
            "starting with a letter or `_`"
        )
        return message, f"e.g. `{suggestion}`"
    if title == "identifier":
        suggestion = name_like(value, allow_dash=False)
        message = (
            f"{value!r} is not a valid name for `{field}`: use ASCII letters, digits and `_`, "
            "not starting with a digit"
        )
        return message, f"e.g. `{suggestion}`"
    if title == "reference":
        message = f"{value!r} is not a reference: `{field}` takes one `${{...}}` reference"
        if "${" not in value and re.fullmatch(r"[\w.:-]+", value):
            return message, f"did you mean `${{{value}}}`?"
        return message, "e.g. `${steps.train_model}` or `${steps.split_data.train_x}`"
    if title == "module name":
        return f"{value!r} is not a module name", "write a dotted module name, e.g. `sklearn.svm`"
    return (
        f"{value!r} does not have the form `{field}` needs (pattern {schema.get('pattern')})",
        None,
    )


def _repeated_item(path: DocumentPath, instance: Any, document: Document) -> Problem:
    items = instance if isinstance(instance, list) else []
    seen: list[Any] = []
    for index, item in enumerate(items):
        if item in seen:
            message = f"`{_field(path)}` lists {describe_value(item)} more than once"
            return document.problem((*path, index), message, hint="remove the repeated item")
        seen.append(item)
    return document.problem(path, f"`{_field(path)}` lists an item more than once")

"""The Run form: one text field per param, read back as `--param KEY=VALUE` overrides.

Each field shows the param's default the way `--param` would read it back (a YAML scalar, or
JSON for lists); only fields the user changed become overrides, so an untouched form runs
with the defaults. Nested params get one field per leaf (`a.b`). A param whose value came
from the environment, or holds a secret (a storage credential), is never shown: its field
stays empty and is only sent when filled in.
Validation problems at `params.NAME` are shown beside field NAME; others above the form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipeflow.config.suggest import type_name
from pipeflow.errors import Problem
from pipeflow.model import jsontext
from pipeflow.model.plain import json_value


@dataclass
class Field:
    name: str  # dotted
    value: str  # as shown (and as submitted)
    default: str  # the default as shown; a submitted value equal to it is no override
    kind: str  # the default's type, as a hint: string, number, integer, boolean, list, null
    secret: bool = False
    errors: list[str] = field(default_factory=list)


def fields_for(
    params: Mapping[str, Any],
    secrets: Iterable[str] = (),
    mask: Callable[[str], str] | None = None,
) -> list[Field]:
    """`secrets`: the params from the environment; `mask` masks secret values in a text."""
    hidden = set(secrets)
    fields: list[Field] = []
    for name, value in _leaves(params):
        shown = show(value)
        if (
            name in hidden
            or any(name.startswith(secret + ".") for secret in hidden)
            or (mask is not None and mask(shown) != shown)
        ):
            fields.append(Field(name, "", "", _kind(value), secret=True))
        else:
            fields.append(Field(name, shown, shown, _kind(value)))
    return fields


def overrides(fields: list[Field], submitted: Mapping[str, str]) -> list[str]:
    """`KEY=VALUE` for each field whose submitted text differs from its default; sets values."""
    options = []
    for item in fields:
        text = submitted.get(item.name)
        if text is None:
            continue
        text = text.strip()
        item.value = "" if item.secret else text
        if (item.secret and text) or (not item.secret and text != item.default):
            options.append(f"{item.name}={text}")
    return options


def attach(fields: list[Field], problems: Iterable[Problem]) -> list[str]:
    """Put each problem beside its field; returns the messages that belong to no field."""
    by_name = {item.name: item for item in fields}
    general = []
    for problem in problems:
        text = problem.message + (f" ({problem.hint})" if problem.hint else "")
        target = _field_of(problem.path, by_name)
        if target is None:
            general.append(problem.format().removeprefix("error: "))
        else:
            target.errors.append(text)
    return general


def json_text(value: Any) -> str:
    """A value as JSON text, as `runs show` prints it (`"<b>x</b> & y"`), for a page: the
    template escapes it as any text. Jinja's `tojson` writes `<`, `>`, `&` and `'` as
    `\u003c`-style escapes (safe inside a `<script>`, where no value of ours goes), which a
    reader saw instead of the characters."""
    return jsontext.dumps(json_value(value), ensure_ascii=False)


def show(value: Any) -> str:
    """A value the way `--param KEY=VALUE` reads it back (a date or datetime as its ISO text,
    unquoted, which YAML reads as one); else its JSON form (`model/plain.py`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return jsontext.dumps(json_value(value))


def _field_of(path: str, by_name: Mapping[str, Field]) -> Field | None:
    if not path.startswith("params."):
        return None
    name = path.removeprefix("params.")
    while name:  # a problem deep inside a list or mapping goes to the field that holds it
        if name in by_name:
            return by_name[name]
        name = name.rpartition(".")[0]
    return None


def _leaves(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    leaves: list[tuple[str, Any]] = []
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            leaves += _leaves(value, name + ".")
        else:
            leaves.append((name, value))
    return leaves


def _kind(value: Any) -> str:
    """The value's kind beside its field: 'integer', 'string', 'list'..."""
    return type_name(value).removeprefix("an ").removeprefix("a ")

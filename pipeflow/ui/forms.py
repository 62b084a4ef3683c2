"""The Run form: one text field per param (a <textarea> for a multi-line text), read back as
`--param KEY=VALUE` overrides.

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
from pipeflow.model.refs import Ref, Template, unparse


@dataclass
class Field:
    name: str  # dotted
    value: str  # as shown (and as submitted)
    default: str  # the default as shown; a submitted value equal to it is no override
    kind: str  # the default's type, as a hint: string, number, integer, boolean, list, null
    secret: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def multiline(self) -> bool:
        """Shown in a <textarea>: an <input> would drop the default's line breaks."""
        return "\n" in self.value or "\r" in self.value or "\n" in self.default

    @property
    def rows(self) -> int:
        return min(12, max(2, self.value.count("\n") + 2))


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
    """`KEY=VALUE` for each field whose submitted text differs from its default; sets values.

    The page's script sends only the fields the user changed (against the value the form was
    rendered with); a form posted without it sends every field, and those equal to the default
    now are no override. A multi-line text (a <textarea>, which a browser sends with CRLF line
    breaks) is kept as typed: not stripped, and for a string param quoted, so that YAML does
    not fold its lines into one."""
    options = []
    for item in fields:
        text = submitted.get(item.name)
        if text is None:
            continue
        multiline = "\n" in text or "\r" in text
        text = text.replace("\r\n", "\n") if multiline else text.strip()
        item.value = "" if item.secret else text
        if (item.secret and text) or (not item.secret and text != item.default):
            written = _quoted(text) if multiline and item.kind == "string" else text
            options.append(f"{item.name}={written}")
    return options


def _quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar that reads back exactly; `#` escaped too, since
    `--param` keeps a value holding `#` as written when YAML reads it as other text."""
    escaped = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "#": "\\x23"}
    out = []
    for char in text:
        code = ord(char)
        if char in escaped:
            out.append(escaped[char])
        elif char == " " or char.isprintable():
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


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
    unquoted, which YAML reads as one); else its JSON form (`model/plain.py`). A `${` in a
    text is shown as `$${`, which `--param` reads as the text (it refuses a `${`); a default
    the run fills in (`nightly-${run.id}`) is shown as written in the config."""
    if isinstance(value, Ref | Template):
        return str(unparse(value))
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return jsontext.dumps(json_value(value)).replace("${", "$${")


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
    if isinstance(value, Ref | Template):  # filled in by the run: a text, or a run's date
        return "string"
    return type_name(value).removeprefix("an ").removeprefix("a ")

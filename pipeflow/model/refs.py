"""`${...}` references: parsing strings into references and templates, and resolving them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pipeflow.records import record

SCOPES = ("params", "steps", "env", "run")
RUN_FIELDS = ("id", "date")
# The scope of a `foreach` item named in `reads:`/`writes:` (`${item}`, or the `as:` name):
# its path starts with that name, so `Ref("item", ("book",))` is written `${book}`.
ITEM = "item"


class ReferenceSyntaxError(ValueError):
    """A `${...}` that cannot be parsed; `offset` is the index in the string where it starts."""

    def __init__(
        self, message: str, *, offset: int, hint: str | None = None, unscoped: str = ""
    ) -> None:
        super().__init__(message)
        self.offset = offset
        self.hint = hint
        # A reference that starts with no scope (`${load.rows}`): its names, as written, so
        # that one naming a step or a param is told which it meant (`config/build.py`).
        self.unscoped = unscoped


@record
class Ref:
    """One reference: `${scope.path}`, with an optional `:-default` for `env`."""

    scope: str
    path: tuple[str, ...]
    default: str | None = None

    @property
    def text(self) -> str:
        default = f":-{self.default}" if self.default is not None else ""
        names = self.path if self.scope == ITEM else (self.scope, *self.path)
        return "${" + ".".join(names) + default + "}"

    @property
    def step(self) -> str:
        """For a `steps` reference, the step it names."""
        return self.path[0]

    @property
    def part(self) -> str | None:
        """For a `steps` reference, the output part it names, if any."""
        return self.path[1] if len(self.path) > 1 else None


@record
class Template:
    """A string with references inside it; resolved by formatting each value into the text."""

    parts: tuple[str | Ref, ...]


def parse_string(text: str, *, item: str | None = None) -> str | Ref | Template:
    """Parse one string: plain text, exactly one reference (keeps its type), or a template.

    `item`: the name a `foreach` item goes by (`item`, or `as:`), which `${NAME}` and
    `${NAME.KEY}` then reference (scope ITEM); only paths in `reads:`/`writes:` allow it."""
    if "$" not in text:
        return text
    if text.startswith("${") and text.find("}", 2) == len(text) - 1:
        # The whole text is one reference (`${steps.load}`: most of a config's): what the
        # walk below finds for it, without walking.
        return parse_reference(text[2:-1], offset=0, item=item)
    return _walked(text, item)


def _walked(text: str, item: str | None) -> str | Ref | Template:
    """`parse_string`, character by character."""
    parts: list[str | Ref] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$${", index):
            literal.append("${")
            index += 3
            continue
        if text.startswith("${", index):
            end = text.find("}", index + 2)
            if end == -1:
                raise ReferenceSyntaxError(
                    f"unterminated reference `{text[index:]}`",
                    offset=index,
                    hint="close it with `}`, or write `$${` for a literal `${`",
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(parse_reference(text[index + 2 : end], offset=index, item=item))
            index = end + 1
            continue
        literal.append(text[index])
        index += 1
    if literal:
        parts.append("".join(literal))
    if len(parts) == 1:
        only = parts[0]
        return only
    return Template(tuple(parts))


def _scope_meant(scope: str) -> str | None:
    """The scope a misspelt one is most likely (`parms`, `Params`, `step`), or None."""
    import difflib  # only for a reference that is wrong

    lowered = scope.lower()
    if lowered in SCOPES:
        return lowered
    close = difflib.get_close_matches(lowered, SCOPES, n=1, cutoff=0.75)
    return close[0] if close else None


def parse_reference(body: str, *, offset: int = 0, item: str | None = None) -> Ref:
    """Parse what stands between `${` and `}`."""
    default: str | None = None
    if ":-" in body:
        body, default = body.split(":-", 1)
    names = body.strip().split(".")
    scope = names[0]
    named_item = item is not None and scope == item and scope not in SCOPES
    if named_item and default is None and all(name.strip() for name in names):
        return Ref(ITEM, tuple(name.strip() for name in names))
    if scope not in SCOPES:
        meant = _scope_meant(scope.strip())
        raise ReferenceSyntaxError(
            f"unknown reference `${{{body}}}`",
            offset=offset,
            hint=f"did you mean `${{{'.'.join([meant, *names[1:]])}}}`?"
            if meant is not None
            else "a reference starts with "
            + ", ".join(f"`{s}.`" for s in SCOPES)
            + (f", or is `${{{item}}}`, the `foreach` item" if item is not None else ""),
            unscoped=body.strip() if meant is None else "",
        )
    path = tuple(names[1:])
    if not path or any(not name.strip() for name in path):
        raise ReferenceSyntaxError(
            f"incomplete reference `${{{body}}}`: a name is missing after `{scope}.`",
            offset=offset,
            hint=f"write e.g. `${{{scope}.NAME}}`",
        )
    if default is not None and scope != "env":
        raise ReferenceSyntaxError(
            f"`:-default` is only allowed on `env` references, not in `${{{body}:-{default}}}`",
            offset=offset,
        )
    if scope == "env" and len(path) != 1:
        raise ReferenceSyntaxError(
            f"`${{{body}}}`: an environment reference names one variable", offset=offset
        )
    if scope == "run" and (len(path) != 1 or path[0] not in RUN_FIELDS):
        raise ReferenceSyntaxError(
            f"unknown run field in `${{{body}}}`",
            offset=offset,
            hint="use `${run.id}` or `${run.date}`",
        )
    if scope == "steps" and len(path) > 2:
        raise ReferenceSyntaxError(
            f"`${{{body}}}`: a step reference is `steps.NAME` or `steps.NAME.PART`",
            offset=offset,
        )
    return Ref(scope=scope, path=path, default=default)


def parse_value(value: Any) -> Any:
    """Parse every string inside a value (mappings and lists are walked)."""
    if isinstance(value, str):
        return parse_string(value)
    if isinstance(value, Mapping):
        return {key: parse_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [parse_value(item) for item in value]
    return value


def references(value: Any) -> Iterator[Ref]:
    """Every reference inside a parsed value."""
    found: list[Ref] = []
    _collect(value, found)
    return iter(found)


def references_in(*values: Any) -> tuple[Ref, ...]:
    """Every reference inside each of the parsed values, in order."""
    found: list[Ref] = []
    for value in values:
        _collect(value, found)
    return tuple(found)


_PLAIN = frozenset({str, int, float, bool, type(None)})  # no reference inside


def _collect(value: Any, found: list[Ref]) -> None:
    kind = type(value)
    if kind in _PLAIN:
        return
    if kind is Ref:
        found.append(value)
    elif kind is Template:
        found.extend(part for part in value.parts if type(part) is Ref)
    elif kind is dict or isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif kind is list:
        for item in value:
            _collect(item, found)
    elif isinstance(value, Ref):
        found.append(value)
    elif isinstance(value, Template):
        found.extend(part for part in value.parts if isinstance(part, Ref))
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def resolve(
    value: Any,
    lookup: Callable[[Ref], Any],
    *,
    text_lookup: Callable[[Ref], Any] | None = None,
) -> Any:
    """Replace every reference in a parsed value by what `lookup` gives for it.

    `text_lookup`, if given, is asked instead for references inside a longer string, whose
    values are written into the text (a whole-string reference may stand for a value that
    is elsewhere; one inside a text needs the value itself)."""
    if isinstance(value, Ref):
        return lookup(value)
    if isinstance(value, Template):
        text = text_lookup or lookup
        return "".join(
            part if isinstance(part, str) else _as_text(text(part)) for part in value.parts
        )
    if isinstance(value, Mapping):
        return {key: resolve(item, lookup, text_lookup=text_lookup) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, lookup, text_lookup=text_lookup) for item in value]
    return value


def unparse(value: Any) -> Any:
    """The config text of a parsed value (for messages and fingerprints)."""
    if isinstance(value, Ref):
        return value.text
    if isinstance(value, Template):
        return "".join(
            part.text if isinstance(part, Ref) else part.replace("${", "$${")
            for part in value.parts
        )
    if isinstance(value, Mapping):
        return {key: unparse(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unparse(item) for item in value]
    return value


def run_stand_ins(value: Any) -> Any:
    """`value` with each `${run.*}` in it replaced by a value of the type the run will give
    it (`${run.id}` a string of a run id's shape, `${run.date}` a timezone-aware datetime, a
    text that holds one a string): what a param's type and a target's format spec are checked
    against before the run. Any other reference is kept as it is."""
    if isinstance(value, Ref):
        return _run_stand_in(value) if value.scope == "run" else value
    if isinstance(value, Template):
        if any(isinstance(part, Ref) and part.scope != "run" for part in value.parts):
            return value
        return resolve(value, _run_stand_in)
    if isinstance(value, Mapping):
        return {key: run_stand_ins(item) for key, item in value.items()}
    if isinstance(value, list):
        return [run_stand_ins(item) for item in value]
    return value


def _run_stand_in(ref: Ref) -> Any:
    started = datetime.now().astimezone()
    return f"{started:%Y%m%d-%H%M%S}-000000" if ref.path[0] == "id" else started


def lookup_path(root: Any, path: tuple[str, ...]) -> Any:
    """Walk mappings, and lists by index (`files.1`), along `path`; raises KeyError naming
    the missing part."""
    current = root
    for depth, name in enumerate(path):
        if isinstance(current, Mapping):
            if name not in current:
                name = mapping_key(current, name)  # `classes.0` for `{0: setosa}`
            if name not in current:
                raise KeyError(".".join(path[: depth + 1]))
            current = current[name]
        elif isinstance(current, list | tuple) and list_index(name, len(current)) is not None:
            current = current[int(name)]
        else:
            raise KeyError(".".join(path[: depth + 1]))
    return current


def list_index(name: str, length: int) -> int | None:
    """The item of a list of `length` items that `name` writes, as `0`, `1`, ... (no sign, no
    leading zero), else None."""
    if not (name.isascii() and name.isdigit()) or (name != "0" and name.startswith("0")):
        return None
    index = int(name)
    return index if index < length else None


_BRACKETED = re.compile(r"""\[\s*(['"]?)([^\]'"]*)\1\s*\]""")


def dotted_spelling(name: str) -> str | None:
    """`files[0]` -> `files.0`, `m['k']` -> `m.k`: an index or key in brackets, as Python,
    Jinja and OmegaConf write it, in the dotted spelling pipeflow reads; None without one."""
    if "[" not in name:
        return None
    return _BRACKETED.sub(lambda match: "." + match.group(2).strip(), name)


def mapping_key(mapping: Mapping[Any, Any], name: str) -> Any:
    """The number key of `mapping` that `name` writes as text (a reference's path is text),
    else `name`."""
    same = [
        key
        for key in mapping
        if isinstance(key, int | float) and not isinstance(key, bool) and str(key) == name
    ]
    return same[0] if len(same) == 1 else name


def _as_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)

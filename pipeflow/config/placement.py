"""Misplaced keys: a key written one level off is one problem that says where it belongs.

In YAML a wrong indentation moves keys between mappings: `target:` written at the level of
`result:` lands in the step, the entries of an `inputs:` written at its own level land in
the step and leave `inputs` null, a step's `retries:` indented under `result:` lands in the
result. In TOML the same happens with tables: a key belongs to the table whose header is
above it. jsonschema sees only unknown keys and wrong types, each reported on its own ("did
you mean `tags`?"). Here the schema errors are read again, in the mapping where they happen:

1. keys that fit (by name and value) under the nearest key above them whose value is null
   or empty: its entries, written at its level (`inputs:` then `data: ...`);
2. keys that a sibling's settings name (`target` of `result`), present or not;
3. keys that an enclosing mapping names and lacks (`retries` under `result:`, for the step);
4. a required key that is missing, found one level deeper (`run` under `inputs:`).

Each group is one problem at its first key, naming where it belongs and that line; the
errors it explains (the unknown keys, the null value, the missing key) are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeflow.config.placement_words import (
    holder_named,
    holder_noun,
    indent_verb,
    keys_kind,
    listed,
    toml_table,
)
from pipeflow.config.reader import Document
from pipeflow.config.schema import (
    fits,
    is_list,
    key_schema,
    key_schema_in,
    object_forms,
    property_names,
    schema_at,
    sections_naming,
)
from pipeflow.config.suggest import format_path
from pipeflow.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

DocumentPath = tuple[str | int, ...]
_INDENT_RULE = (
    "the indentation is likely wrong: YAML puts a key under the nearest key above it that "
    "is indented less"
)
_TOML_HINT = "TOML puts a key in the table whose header is above it"


@dataclass
class Placement:
    """The misplacement problems of a document, and the schema problems they explain."""

    problems: list[Problem] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)  # paths whose problems are explained
    exact: set[str] = field(default_factory=set)  # paths explained, but not what is below

    def explains(self, problem: Problem) -> bool:
        if problem.path in self.exact:
            return True
        return any(
            problem.path == path or problem.path.startswith((f"{path}.", f"{path}["))
            for path in self.covered
        )


def misplaced(document: Document, instance: Any, errors: Iterable[ValidationError]) -> Placement:
    """Find the keys written one level off in `instance` (the plain copy of document.data)."""
    finder = _Finder(document, instance)
    for error in _all(errors):
        finder.note(error)
    finder.find()
    return finder.placement


def _all(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    for error in errors:
        yield error
        yield from _all(error.context or ())


@dataclass(frozen=True)
class _Move:
    """Keys of the mapping at `parent` that belong elsewhere."""

    parent: DocumentPath
    keys: tuple[str, ...]
    destination: DocumentPath  # the mapping (or list) they belong in
    deeper: bool  # True: under a sibling (indent); False: in an enclosing mapping (dedent)
    present: bool  # the destination is written in the file


class _Finder:
    def __init__(self, document: Document, instance: Any) -> None:
        self.document = document
        self.instance = instance
        self.unknown: dict[DocumentPath, set[str]] = {}  # mapping -> keys not allowed there
        self.misfit: dict[DocumentPath, set[str]] = {}  # mapping -> keys whose value has no fit
        self.missing: dict[DocumentPath, set[str]] = {}  # mapping -> required keys it lacks
        self.placement = Placement()
        # YAML nests by indentation; TOML by table headers, JSON (read as YAML) by braces.
        self.indented = document.kind != "toml" and not document.file.endswith(".json")

    # -- which keys are wrong where --------------------------------------------------------

    def note(self, error: ValidationError) -> None:
        path: DocumentPath = tuple(error.absolute_path)
        keyed = bool(path) and isinstance(path[-1], str)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            schema = error.schema if isinstance(error.schema, dict) else {}
            for key in error.instance:
                if key_schema(schema, str(key)) is None:
                    self.unknown.setdefault(path, set()).add(str(key))
        elif error.validator == "required" and isinstance(error.instance, dict):
            required: Any = error.validator_value
            self.missing.setdefault(path, set()).update(
                key for key in required if key not in error.instance
            )
            if keyed:  # e.g. a "step" that lacks `run`: it may be a step's key
                self.misfit.setdefault(path[:-1], set()).add(str(path[-1]))
        elif keyed and (error.validator == "type" or _shape_mismatch(error)):
            self.misfit.setdefault(path[:-1], set()).add(str(path[-1]))

    # -- finding where they belong ---------------------------------------------------------

    def find(self) -> None:
        for parent in sorted({*self.unknown, *self.misfit}, key=_order):
            mapping = _at(self.instance, parent)
            if isinstance(mapping, dict):
                self._mapping(parent, mapping)
        for parent, keys in sorted(self.missing.items(), key=lambda item: _order(item[0])):
            for key in sorted(keys):
                if parent:  # at the top level, `name` in `params:` is a param, not a slip
                    self._required(parent, key)

    def _mapping(self, parent: DocumentPath, mapping: dict[str, Any]) -> None:
        schemas = self._objects_at(parent)
        if not schemas:
            return
        unknown = self.unknown.get(parent, set())
        misfit = self.misfit.get(parent, set())
        holder: str | None = None  # the latest key whose value is null or empty
        moves: dict[tuple[DocumentPath, bool, bool], list[str]] = {}
        for key, value in mapping.items():
            found = None
            if key in unknown or key in misfit:
                found = self._destination(parent, mapping, key, value, holder, key in unknown)
            if found is not None:
                moves.setdefault(found, []).append(key)
            elif _empty(value) and object_forms(key_schema_in(schemas, key)):
                holder = key
        for (destination, deeper, present), keys in moves.items():
            self._report(_Move(parent, tuple(keys), destination, deeper, present))

    def _destination(
        self,
        parent: DocumentPath,
        mapping: dict[str, Any],
        key: str,
        value: Any,
        holder: str | None,
        unknown: bool,
    ) -> tuple[DocumentPath, bool, bool] | None:
        schemas = self._objects_at(parent)
        # 1. an entry of the empty key above it
        if holder is not None:
            inner = object_forms(key_schema_in(schemas, holder))
            named = any(key in schema.get("properties", {}) for schema in inner)
            child = key_schema_in(inner, key)
            typo = did_you_mean(key, property_names(schemas)) is not None
            if child is not None and fits(child, value) and (named or (unknown and not typo)):
                return (*parent, holder), True, True
        if not unknown:
            return None  # a key of this mapping whose value is wrong: reported as it is
        # 2. a setting that a sibling's schema names
        siblings = sections_naming(schemas, key)
        for sibling in siblings:
            written = mapping.get(sibling, False)
            if sibling in mapping and (written is None or isinstance(written, dict | list)):
                if isinstance(written, dict) and key in written:
                    continue
                return (*parent, sibling), True, True
        # 3. a key that an enclosing mapping names and lacks
        for depth in range(len(parent) - 1, -1, -1):
            above = parent[:depth]
            outer = _at(self.instance, above)
            if not isinstance(outer, dict) or key in outer:
                continue
            if any(key in schema.get("properties", {}) for schema in self._objects_at(above)):
                return above, False, True
        # 2'. a sibling that is not written
        absent = [sibling for sibling in siblings if sibling not in mapping]
        if len(absent) == 1:
            return (*parent, absent[0]), True, False
        return None

    def _objects_at(self, path: DocumentPath) -> list[dict[str, Any]]:
        return object_forms(schema_at(path))

    def _required(self, parent: DocumentPath, key: str) -> None:
        mapping = _at(self.instance, parent)
        if not isinstance(mapping, dict):
            return
        for child, value in mapping.items():
            if isinstance(value, dict) and key in value:
                where = (*parent, child, key)
                message = (
                    f"{holder_named(parent)} has no `{key}`, but its `{child}:`"
                    f"{self._line((*parent, child))} has one: `{key}` belongs to the "
                    f"{holder_noun(parent)}"
                )
                if self.indented:
                    message += f" — {indent_verb(deeper=False, count=1)}"
                self._add(where, message, self._hint(False, (*parent, child), parent))
                self.placement.covered.add(format_path(where))
                self.placement.exact.add(format_path(parent))
                return

    # -- wording ---------------------------------------------------------------------------

    def _report(self, move: _Move) -> None:
        keys = move.keys
        several = len(keys) > 1
        names = listed(f"`{key}`" for key in keys)
        kind = keys_kind(move.parent, plural=several)
        message = f"{names} {'are' if several else 'is'} not {kind}"
        message += f"; {self._where(move)}"
        if self.indented and move.present:
            message += f" — {indent_verb(deeper=move.deeper, count=len(keys))}"
        self._add((*move.parent, keys[0]), message, self._move_hint(move))
        for key in keys:
            self.placement.covered.add(format_path((*move.parent, key)))
        if move.deeper and move.present and _empty(_at(self.instance, move.destination)):
            self.placement.exact.add(format_path(move.destination))  # its "got null"

    def _where(self, move: _Move) -> str:
        """Where the keys belong: "it belongs under `result:` (line 5)", "in `[executor]`"."""
        several = len(move.keys) > 1
        pronoun, verb = ("they", "belong") if several else ("it", "belongs")
        destination = move.destination
        listed = isinstance(_at(self.instance, destination), list) or (
            not move.present and is_list(schema_at(destination))
        )
        if self.document.kind == "toml":
            if listed:
                return f"{pronoun} {verb} in a `[[{toml_table(destination)}]]` table"
            if not destination:
                return f"{pronoun} {verb} at the top level"
            return f"{pronoun} {verb} in the `[{toml_table(destination)}]` table"
        line = self._line(destination) if move.present else ""
        if not move.deeper:
            if not destination:
                return f"{pronoun} {'are top-level keys' if several else 'is a top-level key'}"
            return f"{pronoun} {verb} to {holder_named(destination)}{line}"
        if listed:
            return f"{pronoun} {verb} in an entry of `{destination[-1]}:`{line}"
        return f"{pronoun} {verb} under `{destination[-1]}:`{line}"

    def _move_hint(self, move: _Move) -> str:
        destination = move.destination
        if self.document.kind == "toml":
            if not move.deeper:
                return self._hint(False, move.parent, destination, len(move.keys))
            header = (
                f"[[{toml_table(destination)}]]"
                if is_list(schema_at(destination))
                else f"[{toml_table(destination)}]"
            )
            pronoun = "them" if len(move.keys) > 1 else "it"
            if move.present and self._inline_table(destination):
                name = destination[-1]
                return (
                    f"{_TOML_HINT}; `{name}` is an inline table (`{name} = {{ ... }}`): "
                    f"write {pronoun} between its braces"
                )
            if move.present:
                return f"{_TOML_HINT}: move {pronoun} under the `{header}` header"
            return f"{_TOML_HINT}: add the `{header}` header above {pronoun}"
        if not move.present:
            name = destination[-1]
            pronoun = "them" if len(move.keys) > 1 else "it"
            return f"write {pronoun} under `{name}:`, e.g. `{name}: {{{move.keys[0]}: ...}}`"
        return self._hint(move.deeper, move.parent, destination, len(move.keys))

    def _inline_table(self, path: DocumentPath) -> bool:
        """`result = { ... }` rather than a `[steps.a.result]` header (whose value is the line)."""
        key = self.document.key_positions.get(path)
        value = self.document.value_positions.get(path)
        return key is not None and value is not None and value.column > key.column

    def _line(self, path: DocumentPath) -> str:
        position = self.document.position(path, key=True)
        return f" (line {position.line})" if position is not None else ""

    def _hint(
        self, deeper: bool, parent: DocumentPath, destination: DocumentPath, count: int = 1
    ) -> str:
        pronoun = "them" if count > 1 else "it"
        if self.document.kind == "toml":
            header = f"the `[{toml_table(parent)}]` header" if parent else "the first table header"
            return f"{_TOML_HINT}: move {pronoun} above {header}"
        if not self.indented:
            return f"move {pronoun} into that mapping"
        if deeper and isinstance(_at(self.instance, destination), list):
            return f"{_INDENT_RULE}; indent {pronoun} as far as the keys of the entry above"
        if deeper:
            return f"{_INDENT_RULE}; indent {pronoun} further than `{destination[-1]}:`"
        if not destination:
            return f"{_INDENT_RULE}; write {pronoun} at the start of the line"
        return f"{_INDENT_RULE}; indent {pronoun} as far as the keys of {holder_named(destination)}"

    def _add(self, path: DocumentPath, message: str, hint: str) -> None:
        self.placement.problems.append(self.document.problem(path, message, hint=hint, key=True))


# -- errors, paths and values ------------------------------------------------------------------


def _shape_mismatch(error: ValidationError) -> bool:
    """A `oneOf`/`anyOf` whose every branch refuses the value's kind (not its content)."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return False
    return all(
        not child.relative_path and child.validator in ("type", "const", "enum")
        for child in error.context
    )


def _at(instance: Any, path: DocumentPath) -> Any:
    value = instance
    for part in path:
        found = isinstance(value, dict) and part in value
        indexed = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if not (found or indexed):
            return None
        value = value[part]
    return value


def _empty(value: Any) -> bool:
    return value is None or value == {}


def _order(path: DocumentPath) -> tuple[int, str]:
    return len(path), format_path(path)

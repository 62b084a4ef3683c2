"""Config and params files -> plain data plus the line and column of every key and value.

YAML is read by `pipeflow.config.yaml_reader`, which keeps the position of every node, reports
duplicate keys and refuses tags that would build Python objects; a JSON file's values are
`json.loads`'s, its positions and problems the YAML reader's. TOML is parsed by tomllib
(`pipeflow.config.toml_reader`), which keeps no positions; `pipeflow.config.toml_positions`
then walks the accepted text to find where each key and value starts.

This module reads the file and decides what the result means for the file at hand: a pipeline
config (`purpose="config"`) must hold a mapping with at least `name` and `steps`, while an empty
params file (`purpose="params"`) simply overrides nothing.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipeflow.config import readings
from pipeflow.config.misplaced import is_directory, not_found
from pipeflow.config.suggest import format_path, type_name
from pipeflow.errors import ConfigError, Problem
from pipeflow.records import record
from pipeflow.storage.paths import unreadable

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        pass
    else:  # pragma: no cover - exercised on Python 3.10 only
        pass

DocumentPath = tuple[str | int, ...]

_PURPOSES = ("config", "params")
_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
_EMPTY = "the file is empty; a pipeline needs at least `name` and `steps`"
_ONLY_COMMENTS = "the file holds only comments; a pipeline needs at least `name` and `steps`"
_PARAMS_EXAMPLE = 'write e.g. {"test_data_ratio": 0.3}'


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in a config file."""

    line: int
    column: int


class Fail(Protocol):
    """Records one problem at a path in a document (as `Checker.fail` does)."""

    def __call__(
        self, path: list[str | int], message: str, hint: str | None = None, *, key: bool = False
    ) -> None: ...


@record(frozen=False)
class Document:
    """A parsed config file: its data, where each part of it is written, and reading problems.

    Where things are written is worked out when first asked for (`locate`): a config without
    problems never asks, and a big one is read much faster without it."""

    data: Any
    file: str
    kind: str
    problems: list[Problem] = field(default_factory=list)
    # Whether `data` holds JSON values only (text keys, no dates): the schema checks it as it is.
    plain: bool = False
    # Whether `data` is known to meet the config's schema (a big config's kept reading says so).
    fits_schema: bool = False
    # The key of the reading kept of a big config's text (`readings.py`), when one is kept.
    reading: str | None = None
    # A config file's bytes as read, hashed (the pipeline's `config_hash`); None for a text.
    file_hash: str | None = None
    # False when the file's bytes cannot hold a `${env.*}`: no `env` in them, nor an escape
    # that could spell one. Its values are then not searched for environment references.
    mentions_env: bool = True
    # Fills in the positions, once, when they are first asked for; None when they are known.
    locate: Callable[[Document], None] | None = field(default=None, repr=False, compare=False)
    _values: dict[DocumentPath, Position] = field(default_factory=dict, repr=False)
    _keys: dict[DocumentPath, Position] = field(default_factory=dict, repr=False)
    _written: dict[DocumentPath, str] = field(default_factory=dict, repr=False)

    @property
    def value_positions(self) -> dict[DocumentPath, Position]:
        """Where each value starts, by its path."""
        self._find_positions()
        return self._values

    @property
    def key_positions(self) -> dict[DocumentPath, Position]:
        """Where each key starts, by the path of its value."""
        self._find_positions()
        return self._keys

    @property
    def written_values(self) -> dict[DocumentPath, str]:
        """How each value that is no text (a number, a boolean, a date, null) is spelt in the
        file, by its path: `off` for what YAML reads as false."""
        self._find_positions()
        return self._written

    def written(self, path: Sequence[str | int]) -> str | None:
        """How the value at `path` is spelt, when it is no text; None when unknown."""
        return self.written_values.get(tuple(path))

    def _find_positions(self) -> None:
        locate = self.locate
        if locate is not None:
            self.locate = None
            locate(self)

    def position(self, path: Sequence[str | int], *, key: bool = False) -> Position | None:
        """Where `path`'s key (key=True) or value is written, else where its nearest ancestor is."""
        parts = tuple(path)
        own = (self.key_positions, self.value_positions)
        for positions in own if key else reversed(own):
            found = positions.get(parts)
            if found is not None:
                return found
        while parts:
            parts = parts[:-1]
            # An ancestor's key line reads best: "somewhere under `load_data:`".
            found = self.key_positions.get(parts) or self.value_positions.get(parts)
            if found is not None:
                return found
        return None

    def problem(
        self,
        path: Sequence[str | int],
        message: str,
        *,
        hint: str | None = None,
        key: bool = False,
    ) -> Problem:
        """A Problem located at `path` (its key when key=True) in this file."""
        position = self.position(path, key=key)
        return Problem(
            message=message,
            file=self.file,
            line=position.line if position else None,
            column=position.column if position else None,
            path=format_path(path),
            hint=hint,
        )


def read_document(path: str | os.PathLike[str], *, purpose: str = "config") -> Document:
    """Read a YAML, TOML or JSON file, chosen by its extension; raises ConfigError.

    `purpose` is "config" for a pipeline file or "params" for a params file (`--param-file`): it
    words the problems, and an empty params file reads as an empty mapping instead of an error.
    """
    if purpose not in _PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; expected 'config' or 'params'")
    params = purpose == "params"
    file = os.fspath(path)
    location = Path(file)
    why = unreadable(location)  # a name longer than the disk takes
    if why is not None:
        what = "params file" if params else "config"
        raise ConfigError([Problem(message=f"cannot read the {what}: {why}", file=file)])
    if not location.exists():
        if params:
            hint = "check the path given to `--param-file` (in Python, `param_files=`)"
            raise ConfigError([Problem(message="params file not found", file=file, hint=hint)])
        raise ConfigError([not_found(location, file)])
    if location.is_dir():
        raise ConfigError([is_directory(location, file, params=params)])
    kind = _EXTENSIONS.get(location.suffix.lower())
    if kind is None:
        shown = f"extension `{location.suffix}`" if location.suffix else "no extension"
        if params:
            hint = "name the params file .json, .yaml, .yml or .toml"
        else:
            hint = "name the pipeline file .yaml, .yml or .toml (or .json, read as JSON)"
        message = f"cannot tell the format of `{location.name}`: it has {shown}"
        raise ConfigError([Problem(message=message, file=file, hint=hint)])
    try:
        raw = location.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(
            [
                Problem(
                    message=f"cannot read the {purpose} file: {reason}",
                    file=file,
                    hint="check that the file is readable by the current user",
                )
            ]
        ) from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM left by some Windows editors is not content
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start]
        raise ConfigError(
            [
                Problem(
                    message=f"the file is not UTF-8 text (byte 0x{byte:02x} cannot be decoded)",
                    file=file,
                    line=line,
                    column=column,
                    hint="save the file with UTF-8 encoding",
                )
            ]
        ) from None
    remembered = location if purpose == "config" else None
    document = read_text(text, file=file, kind=kind, purpose=purpose, remembered=remembered)
    if purpose == "config":
        document.file_hash = file_hash(raw)
    document.mentions_env = b"env" in raw or b"\\" in raw
    return document


def declared_name(path: str | os.PathLike[str]) -> str | None:
    """The `name` a config file gives, if it can be read and gives one as text; else None
    (for the report of a config that did not validate: it still names its pipeline)."""
    try:
        data = read_document(path).data
    except Exception:  # unreadable: its reports say so, with no name
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def file_hash(raw: bytes) -> str:
    """A config file's `config_hash`: its bytes' sha256, 16 hex digits."""
    return hashlib.sha256(raw).hexdigest()[:16]


def read_text(
    text: str,
    *,
    file: str,
    kind: str,
    purpose: str = "config",
    remembered: Path | None = None,
) -> Document:
    """Parse text of `kind` ("yaml", "toml", or "json", read as YAML); raises ConfigError.

    `purpose` is "config" or "params", as for `read_document`. `remembered`: the config file
    whose big texts' readings are kept beside it (`readings.py`).
    """
    # The readers import Document and Position from here, so they are imported when needed.
    from pipeflow.config.limits import TOO_DEEP_HINT, too_deep, too_deep_message
    from pipeflow.config.yaml_loading import json_as_yaml
    from pipeflow.config.yaml_reader import read_yaml

    if purpose not in _PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; expected 'config' or 'params'")
    normalized = kind.lower().lstrip(".")
    read: Callable[[str, str], Document | None]
    if normalized in ("yaml", "yml", "json"):
        read = functools.partial(read_yaml, json=normalized == "json")
    elif normalized == "toml":
        from pipeflow.config import toml_reader

        read = toml_reader.read_toml
    else:
        raise ValueError(f"unknown config kind {kind!r}; expected 'yaml', 'toml' or 'json'")
    # Reading allocates a few hundred thousand small objects that all stay alive, and the cyclic
    # garbage collector would rescan them again and again for nothing: pausing it halves the time.
    collecting = gc.isenabled()
    gc.disable()
    deep = None
    try:
        document = _recalled(text, file, normalized, remembered) if remembered else None
        fresh = document is None
        json_data = None
        if fresh and normalized == "json" and text.strip():  # empty: overrides nothing
            from pipeflow.config.json_reader import read_json

            json_data = read_json(text, file)
        if fresh:
            document = read(text if json_data is None else json_as_yaml(text), file)
        if json_data is not None and document is not None:
            document.data = json_data
        deep = too_deep(document.data) if document is not None else None
        if document is not None and deep is not None:
            # Its positions are needed now: finding them may nest too deeply, as reading may.
            document.value_positions  # noqa: B018
    except RecursionError:
        problem = Problem("the file nests too deeply to read", file, hint=TOO_DEEP_HINT)
        raise ConfigError([problem]) from None
    finally:
        if collecting:
            gc.enable()
    if document is not None and deep is not None:
        message = too_deep_message(deep, "the file")
        raise ConfigError([document.problem(list(deep), message, hint=TOO_DEEP_HINT)])
    if document is None:  # nothing but blank lines and comments
        if purpose == "params":  # overrides nothing
            empty = Document(data={}, file=file, kind="toml" if normalized == "toml" else "yaml")
            empty.value_positions[()] = Position(1, 1)
            return empty
        raise ConfigError([Problem(_ONLY_COMMENTS if "#" in text else _EMPTY, file, 1, 1)])
    if not isinstance(document.data, dict):
        raise ConfigError([*document.problems, _not_a_mapping(document, purpose)])
    if fresh and remembered is not None:
        _remember(text, normalized, remembered, document)
    return document


def _recalled(text: str, file: str, kind: str, config: Path) -> Document | None:
    """The document of a big config read as its text was last time (`readings.py`)."""
    reading = readings.recall(text, kind, config)
    if reading is None:
        return None
    locate: Callable[[Document], None]
    if kind == "toml":
        from pipeflow.config.toml_reader import scan_toml

        locate = functools.partial(scan_toml, text)
        document = Document(data=reading.data, file=file, kind="toml", locate=locate)
    else:
        from pipeflow.config.yaml_reader import locator

        # Only plainly read YAML is remembered: JSON values, found where written when asked.
        locate = locator(text, kind)
        document = Document(data=reading.data, file=file, kind="yaml", plain=True, locate=locate)
    document.fits_schema = reading.fits
    document.reading = reading.key or None
    return document


def _remember(text: str, kind: str, config: Path, document: Document) -> None:
    """Keep a big config's reading when it had nothing to report (the quick reading), with
    whether it meets the schema (checked here, once: the loader then need not)."""
    if len(text) < readings.SMALLEST or document.problems or document.locate is None:
        return  # small, or positions were needed (a problem), or the full reader read it
    if kind != "toml" and not document.plain:
        return
    from pipeflow.config.schema import compiled_valid, plain

    data = document.data
    document.fits_schema = compiled_valid(data if document.plain else plain(data))
    document.reading = readings.remember(
        text, kind, config, readings.Reading(data, document.fits_schema)
    )


def _not_a_mapping(document: Document, purpose: str) -> Problem:
    shown = type_name(document.data)
    if purpose == "params":
        message = f"a params file must hold a mapping of names to values, got {shown}"
        hint = _PARAMS_EXAMPLE
    else:
        message = f"expected a mapping at the top level, got {shown}"
        hint = "a pipeline file is a mapping of keys such as `name:` and `steps:`"
    return document.problem((), message, hint=hint)

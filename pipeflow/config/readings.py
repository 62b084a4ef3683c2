"""Big configs read once: what a config's text reads as, remembered beside it until it changes.

Reading YAML costs about 45 us per step of a config on a slow machine (libyaml, then the node
tree PyYAML builds in Python and the values built from it): 4.5 s of a 100,000-step
`validate`, the largest single part of it. What a text reads as depends on nothing but the
text and the reader, so a config of at least `SMALLEST` bytes is remembered in
`.pipeflow/readings/NAME.json` beside it (NAME: the config's file name), as JSON, with:

- `key`: the sha256 of the text and of everything that decides what it reads as (the reader's
  own source files, pipeflow's, PyYAML's and Python's versions, the kind of file). Any other
  text, or another reader, gives another key: the file is not used, and is written again;
- `data`: the plain values the text reads as. Only a reading with nothing to report and only
  JSON values (text keys, finite numbers, no dates) is remembered: JSON gives it back exactly;
- `fits`: whether those values met the config's schema (the compiled check of `schema.py`, a
  function of the values and the schema alone: its files are part of the key too), so that
  the next validation of the same text need not check them again.

The next read of the same text loads that JSON (about 20 times faster than composing the
YAML again). Where each key and value is written is still found from the text itself, when a
later check reports a problem. The file only saves time: a missing, damaged or stale one is
read as YAML again, and failing to write one is not an error. A forged one reads as the config
it claims to be, and whoever can write beside a config can write the config (and its steps)
itself: it is trusted as the config is, like `.pipeflow/import-checks.json`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipeflow.records import record

FOLDER = ".pipeflow/readings"
SMALLEST = 256 * 1024  # bytes of text below which reading is fast enough (about 4,000 steps)
_VERSION = 1
# The files that decide what a text reads as (beside this one), and whether it fits the schema.
_DECIDING = (
    "reader.py",
    "yaml_reader.py",
    "yaml_quick.py",
    "yaml_loading.py",
    "toml_reader.py",
    "json_reader.py",
    "readings.py",
    "schema.json",
    "schema.py",
    "schema_check.py",
)


@record
class Reading:
    """What a config's text read as, and whether that met the schema."""

    data: dict[str, Any]
    fits: bool
    key: str = ""  # what the text and the reader hash to (`_key`): "" until it is known


def place(config: str | os.PathLike[str]) -> Path:
    """Where the reading of the config at `config` is remembered."""
    path = Path(config)
    return path.parent / FOLDER / f"{path.name}.json"


def recall(text: str, kind: str, config: str | os.PathLike[str]) -> Reading | None:
    """What `text` read as when it was last remembered for `config`; None when it was not (a
    small text, no file, another text or reader, a damaged file)."""
    if len(text) < SMALLEST:
        return None
    try:
        document = json.loads(place(config).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    key = _key(text, kind)
    if key is None or not isinstance(document, dict) or document.get("key") != key:
        return None
    data = document.get("data")
    if not isinstance(data, dict):
        return None
    return Reading(data=data, fits=document.get("fits") is True, key=key)


def remember(text: str, kind: str, config: str | os.PathLike[str], reading: Reading) -> str | None:
    """Keep what `text` reads as beside `config`, when it is big enough to be worth it and
    JSON holds it exactly; the reading's key when it was kept, else None (failing to keep it
    is not an error: it only costs time)."""
    if len(text) < SMALLEST:
        return None
    key = _key(text, kind)
    if key is None:
        return None
    document = {"key": key, "fits": reading.fits, "data": reading.data}
    try:
        # Finite numbers only; a value JSON has no form for (a date) refuses the whole reading.
        body = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return key if write_whole(place(config), body.encode("utf-8")) else None


def write_whole(target: Path, body: bytes) -> bool:
    """Write `body` to `target` whole or not at all (for a reader at the same time); whether
    it was written."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own: two loads at once (threads of one process too) each write whole.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError:
        return False  # no folder to hold it
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(body)
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def _key(text: str, kind: str) -> str | None:
    """The key of a reading of `text`; None where the reader's own files cannot be read (an
    installation without them): nothing is kept or read back there."""
    reader = _reader()
    if reader is None:
        return None
    hasher = hashlib.sha256(reader.encode("utf-8"))
    hasher.update(f"\0{kind}\0".encode())
    hasher.update(text.encode("utf-8", "surrogatepass"))
    return hasher.hexdigest()


@functools.cache
def _reader() -> str | None:
    """What decides how a text reads and whether it fits, besides the text: the reader's and
    the schema's files, and versions."""
    import yaml

    from pipeflow._version import __version__

    here = Path(__file__).parent
    hasher = hashlib.sha256(f"{_VERSION}\0{__version__}\0{sys.version}\0".encode())
    hasher.update(f"{yaml.__version__}\0{getattr(yaml, '__with_libyaml__', False)}\0".encode())
    try:
        for name in _DECIDING:
            hasher.update((here / name).read_bytes())
    except OSError:
        return None
    return hasher.hexdigest()

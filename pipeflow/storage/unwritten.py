"""The checksum a value would be stored with, found without storing it: `--frozen` compares
what a read gives with the result stored for its key, and writes nothing (a CI job may hold
read-only credentials to the store)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from pipeflow.storage.checksums import digest
from pipeflow.storage.formats import Format


def stored_checksum(value: Any, format: Format) -> str | None:
    """The checksum of `value`'s payload in `format`, serialised as a store write serialises
    it (a native writer to a path where the format has one); None when the format cannot
    hold it (the value is then not the stored one)."""
    if not format.accepts(value):
        return None
    with tempfile.TemporaryDirectory(prefix="pipeflow-frozen-") as folder:
        local = os.path.join(folder, "payload")
        write_path = getattr(format, "write_path", None)
        if write_path is not None:
            write_path(value, local)
        else:
            with open(local, "wb") as file:
                format.write(value, file)
        with open(local, "rb") as handle:
            return digest(handle)[1]

"""Reading a value from any file or URL with the format its extension (or `format`) names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, BinaryIO, cast

from pipeflow.errors import StorageError
from pipeflow.storage.formats import FORMAT_NAMES, format_for_extension, get_format
from pipeflow.storage.read_guard import HINT, check_read

WEB = re.compile(r"(^|::)https?://", re.IGNORECASE)


def read_file(
    path: str, *, format: str | None = None, storage_options: Mapping[str, Any] | None = None
) -> Any:
    """The value in one file, through fsspec."""
    check_read(path)
    chosen = get_format(format) if format is not None else format_for_extension(path)
    if chosen is None:
        raise StorageError(
            f"cannot tell the format of {path} from its extension; pass `format:` "
            f"(one of {', '.join(FORMAT_NAMES)})"
        )
    if chosen.executes_code:
        raise StorageError(
            f"refusing to read {path} as {chosen.name}: loading it could run code, and no "
            "manifest vouches for it; read a stored result by `config` and `step` instead"
        )
    import fsspec

    options = dict(storage_options or {})
    web = WEB.search(path) is not None
    if web:  # each connection checked as it is made (`web_guard`)
        from pipeflow.storage.web_guard import guarded_options

        options = guarded_options(path, options)
    try:
        with fsspec.open(path, "rb", **options) as file:
            return chosen.read(cast(BinaryIO, file))
    except OSError as error:
        if web:  # fsspec reports a refused connection as a missing file
            from pipeflow.storage.web_guard import refusal_in

            refused = refusal_in(error)
            if refused is not None:
                raise StorageError(f"pipeflow.read: {refused}. {HINT}") from None
        if isinstance(error, FileNotFoundError):
            raise StorageError(f"cannot read {path}: it does not exist") from None
        raise StorageError(f"cannot read {path}: {error}") from error

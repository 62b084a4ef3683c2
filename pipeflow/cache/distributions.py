"""Which installed distribution provides an import name (`sklearn` -> `scikit-learn`).

The answer is the first name `importlib.metadata.packages_distributions()` gives for it, the
one code fingerprints have always used: a key part reads `package:scikit-learn`, and any other
answer would change every key of a step that imports it.

`packages_distributions()` itself builds the whole map: for every installed distribution
without a `top_level.txt` it parses every line of its RECORD into paths, about 0.35 s on an
environment with scikit-learn and Dask, on every `run` and `status`. Here only the
distributions that can name it are asked: one whose `top_level.txt` lists it, or one without
that file whose list of files holds the name at all (every name a distribution's files suggest
is a part of one of their paths). Those are judged by the standard library's own functions, in
the order `distributions()` gives, so the first one is the same distribution.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pipeflow._version import DISTRIBUTION

if TYPE_CHECKING:
    from importlib.metadata import Distribution

# The files that list a distribution's files: a wheel's, then an egg's (`Distribution.files`).
_FILE_LISTS = ("RECORD", "installed-files.txt", "SOURCES.txt")


@functools.lru_cache(maxsize=256)
def providing(top: str) -> str | None:
    """The first distribution that provides the import name `top`, or None."""
    import importlib.metadata  # imported when needed: it is slow to import (email, zipfile)

    inferred = _inferred_names()
    if inferred is None:
        names = importlib.metadata.packages_distributions().get(top)
        return names[0] if names else None
    for distribution in importlib.metadata.distributions():
        declared = (distribution.read_text("top_level.txt") or "").split()
        if declared:
            provides = top in declared
        else:
            provides = _lists(distribution, top) and top in set(inferred(distribution))
        if provides:
            name: str = distribution.metadata["Name"]
            return name
    return None


def _lists(distribution: Distribution, top: str) -> bool:
    """Whether any list of the distribution's files holds `top` at all (a cheap read)."""
    return any(top in (distribution.read_text(name) or "") for name in _FILE_LISTS)


def _inferred_names() -> Callable[[Distribution], Iterable[str]] | None:
    """The standard library's own inference of a distribution's import names from its files,
    or None where this Python has none we know (3.10 infers nothing; a later one may move it):
    then the whole map is built instead, slow but the same answer."""
    import importlib.metadata

    if sys.version_info < (3, 11):
        return lambda distribution: ()  # its map reads `top_level.txt` only
    found = getattr(importlib.metadata, "_top_level_inferred", None)
    return found if callable(found) else None


@functools.lru_cache(maxsize=256)
def owning(relative: str) -> str | None:
    """The first distribution whose files include `relative`, a path as a wheel's RECORD lists
    it (`google/cloud/storage/__init__.py`), or None."""
    import importlib.metadata

    for distribution in importlib.metadata.distributions():
        if not _lists(distribution, relative):
            continue  # its lists do not even hold the text
        if any(file.as_posix() == relative for file in distribution.files or ()):
            name: str = distribution.metadata["Name"]
            return name
    return None


@functools.lru_cache(maxsize=256)
def distribution_of(top: str) -> str:
    """The distribution that provides an import name (`sklearn` -> `scikit-learn`)."""
    import importlib.metadata  # imported when needed: it is slow to import (email, zipfile)

    if top == "pipeflow":
        # By name: an editable install's files are not in its record, and `pipeflow` on the
        # package index is another project.
        return DISTRIBUTION
    try:
        importlib.metadata.distribution(top)
    except importlib.metadata.PackageNotFoundError:
        return providing(top) or top  # only when the names differ
    return top


@functools.lru_cache(maxsize=256)
def version_of(distribution: str) -> str:
    """A distribution's version here, "unknown" when it is not installed."""
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"

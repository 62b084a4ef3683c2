"""Where a path of a config points: one normalised form for local paths and URLs, and matching.

The graph, the fingerprints and the checks all ask "is this the file that step writes?" of
paths that may not exist yet (the writer has not run), so the answer is syntactic: a local
path becomes absolute and normalised against the folder of the config it came from; a URL
keeps its text with the scheme lowercased and no trailing `/`. One location is *inside*
another when it is equal to it or under it as a folder. A pattern (a glob in `reads:`, or a
`foreach` item only known during the run, written `*`) matches by `fnmatch`, and is compared
with a folder by the literal part before its first wildcard.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePath
from typing import Any

from pipeflow.model.nesting import DEEPEST
from pipeflow.model.refs import ITEM, Ref, lookup_path, references, resolve
from pipeflow.records import record

_WILDCARDS = ("*", "?", "[")


@record
class Location:
    """A file or folder a step reads or writes."""

    text: str  # as the config gives it, references filled in: a label for people and manifests
    key: str  # absolute normalised local path (POSIX separators) or normalised URL
    folder: bool = False  # written with a trailing `/`: it must be a folder

    @property
    def remote(self) -> bool:
        return "://" in self.key

    @property
    def pattern(self) -> bool:
        return is_pattern(self.key)

    @property
    def prefix(self) -> str:
        """The literal part of a pattern before its first wildcard (the whole key otherwise)."""
        cut = min((i for i in (self.key.find(w) for w in _WILDCARDS) if i >= 0), default=-1)
        return self.key if cut < 0 else self.key[:cut]

    def inside(self, other: Location) -> bool:
        """Whether this location is `other` or lies under it (a pattern: may lie under it)."""
        if self.pattern or other.pattern:
            return _may_be_inside(self, other)
        return self.key == other.key or self.key.startswith(other.key.rstrip("/") + "/")

    def overlaps(self, other: Location) -> bool:
        """Whether the two may name some of the same files."""
        return self.inside(other) or other.inside(self)

    def local_path(self) -> Path:
        return Path(self.key)


def is_pattern(text: str) -> bool:
    return any(wildcard in text for wildcard in _WILDCARDS)


def looks_like_path(text: str) -> bool:
    """Whether an input string names a file by its looks: a separator, a URL, or a name with
    an extension (`my data.csv`; not `1.5`, not the sentence `Done. Next`).

    A label such as `data` or `mean` is not taken for the file of that name (unless a step
    declares it, `names_place`); a path that does not exist yet (`data/out.txt`, written by
    another step) still counts.
    """
    if not text or len(text) > 4096 or "\n" in text or "\0" in text or text in (".", ".."):
        return False
    if "://" in text:
        scheme = text.split("://", 1)[0]
        return scheme.isidentifier()
    if "/" in text or "\\" in text:
        return True
    suffix = Path(text).suffix
    return bool(suffix) and not suffix[1:].isdigit() and " " not in suffix


def names_place(text: str, folder: str, places: frozenset[str]) -> bool:
    """Whether an input string names a file: it looks like a path, or it is a bare name
    (`models`) that a step of the pipeline declares in `writes:` or `reads:` (`places`: their
    keys, without a trailing `/`)."""
    if looks_like_path(text):
        return True
    if not places or not text or len(text) > 4096 or "\n" in text or "\0" in text:
        return False
    return text not in (".", "..") and locate(text, folder).key in places


MOST_VALUE_STRINGS = 1000  # strings of a step's value looked at for paths
WALKED = (list, tuple, dict, set, frozenset)  # the containers a value's paths are looked for in


def value_paths(value: Any) -> tuple[str, ...]:
    """The strings of a step's value that look like paths (`data/x.txt`), for the steps
    that take it to count the files they name: of a text or a `pathlib` path, or of a list,
    tuple, dict, set or frozenset of at most MOST_VALUE_STRINGS items (its first
    MOST_VALUE_STRINGS strings, as `strings_in` finds them); a larger value, or another kind,
    names none."""
    if isinstance(value, str | PurePath):
        text = os.fspath(value)
        return (text,) if looks_like_path(text) else ()
    if not isinstance(value, WALKED) or len(value) > MOST_VALUE_STRINGS:
        return ()
    strings = itertools.islice(strings_in(value), MOST_VALUE_STRINGS)
    return tuple(dict.fromkeys(text for text in strings if looks_like_path(text)))


def declared_keys(locations: Iterable[Location]) -> frozenset[str]:
    """The keys of local places steps declare (`Pipeline.places`), patterns left out."""
    return frozenset(
        location.key.rstrip("/")
        for location in locations
        if not location.remote and not location.pattern
    )


def locate(text: str, base_dir: str) -> Location:
    """The location a path or URL of a config names; relative paths against `base_dir`."""
    folder = text.endswith("/") and len(text) > 1
    if "://" in text:
        scheme, rest = text.split("://", 1)
        if scheme.lower() == "file":
            return locate(rest or "/", base_dir)
        rest = posixpath.normpath(rest).lstrip("/") if rest.strip("/") else ""
        return Location(text=text, key=f"{scheme.lower()}://{rest}", folder=folder)
    expanded = os.path.expanduser(text)
    if not os.path.isabs(expanded):
        expanded = os.path.join(base_dir, expanded)
    key = Path(os.path.normpath(expanded)).as_posix()
    return Location(text=text, key=key, folder=folder)


def _may_be_inside(inner: Location, outer: Location) -> bool:
    if not outer.pattern:
        prefix = inner.prefix
        base = outer.key.rstrip("/") + "/"
        # `data/*.csv` inside `data`; `data/*` may be `data/x/y`, inside `data/x`.
        return prefix.startswith(base) or base.startswith(prefix)
    if not inner.pattern:
        return fnmatch.fnmatchcase(inner.key, outer.key) or fnmatch.fnmatchcase(
            inner.key, outer.key + "/*"
        )
    left, right = inner.prefix, outer.prefix
    return left.startswith(right) or right.startswith(left)


UNKNOWN = "*"  # what a value only known during the run stands as in a path


def has_item(value: Any) -> bool:
    """Whether a parsed `reads:`/`writes:` entry names the `foreach` item."""
    return any(ref.scope == ITEM for ref in references(value))


class MissingItemPart(KeyError):
    """A reference to a key or index of the `foreach` item that the item lacks; shown as its
    message (a KeyError's text is the repr of its argument, in quotes)."""

    def __str__(self) -> str:
        return str(self.args[0])


def item_lookup(lookup: Callable[[Ref], Any], item: Any, known: bool) -> Callable[[Ref], Any]:
    """`lookup`, answering `${item}` references with the item (or UNKNOWN when not known)."""

    def find(ref: Ref) -> Any:
        if ref.scope != ITEM:
            return lookup(ref)
        if not known:
            return UNKNOWN
        try:
            return lookup_path(item, ref.path[1:])
        except KeyError as missing:
            raise MissingItemPart(
                f"`{ref.text}`: the `foreach` item has no `{missing.args[0]}`"
            ) from None

    return find


class NotAPath(Exception):
    """A whole reference in `reads:`/`writes:` that stands for a value that is not a path;
    its text says so, `hint` what to write."""

    hint = "make it a path as text (`data/out.txt`), or a list of them"

    def __init__(self, field: str, ref: Ref, value: Any, what: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        super().__init__(f"`{field}` names `{ref.text}`, which holds {shown} ({what}), not a path")


def _not_a_path(value: Any, inside: bool = False) -> str | None:
    """What `value` is when it is no path (nor, at the top, a list of them), else None: text
    and integers (a folder named `2024`) are paths."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str | PurePath | int):
        return "an empty text" if value == "" else None
    if value is None:
        return "null"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        if inside:
            return "a list inside a list"
        return next(filter(None, (_not_a_path(entry, True) for entry in value)), None)
    return type(value).__name__


def path_texts(
    values: Iterable[Any], lookup: Callable[[Ref], Any], field: str = "writes"
) -> list[str]:
    """The entries of `field` (`reads:` or `writes:`) as texts; a whole reference may stand
    for a list of them, and NotAPath is raised when it stands for anything else."""
    found: list[str] = []
    for value in values:
        resolved = resolve(value, lookup)
        if isinstance(value, Ref):
            what = _not_a_path(resolved)
            if what is not None:
                raise NotAPath(field, value, resolved, what)
        if isinstance(resolved, list | tuple):
            found += [str(entry) for entry in resolved]
        elif resolved is not None:
            found.append(str(resolved))
    return found


def strings_in(value: Any, depth: int = 0) -> Iterator[str]:
    """The strings inside a value, a `pathlib` path as its text (dicts, lists, tuples, sets
    and frozensets walked, a set in the order of its items' reprs; DEEPEST levels at most:
    see `nesting`)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, PurePath):
        yield os.fspath(value)
    elif depth >= DEEPEST:
        return
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings_in(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item, depth + 1)
    elif isinstance(value, set | frozenset):
        for item in sorted(value, key=repr):
            yield from strings_in(item, depth + 1)


def resolved_key(key: str) -> str:
    """A local path with the longest part of it that exists resolved (`os.path.realpath`);
    the rest, which does not exist yet, kept as written."""
    head, rest = key.rstrip("/") or "/", ""
    while head and not os.path.lexists(head):
        head, tail = os.path.split(head)
        rest = f"{tail}/{rest}" if rest else tail
        if not tail:
            return key
    real = os.path.realpath(head)
    path = f"{real.rstrip('/')}/{rest}" if rest else real
    return path + "/" if key.endswith("/") and not path.endswith("/") else path


def shown_in(name: str, project_dir: str | None) -> str:
    """A path as a message shows it: an absolute local path inside `project_dir` relative to
    it (`child/data/in.txt`: a sub-pipeline's paths are made absolute when it is loaded),
    with its trailing `/`; any other name (a URL, a path elsewhere) as it is."""
    if project_dir is None or "://" in name or not os.path.isabs(name):
        return name
    relative = Path(os.path.relpath(name, project_dir)).as_posix()
    if relative == "." or relative == ".." or relative.startswith("../"):
        return name
    return relative + "/" if name.endswith("/") else relative

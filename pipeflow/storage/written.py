"""What a step wrote (its `writes:`), as its manifest lists it: each file's size and checksum.

A manifest's optional `files` field maps each declared write, as the config names it once
references are filled in (`data/features`, `s3://bucket/out.csv`), to a `WrittenFiles`:

    {"kind": "file" | "folder",
     "entries": {"<POSIX path inside the folder; '' for a file>":
                 {"size": N, "checksum": "sha256:<hex>", "stamp": "<ETag>" (URLs only)}}}

Every entry's bytes are kept in the results store as a blob named by its checksum (see
`blobs.py`), so any version a manifest lists can be put back. The fingerprint a reader of
these files gets can be computed from the entries alone, exactly as from the files on disk
(`fingerprint()`): a step whose input is about to be restored is decided before the restore.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from pipeflow.records import record

FILE = "file"
FOLDER = "folder"

_CHECKSUM = re.compile(r"^sha256:[0-9a-f]{64}$")


@record
class FileEntry:
    """One written file: its size and checksum (and, on an object store, its ETag)."""

    size: int
    checksum: str  # "sha256:<hex>"
    stamp: str | None = None  # what the object store said of it (ETag, md5): URLs only
    # There, unchanged, before the step ran (put there by hand): stored and restored with
    # the version, but not the step's output, so never removed before it runs again.
    kept: bool = False

    @property
    def hex(self) -> str:
        return self.checksum.removeprefix("sha256:")


@record
class WrittenFiles:
    """One declared write: a file (one entry, named "") or a folder (its files, and the
    folders inside it that hold none, which a copy of it must have too)."""

    kind: str
    entries: Mapping[str, FileEntry]
    empty: tuple[str, ...] = ()  # POSIX paths of its empty folders (not in fingerprints)

    def fingerprint(self, *, remote: bool) -> str:
        """The content fingerprint a reader of this file or folder gets (as `cache/files.py`
        and `storage/remote.py` compute it from the files themselves)."""
        if self.kind == FILE:
            entry = self.entries[""]
            return file_fingerprint(entry, remote=remote)
        return folder_fingerprint(
            ((name, entry) for name, entry in self.entries.items()), remote=remote
        )

    def subset(self, relative: str) -> WrittenFiles | None:
        """The file or folder at `relative` inside this write ("" for itself), or None."""
        if not relative:
            return self
        if relative in self.entries:
            return WrittenFiles(FILE, {"": self.entries[relative]})
        prefix = relative.rstrip("/") + "/"
        inner = {
            name[len(prefix) :]: entry
            for name, entry in self.entries.items()
            if name.startswith(prefix)
        }
        empty = tuple(name[len(prefix) :] for name in self.empty if name.startswith(prefix))
        return WrittenFiles(FOLDER, inner, empty) if inner or empty else None

    def to_document(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "entries": {
                name: {
                    "size": entry.size,
                    "checksum": entry.checksum,
                    **({"stamp": entry.stamp} if entry.stamp is not None else {}),
                    **({"kept": True} if entry.kept else {}),
                }
                for name, entry in sorted(self.entries.items())
            },
            **({"empty": sorted(self.empty)} if self.empty else {}),
        }

    @classmethod
    def from_document(cls, label: str, document: Any) -> WrittenFiles:
        """ValueError naming what is wrong: a manifest is read strictly."""
        where = f"manifest files entry {label!r}"
        if not isinstance(document, dict):
            raise ValueError(f"{where} must be a JSON object")
        kind = document.get("kind")
        if kind not in (FILE, FOLDER):
            raise ValueError(f"{where} `kind` must be 'file' or 'folder', got {kind!r}")
        entries = document.get("entries")
        if not isinstance(entries, dict):
            raise ValueError(f"{where} `entries` must be a JSON object")
        parsed: dict[str, FileEntry] = {}
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: entry {name!r} must be a JSON object")
            size, checksum = entry.get("size"), entry.get("checksum")
            stamp = entry.get("stamp")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise ValueError(f"{where}: entry {name!r} has no valid `size`")
            if not isinstance(checksum, str) or not _CHECKSUM.match(checksum):
                raise ValueError(f"{where}: entry {name!r} `checksum` is not 'sha256:<hex>'")
            if stamp is not None and not isinstance(stamp, str):
                raise ValueError(f"{where}: entry {name!r} `stamp` must be a str")
            kept = entry.get("kept", False)
            if not isinstance(kept, bool):
                raise ValueError(f"{where}: entry {name!r} `kept` must be true or false")
            if ".." in name.split("/") or name.startswith("/") or "\\" in name:
                raise ValueError(f"{where}: entry {name!r} is not a relative path")
            parsed[name] = FileEntry(size, checksum, stamp, kept)
        if kind == FILE and list(parsed) != [""]:
            raise ValueError(f"{where}: a file has exactly one entry, named ''")
        empty = document.get("empty", [])
        if not isinstance(empty, list) or not all(
            isinstance(name, str) and name and _relative(name) for name in empty
        ):
            raise ValueError(f"{where} `empty` must be a list of relative folder paths")
        return cls(kind, parsed, tuple(empty))


def _relative(name: str) -> bool:
    return ".." not in name.split("/") and not name.startswith("/") and "\\" not in name


def file_fingerprint(entry: FileEntry, *, remote: bool) -> str:
    """`size:sha256[:32]` of a local file; `size:stamp` of an object (its ETag)."""
    if remote:
        return f"{entry.size}:{entry.stamp}"
    return f"{entry.size}:{entry.hex[:32]}"


def folder_fingerprint(
    entries: Any,
    *,
    remote: bool,
) -> str:
    """A digest over a folder's files, (relative POSIX path, entry) pairs in any order."""
    hasher = hashlib.sha256()
    count = 0
    for name, entry in sorted(entries, key=lambda pair: walk_order(pair[0])):
        content = entry.stamp if remote else entry.hex
        hasher.update(f"{name}\0{entry.size}\0{content}\n".encode())
        count += 1
    return f"folder:{count}:{hasher.hexdigest()[:32]}"


def walk_order(relative: str) -> tuple[tuple[int, str], ...]:
    """A sort key giving the order `os.walk` visits files in, folders sorted: a folder's own
    files first, by name, then each of its subfolders, by name (as `cache/files.py` hashes)."""
    names = relative.split("/")
    return (*((1, name) for name in names[:-1]), (0, names[-1]))


def files_document(files: Mapping[str, WrittenFiles]) -> dict[str, Any]:
    return {label: written.to_document() for label, written in sorted(files.items())}


def files_from_document(document: Any) -> dict[str, WrittenFiles]:
    if not isinstance(document, dict):
        raise ValueError("manifest `files` must be a JSON object")
    return {
        str(label): WrittenFiles.from_document(str(label), written)
        for label, written in document.items()
    }

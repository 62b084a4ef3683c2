"""Restore instead of re-run: compare a stored result with the workspace, and plan putting it back.

A result whose key matches is only as good as what it stands for being there. For each one
the planner finds, in order:

1. each payload must match its manifest; a target payload that does not (deleted, or
   overwritten by a run with other inputs) is put back from its blob;
2. each declared write (`files` of the manifest, named with secrets masked and found again
   among the step's writes as resolved now) must hold, in the workspace, exactly the files
   listed: a missing or changed file is copied back from its blob, a file of a
   written folder that its version did not have is removed when a stored version of the
   step wrote it there with that content (`owned.py`: the store has a copy) and left where
   it is otherwise (put there by hand, edited since: a restore never deletes what the store
   cannot give back), a folder is made again;
3. what must be put back needs its blobs in the store. When one is gone the result cannot
   be restored and counts as missing, with a reason that says so: "stored result missing
   (PATH)".

Local files are compared by size and sha256 (remembered by size and mtime, so an unchanged
file is not read again); objects of a URL by size and ETag, from one listing per write. Each
blob of a local store to copy carries what this machine knows of it (`FileCopy.checked`), so
that one found whole before and unchanged since is copied without being read again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from pipeflow.cache.explain import joined
from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.owned import Owned, owned_files
from pipeflow.cache.results import ResultCache
from pipeflow.cache.workspace import Override
from pipeflow.errors import StorageError
from pipeflow.model.locations import Location, locate, shown_in
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.records import record
from pipeflow.storage import Manifest, PartRecord
from pipeflow.storage.blobs import (
    Checked,
    FileCopy,
    Restoration,
    blob_path,
    local_root,
    missing_blobs,
)
from pipeflow.storage.checksums import digest
from pipeflow.storage.escapes import escape, escape_message
from pipeflow.storage.remote import list_url, open_url
from pipeflow.storage.signing import KEY_ENV, files_signature_problem
from pipeflow.storage.written import FILE, FileEntry, WrittenFiles

OptionsFor = Callable[[str], Mapping[str, Any]]
# (files to copy, files to remove, why, files kept: relative name -> entry) of one write
Change = tuple[list[tuple[str, FileEntry]], list[tuple[str, FileEntry]], str, dict[str, FileEntry]]


@record
class Assessment:
    """How a stored result stands against the workspace."""

    restoration: Restoration = field(default_factory=Restoration)
    reason: str = ""  # why it must be restored ("data/out.txt is missing")
    lost: str | None = None  # why it cannot be used at all ("stored result missing (PATH)")
    locations: Mapping[str, Location] = field(default_factory=dict)  # label -> where it is
    # label -> what a restored write holds when that is more than its version's files (a
    # file it keeps): what its readers are keyed on (`cache/workspace.py`, `Override`)
    leaves: Mapping[str, WrittenFiles] = field(default_factory=dict)
    # Each target payload put back in a local store, as the file it will be there.
    published: tuple[Override, ...] = ()

    def overrides(self, files: Mapping[str, WrittenFiles]) -> tuple[Override, ...]:
        """What the restore leaves, for its readers' keys: each write (`files`, as its
        version lists them) with what it holds once restored, and each target put back."""
        return (
            *(
                Override(self.locations[label], self.leaves.get(label, w))
                for label, w in files.items()
            ),
            *self.published,
        )


INTACT = Assessment()  # a stored result with nothing to restore (frozen: shared)


class Assessor:
    """Compares stored results with the workspace; one per run."""

    def __init__(
        self,
        hashes: FileFingerprints,
        options_for: OptionsFor,
        secrets: Secrets = NO_SECRETS,
        project_dir: str | None = None,
    ) -> None:
        self.hashes = hashes
        self.options_for = options_for
        self.secrets = secrets
        self.project_dir = project_dir  # reasons name paths inside it relative to it

    def locations(
        self, manifest: Manifest, writes: Sequence[Location], folder: str
    ) -> dict[str, Location]:
        """Where each write the manifest lists is. A manifest names them with secrets masked
        (`data/***/out.txt`: it may sit in a shared bucket), so each label is matched with
        the step's writes as resolved now, named the same way; the key covers those writes,
        so a manifest found for it lists these very ones. A label none matches (a manifest
        written before labels were masked) is read as the path it is."""
        named = dict(zip(self.secrets.labels([w.text for w in writes]), writes, strict=True))
        return {label: named.get(label) or locate(label, folder) for label in manifest.files}

    def assess(
        self,
        cache: ResultCache,
        manifest: Manifest,
        folder: str,
        writes: Sequence[Location] = (),
    ) -> Assessment:
        """`folder`: where the step's relative paths resolve (its config's folder); `writes`:
        the step's (or item's) writes as resolved now.

        A result without declared writes whose payloads are all whole (every cached step of
        most pipelines) has nothing to restore: that is said without the rest of the work
        (`assess_in_full`, which says why otherwise)."""
        if not manifest.files:
            for part in manifest.parts.values():
                if (
                    cache.store.trust_problem(part) is not None
                    or cache.check_part(part) is not None
                ):
                    break
            else:
                return INTACT
        return self.assess_in_full(cache, manifest, folder, writes)

    def assess_in_full(
        self,
        cache: ResultCache,
        manifest: Manifest,
        folder: str,
        writes: Sequence[Location] = (),
    ) -> Assessment:
        """`assess`, every payload and declared write compared."""
        unsigned = manifest.files and files_signature_problem(
            manifest.files_signature,
            manifest.files,
            pipeline=manifest.pipeline,
            step=manifest.step,
            key=manifest.key,
        )
        if unsigned:  # its files could be a pickle the next step loads
            broken = (
                f"its list of written files cannot be trusted: {unsigned}. pipeflow restores "
                "files only from a list signed with this machine's key (a restored file may "
                f"be a pickle the next step loads): if you trust whoever wrote it, set "
                f"{KEY_ENV} to the key they used"
            )
            cache.warn_damaged(manifest, broken)
            return Assessment(lost=f"its stored result was ignored: {broken}")
        places = self.locations(manifest, writes, folder)
        for location in places.values():
            real = None if location.remote else escape(location.key, folder)
            if real is not None:  # the step runs instead, and fails saying so (`clearing.py`)
                return Assessment(lost=f"not restored: {escape_message(location.text, real)}")
        parts: list[PartRecord] = []
        reasons: list[str] = []
        for name, part in manifest.parts.items():
            untrusted = cache.store.trust_problem(part)
            if untrusted is not None:  # a pickle not signed with this machine's key
                broken = f"its part `{name}` ({part.path}) {untrusted}"
                cache.warn_damaged(manifest, broken)
                return Assessment(lost=f"its stored result was ignored: {broken}")
            problem = cache.check_part(part)
            if problem is None:
                continue
            shown = cache.store.location(part.path)
            if part.blob is None or not cache.store.exists(part.blob):
                cache.warn_damaged(manifest, f"its payload {shown} {problem}")
                if problem == "is missing":
                    lost = "missing"
                elif cache.replaced_by_later_run(manifest):
                    lost = "overwritten by a later run"
                else:
                    lost = f"damaged: it {problem}"
                return Assessment(lost=f"stored result {lost} ({shown})")
            parts.append(part)
            reasons.append(f"{part.path} {_described(problem)}")
        copies: list[FileCopy] = []
        removals: list[FileCopy] = []
        folders: list[str] = []
        leaves: dict[str, WrittenFiles] = {}
        owned: list[Owned] = []  # read once, when a write holds a file its version lacks

        def owned_by_step() -> Owned:
            if not owned:
                owned.append(owned_files(cache, manifest.step, folder))
            return owned[0]

        for label, written in manifest.files.items():
            location = places[label]
            shown = shown_in(label, self.project_dir)  # a sub-pipeline's label is absolute
            if written.kind == FILE and not location.remote and os.path.isdir(location.key):
                # The stored file would replace the whole folder now there.
                unstored = self._not_owned(location.key, owned_by_step)
                if unstored:
                    return Assessment(lost=_folder_in_the_way(shown, location.key, unstored))
            options = self.options_for(location.key) if location.remote else None
            change = self._compare(location, written, options, owned_by_step)
            lacking = _lacking_folders(location, written)
            if change is None and not lacking:
                continue
            folders += lacking
            if change is None:
                empty = shown_in(lacking[0], self.project_dir)
                reasons.append(f"{shown} lacks its empty folder {empty}")
                continue
            wanted, stale, why, kept = change
            if kept:
                leaves[label] = replace(written, entries={**written.entries, **kept})
            copies += [FileCopy(entry, destination, options) for destination, entry in wanted]
            removals += [FileCopy(entry, destination, options) for destination, entry in stale]
            if written.kind != FILE and not location.remote and not written.entries:
                folders.append(location.key)
            reasons.append(f"{shown} {why}")
        gone = list(missing_blobs(cache.store, {copy.entry for copy in copies}))
        if gone:
            where = cache.store.location(blob_path(gone[0].checksum))
            return Assessment(lost=f"stored copy of its files missing ({where})")
        root = local_root(cache.store)
        published: tuple[Override, ...] = ()
        if root is not None:  # blobs this machine found whole need not be read again
            copies = [replace(copy, checked=self._checked(root, copy.entry)) for copy in copies]
            published = tuple(
                Override(locate(os.path.join(root, p.path), "/"), _one_file(p)) for p in parts
            )
        restoration = Restoration(
            copies=tuple(copies),
            removals=tuple(removals),
            folders=tuple(folders),
            parts=tuple(parts),
            project=folder if copies or removals or folders else "",  # checked before those
        )
        return Assessment(
            restoration=restoration,
            reason=joined(reasons),
            locations=places,
            leaves=leaves,
            published=published,
        )

    def _checked(self, root: str, entry: FileEntry) -> Checked | None:
        return self.hashes.checked(os.path.join(root, blob_path(entry.checksum)), entry.hex)

    def _compare(
        self,
        location: Location,
        written: WrittenFiles,
        options: Mapping[str, Any] | None,
        owned: Callable[[], Owned],
    ) -> Change | None:
        """(files to copy, files to remove, why, files kept) when the workspace differs, else
        None. A file the version lacks is removed only when `owned` says a stored version of
        the step wrote it there, with that content; any other is kept (by relative name)."""
        base = location.key.rstrip("/")
        on_disk = self._listing(location, written.kind == FILE, options)
        if on_disk is None:
            wanted = [(_join(base, name), entry) for name, entry in written.entries.items()]
            if not location.remote and written.kind != FILE and os.path.isfile(base):
                # A file where the folder was: it goes first.
                return wanted, [(base, FileEntry(0, ""))], "differs from the stored version", {}
            return wanted, [], "is missing", {}
        wanted = []
        for name, entry in written.entries.items():
            found = on_disk.get(name)
            if found is None or not _same(found, entry, remote=location.remote):
                wanted.append((_join(base, name), entry))
        stale: list[tuple[str, FileEntry]] = []
        kept: dict[str, FileEntry] = {}
        for name, entry in on_disk.items():
            if name in written.entries:
                continue
            path = _join(base, name)
            checksums = owned().get(path)
            if checksums and self._checksum(path, entry, options) in checksums:
                stale.append((path, entry))
            else:
                kept[name] = entry
        if not wanted and not stale:
            return None
        return wanted, stale, "differs from the stored version", kept

    def _not_owned(self, folder: str, owned: Callable[[], Owned]) -> list[str]:
        """The files under a local folder that no stored version of the step wrote there with
        that content: the store has no copy of them."""
        found = []
        for root, _, names in os.walk(folder):
            for name in sorted(names):
                path = Path(root, name)
                status = self.hashes.checksum(path)
                if status is None or status[1] not in owned().get(path.as_posix(), ()):
                    found.append(path.as_posix())
        return found

    @staticmethod
    def _checksum(path: str, entry: FileEntry, options: Mapping[str, Any] | None) -> str:
        """The sha256 of a file found in a write: known for a local one, read for an object."""
        if "://" not in path:
            return entry.checksum
        filesystem, inner = open_url(path, options)
        with filesystem.open(inner, "rb") as handle:
            return digest(handle)[1]

    def _listing(
        self, location: Location, file: bool, options: Mapping[str, Any] | None
    ) -> dict[str, FileEntry] | None:
        """What is at a location now: relative name -> entry (sha256 locally, ETag remotely);
        None when nothing is there, or not the kind (file or folder) that was written."""
        if location.remote:
            try:
                found = list_url(location.key, options)
            except FileNotFoundError:
                return None
            except Exception as error:
                raise StorageError(f"cannot compare {location.text}: {error}") from error
            if found is None or (file and list(found) != [""]) or (not file and "" in found):
                return None
            return {name: FileEntry(size, "", stamp) for name, (size, stamp) in found.items()}
        path = Path(location.key)
        if file:
            status = self.hashes.checksum(path)
            return None if status is None else {"": FileEntry(status[0], status[1])}
        if not path.is_dir():
            return None
        listing: dict[str, FileEntry] = {}
        for root, _, names in os.walk(path):
            for name in names:
                file_path = Path(root) / name
                status = self.hashes.checksum(file_path)
                if status is not None:
                    listing[file_path.relative_to(path).as_posix()] = FileEntry(*status)
        return listing


def _folder_in_the_way(label: str, folder: str, kept: list[str]) -> str:
    """Why a stored file is not put back where a folder holds files the store lacks."""
    names = [f"{label.rstrip('/')}/{os.path.relpath(path, folder)}" for path in kept[:3]]
    more = f" (and {len(kept) - 3} more)" if len(kept) > 3 else ""
    return (
        f"not restored: {label} is a folder now, and restoring its stored file would delete "
        f"{', '.join(names)}{more}, which the store has no copy of (move what you need out "
        f"of {label.rstrip('/')} and it is restored)"
    )


def _one_file(part: PartRecord) -> WrittenFiles:
    """A target payload as a file restored: the bytes its record names."""
    return WrittenFiles(FILE, {"": FileEntry(part.size, part.checksum)})


def _same(found: FileEntry, stored: FileEntry, *, remote: bool) -> bool:
    if found.size != stored.size:
        return False
    if remote:
        return stored.stamp is None or found.stamp == stored.stamp
    return found.checksum == stored.checksum


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if name else base


def _lacking_folders(location: Location, written: WrittenFiles) -> list[str]:
    """The empty folders the step left in a folder it wrote that are not there now (on this
    machine's disk: an object store has no empty folders)."""
    if location.remote or written.kind == FILE:
        return []
    return [
        path
        for path in (os.path.join(location.key, name) for name in written.empty)
        if not os.path.isdir(path)
    ]


def _described(problem: str) -> str:
    return "is missing" if problem == "is missing" else "differs from the stored version"

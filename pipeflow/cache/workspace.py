"""The files steps read, as their fingerprints see them: on disk, or as a restore will leave them.

A reader's key takes the content of the files it reads. Usually that is what is on disk (or
in the object store) when the reader is decided, which the planner makes sure is after its
writers finished. One case is decided earlier: a writer whose stored result will be
*restored* (its files are missing or changed in the workspace) leaves exactly the files its
manifest lists, so the reader's fingerprint is computed from that list (`Override`), and
`status` can say what the reader will do before anything is copied. A read that holds such
a write without being inside it (a folder around it, a glob) cannot be computed that way:
`Unpredictable`, and the planner decides the reader after the restore instead.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeflow.cache.files import FileFingerprints
from pipeflow.model.locations import Location, resolved_key
from pipeflow.records import record
from pipeflow.storage.paths import unreadable
from pipeflow.storage.remote import fingerprint_url, glob_url
from pipeflow.storage.written import WrittenFiles

OptionsFor = Callable[[str], Mapping[str, Any]]  # a URL -> the storage options that reach it


class Unpredictable(Exception):
    """A read holds a write that is about to be restored: fingerprint it after the restore."""


@record
class Override:
    """A write about to be restored, and the files it will hold."""

    location: Location
    files: WrittenFiles


class Workspace:
    """Content fingerprints of locations; shares the remembered hashes of one run."""

    def __init__(self, hashes: FileFingerprints, options_for: OptionsFor) -> None:
        self.hashes = hashes
        self.options_for = options_for

    def fingerprint(
        self,
        location: Location,
        overrides: tuple[Override, ...] = (),
        exclude: frozenset[str] = frozenset(),
    ) -> str | None:
        """The content fingerprint of what `location` names, None when nothing is there;
        `exclude`: matches of a glob left out (what its reader wrote there itself)."""
        if overrides and not location.remote:  # a write reached through a symlink is it too
            location = replace(location, key=resolved_key(location.key))
            overrides = tuple(
                replace(o, location=replace(o.location, key=resolved_key(o.location.key)))
                if not o.location.remote
                else o
                for o in overrides
            )
        for override in overrides:
            if location.pattern and location.overlaps(override.location):
                raise Unpredictable(location.text)
            if location.inside(override.location):
                relative = location.key[len(override.location.key) :].strip("/")
                found = override.files.subset(relative)
                return found.fingerprint(remote=location.remote) if found is not None else None
            if override.location.inside(location):
                raise Unpredictable(location.text)
        if location.pattern and not named_itself(location):
            return self._glob(location, exclude)
        if location.remote:
            return fingerprint_url(location.key, self.options_for(location.key))
        return self.hashes.fingerprint(Path(location.key))

    def _glob(self, location: Location, exclude: frozenset[str] = frozenset()) -> str | None:
        """A digest over every match of a glob but those `exclude`d, None when nothing
        matches (yet)."""
        if location.remote:
            options = self.options_for(location.key)
            matches = [match for match in glob_url(location.key, options) if match not in exclude]
            found = [(match, fingerprint_url(match, options)) for match in matches]
        else:
            matches = sorted(set(glob.glob(location.key, recursive=True)) - exclude)
            found = [(match, self.hashes.fingerprint(Path(match))) for match in matches]
        if not found:
            return None
        # Named from the pattern's fixed folder on: a project checked out elsewhere matches.
        base = location.prefix.rsplit("/", 1)[0]
        hasher = hashlib.sha256()
        for match, fingerprint in found:
            line = f"{match.removeprefix(base)}\0{fingerprint}\n"
            hasher.update(line.encode("utf-8", "surrogateescape"))  # a name not UTF-8: its bytes
        return f"glob:{len(found)}:{hasher.hexdigest()[:32]}"


def named_itself(location: Location) -> bool:
    """Whether a local pattern is the name of a file or folder that exists
    (`data/report[1].txt`): it counts as itself, as a path input does, not by its matches."""
    return not location.remote and os.path.lexists(location.key)


def missing_read(location: Location, options: Mapping[str, Any]) -> str | None:
    """Why a declared read is not there when its step starts (a glob that matches nothing,
    a path that does not exist), or None."""
    if location.pattern and not named_itself(location):
        if location.remote:
            found = bool(glob_url(location.key, options))
        else:
            found = bool(glob.glob(location.key, recursive=True))
        return None if found else f"`reads` names {location.text}, which matches nothing"
    if location.remote:
        present = fingerprint_url(location.key, options) is not None
    else:
        why = unreadable(location.key)  # a name longer than the disk takes (from an item)
        if why is not None:
            return f"`reads` names {location.text}, which the disk cannot look up ({why})"
        present = Path(location.key).exists()
    return None if present else f"`reads` names {location.text}, which does not exist"

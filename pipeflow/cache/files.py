"""Content fingerprints of the files a step's inputs name, with hashes cached by mtime.

A path input counts by its content, not its timestamp: size and sha256 of a file, or of every
file under a folder (but pipeflow's own `.pipeflow/` folders). Hashing a large file is slow,
so each hash is remembered in `.pipeflow/file-hashes.json` beside the config, keyed by (a
hash of) the path, size and modification time; an unchanged 1 GB file is hashed once. A
touched file whose bytes did not change is hashed again but yields the same fingerprint, so
nothing re-runs.

The same file remembers which blobs of a local store this machine found whole, with their
ctime then (`checked`), so that restoring does not read them again (`storage/restoring.py`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pipeflow.cache.unchanged import FileStamp, stamp_of
from pipeflow.model import jsontext
from pipeflow.storage.blobs import Checked, FileHash
from pipeflow.storage.boundaries import RESERVED

_CHUNK = 1024 * 1024


class FileFingerprints:
    """Fingerprints of local files and folders, remembering hashes between runs."""

    def __init__(self, cache_file: Path | None) -> None:
        self._cache_file = cache_file
        self._lock = threading.Lock()
        self._hashes: dict[str, list[Any]] = {}
        self._keys: dict[str, str] = {}  # path as given -> its key in `_hashes`
        self._folders: dict[str, str] = {}  # folder -> where it really is
        self._dirty = False
        self._recording = threading.local()  # the stamps of what this thread hashes
        if cache_file is not None:
            try:
                loaded = json.loads(cache_file.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._hashes = loaded
            except (OSError, ValueError):
                pass  # no cache yet, or a broken one: hash again

    @contextmanager
    def recording(self) -> Iterator[set[FileStamp]]:
        """The stamps of every file and folder this thread fingerprints meanwhile, as they
        were hashed: what a key computed from them stands for (`cache/unchanged.py`)."""
        outer = getattr(self._recording, "seen", None)
        seen: set[FileStamp] = set()
        self._recording.seen = seen
        try:
            yield seen
        finally:
            self._recording.seen = outer
            if outer is not None:
                outer |= seen

    def _record(self, path: Path | str, status: os.stat_result) -> None:
        seen = getattr(self._recording, "seen", None)
        if seen is not None:
            seen.add(stamp_of(os.path.abspath(path), status))

    def fingerprint(self, path: Path) -> str | None:
        """`size:sha256` of a file, a digest over a folder's files, or None if nothing is there."""
        try:
            status = path.stat()
        except OSError:
            return None
        if path.is_dir():
            self._record(path, status)  # a file added or removed changes it
            return self._folder(path)
        return f"{status.st_size}:{self._hash(path, status)[:32]}"

    def checksum(self, path: Path) -> tuple[int, str] | None:
        """(size, "sha256:<hex>") of a file, as manifests record it; None when it is missing."""
        try:
            status = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        return status.st_size, f"sha256:{self._hash(path, status)}"

    def _folder(self, folder: Path) -> str:
        hasher = hashlib.sha256()
        count = 0
        # Symlinked subfolders are followed, as symlinked files are; a folder reached twice
        # (a link to an ancestor, two links to one folder) counts once. pipeflow's own
        # `.pipeflow/` folders are no step's data: a results store's manifests and run
        # journals, the history beside the config, to which every run adds (a step reading
        # `data/` beside `results.root: data/processed` would never stay cached).
        seen = {os.path.realpath(folder)}
        for root, directories, files in os.walk(folder, followlinks=True):
            kept = []
            for name in sorted(directories):
                if name == RESERVED:
                    continue
                real = os.path.realpath(os.path.join(root, name))
                if real not in seen:
                    seen.add(real)
                    kept.append(name)
            directories[:] = kept
            if root != str(folder):
                with suppress(OSError):
                    self._record(root, os.stat(root))
            for name in sorted(files):
                file = Path(root) / name
                try:
                    status = file.stat()
                except OSError:
                    continue
                relative = file.relative_to(folder).as_posix()
                line = f"{relative}\0{status.st_size}\0{self._hash(file, status)}\n"
                hasher.update(os.fsencode(line))  # a name that is not UTF-8: its bytes
                count += 1
        return f"folder:{count}:{hasher.hexdigest()[:32]}"

    def _key(self, path: Path) -> str:
        # Remembered by a hash of the path: a path may hold a secret (a folder named by
        # `${env.*}`), and this file is never where pipeflow writes one. Resolving a path
        # costs a system call per folder in it: once per path and run.
        # Files of one folder share the resolution of the folder (a link as the file's own
        # name is still followed).
        given = str(path)
        key = self._keys.get(given)
        if key is None:
            absolute = os.path.abspath(given)
            if os.path.islink(absolute):
                real = os.path.realpath(absolute)
            else:
                folder, name = os.path.split(absolute)
                real_folder = self._folders.get(folder)
                if real_folder is None:
                    real_folder = self._folders[folder] = os.path.realpath(folder)
                real = os.path.join(real_folder, name)
            key = hashlib.sha256(os.fsencode(real)).hexdigest()[:32]
            self._keys[given] = key
        return key

    def _hash(self, path: Path, status: os.stat_result) -> str:
        """The file's sha256 (hex), remembered while its size, modification time and ctime
        stay: a file replaced by one of the same size and time (`cp -p`, `rsync -t`, `tar x`)
        has another ctime, which no program can set back.

        A device, a named pipe or a socket (`/dev/zero`, a FIFO) is never read: the first
        never ends, the second waits for a writer. It counts by what it is."""
        if not stat.S_ISREG(status.st_mode):
            kind = stat.S_IFMT(status.st_mode)
            return hashlib.sha256(f"special\0{kind}\0{status.st_rdev}".encode()).hexdigest()
        self._record(path, status)
        key = self._key(path)
        with self._lock:
            known = self._hashes.get(key)
            if (
                known is not None
                and len(known) >= 4
                and known[0] == status.st_size
                and known[1] == status.st_mtime_ns
                and known[3] == status.st_ctime_ns
            ):
                return str(known[2])
        hasher = hashlib.sha256()
        # The size stat gave, no more: a pseudo-file of the kernel says 0 and may never end
        # (`/proc/kmsg` waits for the next message); a file growing meanwhile counts as it was.
        remaining = status.st_size
        with path.open("rb") as handle:
            while remaining > 0 and (chunk := handle.read(min(_CHUNK, remaining))):
                hasher.update(chunk)
                remaining -= len(chunk)
        digest = hasher.hexdigest()
        with self._lock:
            self._hashes[key] = [status.st_size, status.st_mtime_ns, digest, status.st_ctime_ns]
            self._dirty = True
        return digest

    def remember(self, found: FileHash) -> None:
        """A hash taken elsewhere (a worker that stored or restored the file), so it is not
        taken again while the file keeps that size and modification time; with its ctime,
        a blob found whole (see `checked`)."""
        record: list[Any] = [found.size, found.mtime_ns, found.sha256]
        if found.ctime_ns is not None:
            record.append(found.ctime_ns)
        key = self._key(Path(found.path))
        with self._lock:
            self._hashes[key] = record
            self._dirty = True

    def checked(self, path: str, sha256: str) -> Checked | None:
        """(size, mtime_ns, ctime_ns) of the blob at `path` when this machine last read it
        and found its sha256 (hex) to be `sha256`; None when it never did."""
        with self._lock:
            known = self._hashes.get(self._key(Path(path)))
        if known is None or len(known) < 4 or known[2] != sha256:
            return None
        return int(known[0]), int(known[1]), int(known[3])

    def save(self) -> None:
        """Write the remembered hashes back; failing to is never an error (it only costs time)."""
        if self._cache_file is None or not self._dirty:
            return
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._cache_file.with_name(f".{self._cache_file.name}.{os.getpid()}")
            temporary.write_text(jsontext.dumps(self._hashes), encoding="utf-8")
            os.replace(temporary, self._cache_file)
            self._dirty = False
        except OSError:
            pass

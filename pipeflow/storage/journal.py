"""The run journal: small stored results appended to one file per run and process.

On a local store, a result without a `target` and without recorded writes, whose every part
encodes to at most SMALL bytes, is not two new files (its payload and its manifest) but one
append to `.pipeflow/journal/PIPELINE/RUN_ID-PID.log`: creating a file costs the kernel far
more than appending to one (benchmarks/README.md, "Stored path"), and a chain of small steps
otherwise spends most of its time creating files.

A record is written with one `os.write`:

    header    b"PFJ1", the payload's length, the manifest's length (big-endian, 32 bits each)
    payload   the parts' encoded bytes, one after the other
    manifest  the manifest's JSON exactly as a manifest file holds it; each part's `path` is
              the journal's store path and its `offset` where its bytes start in that file

so a manifest is never there without its payload before it (SPEC section 5's atomic publish).
A record counts only when it is complete and its manifest parses; its payload counts, as any
payload, only when its bytes hash to the manifest's checksums (checked by whoever reads it). A
record cut short by a crash can only be the last of its file (one process of one run appends
to a file, which is never changed otherwise) and is ignored, like a temporary file; so are
the records a power cut left as zeros at the file's end (its length saved, not its last
blocks), with no warning: they are no damage, only never written. No fsync,
as for files (`publish.py`): the page cache outlives a killed process.

A journal is opened once per run and process (created exclusively: a name already taken gets a
suffix) and kept open until the run ends (`close_run`); a lock per file orders the records of
threads, so that each record's offsets are known before it is written. A forked worker forgets
its parent's journals and opens its own.

**Held records.** For a run whose steps run in this process (`hold`: the sequential and threads
executors), a record waits to be written with the next ones: a chain of short steps then makes
one write per batch instead of one per step (a write cost about as much as the rest of a stored
step's bookkeeping: benchmarks/README.md, "Stored path"). A record waits at most HOLD_FOR
seconds (a thread writes what waits), and no longer than until someone could learn that its
step finished or read it: `settle()` writes every held record of the process, and is called
before a journal is read in this process, before the console, JSON lines and user subscribers
are told that a step finished, and before the history commits rows. So a step reported finished
has its result on disk, as before, and a run killed at any moment loses at most the records of
its last HOLD_FOR seconds that nobody was told of. A held write that fails loses the records it
carried: `close_run` names their steps, and the run marks them failed.
"""

from __future__ import annotations

import atexit
import io
import os
import posixpath
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any

from pipeflow.errors import StorageError
from pipeflow.records import record
from pipeflow.storage.checksums import content_checksum
from pipeflow.storage.failures import local_failure
from pipeflow.storage.formats import Format, unsuitable_value_error
from pipeflow.storage.manifest import Manifest, PartRecord
from pipeflow.storage.signing import sign, signing_key

if TYPE_CHECKING:
    from pipeflow.storage.store import ResultStore

JOURNAL = ".pipeflow/journal"
SMALL = 64 * 1024  # the largest part (encoded) a journal takes; larger ones are files
EXTENSION = ".log"
MAGIC = b"PFJ1"
HEADER = struct.Struct(">4sII")  # magic, payload length, manifest length
_OPEN_LIMIT = 32  # journals a process keeps open at most (a long-lived worker's many runs)
HOLD_FOR = 0.05  # seconds a held record waits at most before it is written
HOLD_BYTES = 1 << 20  # held bytes of one journal written at once, without waiting


def journal_folder(pipeline: str) -> str:
    """Where the journals of a pipeline's runs go, relative to the store's root."""
    return f"{JOURNAL}/{pipeline}"


class _TooLarge(Exception):
    """Raised inside a format's writer once a part outgrows its limit: it is written as a file."""


class _Bounded(io.BytesIO):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: Any, /) -> int:
        if self.tell() + memoryview(data).nbytes > self.limit:
            raise _TooLarge
        return super().write(data)


def encode(value: Any, format: Format, limit: int = SMALL) -> bytes | None:
    """`value` in `format` when that takes at most `limit` bytes; None when it takes more (the
    writer stops at the limit, so a large value costs little here), or when the format writes
    files natively (parquet: such values are rarely small)."""
    if getattr(format, "write_path", None) is not None:
        return None
    to_bytes = getattr(format, "to_bytes", None)
    if to_bytes is not None:  # a format that makes its bytes in memory anyway (json)
        data: bytes = to_bytes(value)  # refuses what the format does not hold, as `write` does
        return data if len(data) <= limit else None
    if not format.accepts(value):
        raise unsuitable_value_error(format, value)
    buffer = _Bounded(limit)
    try:
        format.write(value, buffer)
    except _TooLarge:
        return None
    return buffer.getvalue()


@record(frozen=False, eq=False)
class _Journal:
    path: str  # relative to the store's root
    where: str  # the file's location, as messages name it
    run_id: str
    descriptor: int
    size: int  # with the held records
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False
    held: list[tuple[bytes, str]] = field(default_factory=list)  # (record, its step) to write
    held_size: int = 0


_journals: dict[tuple[str, str, str], _Journal] = {}  # (store URL, folder, run id) -> open
_registry = threading.Lock()
_held_runs: set[str] = set()  # runs whose records this process holds (`hold`)
_lost: dict[str, list[tuple[str, str]]] = {}  # run id -> (step, why) of records not written
_due = threading.Event()  # set when a record is held: the flusher writes it within HOLD_FOR
_flusher: threading.Thread | None = None
_starting = threading.Lock()


def hold(run_id: str) -> None:
    """Let this process's records of run `run_id` wait to be written together (see the
    module's docstring); `close_run` writes what waits and ends it."""
    _held_runs.add(run_id)


def append(
    store: ResultStore,
    folder: str,
    run_id: str,
    parts: Mapping[str, tuple[Format, bytes]],
    build: Callable[[dict[str, PartRecord]], Manifest],
) -> Manifest:
    """Store encoded `parts` and the manifest `build` makes of their records in one record of
    this run's journal in `folder`; the manifest."""
    if len(parts) == 1:  # most results: one value, its bytes the payload as they are
        ((name, (format, payload)),) = parts.items()
        checksums = {name: content_checksum(payload)}
        signed = format.executes_code
    else:
        checksums = {name: content_checksum(data) for name, (_, data) in parts.items()}
        payload = b"".join(data for _, data in parts.values())
        signed = any(format.executes_code for format, _ in parts.values())
    key = signing_key(create=True) if signed else None
    while True:
        journal = _open(store, folder, run_id)
        with journal.lock:
            if journal.closed:
                continue  # closed by another thread meanwhile: a new one is opened
            offset = journal.size + HEADER.size
            records: dict[str, PartRecord] = {}
            for name, (format, data) in parts.items():
                path, size = journal.path, len(data)
                record = PartRecord(path, format.name, size, checksums[name], offset=offset)
                if key is not None:
                    # The signature covers what a file's does (path, format, size, checksum,
                    # not the offset): the checksum ties it to the bytes wherever they start.
                    record = replace(record, signature=sign(record, key))
                records[name] = record
                offset += size
            manifest = build(records)
            document = manifest.to_json()
            frame = HEADER.pack(MAGIC, len(payload), len(document)) + payload + document
            if run_id not in _held_runs:
                _write(journal, frame)
                return manifest
            journal.held.append((frame, manifest.step))
            journal.size += len(frame)
            journal.held_size += len(frame)
            if journal.held_size >= HOLD_BYTES:
                _flush(journal)
            elif len(journal.held) == 1:
                _wake_flusher()
            return manifest


def _write(journal: _Journal, frame: bytes) -> None:
    """Append `frame` whole, or give the journal up (a torn record stays its last)."""
    try:
        _append(journal, frame)
    except OSError as error:
        raise local_failure(f"write {journal.where}", error) from error


def _flush(journal: _Journal) -> None:
    """Write `journal`'s held records in one go, its lock held by the caller. A failure gives
    the journal up and is kept for `close_run`, naming the steps whose records did not land
    whole (those before them did: a record counts when it is complete)."""
    if not journal.held:
        return
    held, journal.held, journal.held_size = journal.held, [], 0
    journal.size -= sum(len(frame) for frame, _ in held)  # counted again as they land
    try:
        _append(journal, b"".join(frame for frame, _ in held))
    except OSError as error:
        landed, lost = 0, _lost.setdefault(journal.run_id, [])
        for frame, step in held:
            landed += len(frame)
            if landed > getattr(error, "written", 0):
                lost.append((step, str(local_failure(f"write {journal.where}", error))))


class _ShortWrite(OSError):
    """Fewer bytes landed than were given (a full disk, a file size limit)."""

    def __init__(self, written: int, given: int) -> None:
        super().__init__(f"only {written} of {given} bytes were written (is the disk full?)")
        self.written = written


def _append(journal: _Journal, data: bytes) -> None:
    """Write `data` at the journal's end in one call. An error, or fewer bytes than given,
    gives the journal up (what landed stays its torn tail) and raises."""
    try:
        written = os.write(journal.descriptor, data)
        if written != len(data):
            raise _ShortWrite(written, len(data))
    except OSError:
        _give_up(journal)
        raise
    journal.size += written


def settle() -> None:
    """Write every held record of this process now: before a journal is read here, and before
    anyone is told that a step finished (see the module's docstring)."""
    for journal in list(_journals.values()):
        if journal.held:
            with journal.lock:
                _flush(journal)


def _wake_flusher() -> None:
    global _flusher
    if _flusher is None:
        with _starting:  # not the registry: this runs under a journal's lock
            if _flusher is None:
                _flusher = threading.Thread(
                    target=_flush_held, name="pipeflow-journal", daemon=True
                )
                _flusher.start()
    _due.set()


def _flush_held() -> None:
    """The flusher thread: what is held is written at most HOLD_FOR seconds after it was."""
    while True:
        _due.wait()
        time.sleep(HOLD_FOR)
        _due.clear()  # before settling: a record held meanwhile sets it again, or is written
        settle()


def _open(store: ResultStore, folder: str, run_id: str) -> _Journal:
    """This run's journal in `folder` in this process, opened (and created) on first use."""
    wanted = (store.url, folder, run_id)
    last = _journals.get(wanted)  # the journal of every record a run appends, but the first
    if last is not None and not last.closed:
        return last
    with _registry:
        journal = _journals.get(wanted)
        if journal is not None and not journal.closed:
            return journal
        for gone in [wanted for wanted, known in _journals.items() if known.closed]:
            del _journals[gone]
        while len(_journals) >= _OPEN_LIMIT:
            oldest = next(iter(_journals))
            with _journals[oldest].lock:
                _close(_journals.pop(oldest))
        base = f"{folder}/{run_id}-{os.getpid()}"
        for attempt in range(1, 1000):
            path = f"{base}{EXTENSION}" if attempt == 1 else f"{base}-{attempt}{EXTENSION}"
            # The store's boundary checks, once per file rather than once per record.
            full = store.writable_path(path)
            try:
                descriptor = _create(full)
            except FileExistsError:
                continue  # another process of the same id (a reused pid): a name of its own
            except OSError as error:
                raise local_failure(f"create {store.location(path)}", error) from error
            journal = _Journal(
                path=path,
                where=store.location(path),
                run_id=run_id,
                descriptor=descriptor,
                size=0,
            )
            _journals[wanted] = journal
            return journal
        raise StorageError(f"cannot create a journal at {store.location(base)}: all names taken")


def _create(full: str) -> int:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(full, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(posixpath.dirname(full), exist_ok=True)
        return os.open(full, flags, 0o666)


def _close(journal: _Journal) -> None:
    """Write what `journal` holds and close it, its lock held by the caller (the registry
    forgets it when it next looks: its lock comes first)."""
    _flush(journal)
    _give_up(journal)


def _give_up(journal: _Journal) -> None:
    if not journal.closed:
        journal.closed = True
        with suppress(OSError):  # already gone: nothing more to write to it anyway
            os.close(journal.descriptor)


def close_run(run_id: str) -> list[tuple[str, str]]:
    """Write what this process holds of run `run_id` and close its journals (at the end of
    the run); the steps whose records could not be written since `hold`, and why."""
    with _registry:
        for wanted in [wanted for wanted, known in _journals.items() if known.run_id == run_id]:
            journal = _journals.pop(wanted)
            with journal.lock:
                _close(journal)
        _held_runs.discard(run_id)
        return _lost.pop(run_id, [])


def _forget_after_fork() -> None:
    """In a forked child: the parent's journals, and what it holds, are the parent's to
    write (the flusher thread stayed in the parent)."""
    global _registry, _due, _flusher, _starting
    _registry, _starting = threading.Lock(), threading.Lock()
    _due, _flusher = threading.Event(), None
    for journal in list(_journals.values()):
        journal.held.clear()
        _give_up(journal)
    _journals.clear()
    _held_runs.clear()
    _lost.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(settle)  # what a run still held when the interpreter ends (an API script)


# -- reading ----------------------------------------------------------------------------------


@record
class Record:
    """One complete record of a journal: where its payload lies, and its manifest's bytes."""

    start: int  # of the payload, in the file
    end: int
    manifest: bytes


def records(data: bytes) -> Iterator[Record]:
    """The complete records in a journal's bytes, in order; a torn or foreign tail ends them."""
    position = 0
    while position + HEADER.size <= len(data):
        magic, payload, manifest = HEADER.unpack_from(data, position)
        if magic != MAGIC:
            return
        start = position + HEADER.size
        end = start + payload
        if end + manifest > len(data):
            return  # cut short by a crash: the file's last record
        text = data[end : end + manifest]
        if (not text or not text[-1]) and not data[end + manifest :].strip(b"\0"):
            return  # zeros to the end: blocks a power cut left unwritten (a manifest ends `}`)
        yield Record(start, end, text)
        position = end + manifest


def packed(manifests: Iterable[bytes]) -> bytes:
    """A whole journal of records without payload, one per manifest text, each manifest
    carrying its bytes inside it (`inline.py`): an object store's pack of small results,
    written in one go (`cache/packing.py`)."""
    return b"".join(HEADER.pack(MAGIC, 0, len(text)) + text for text in manifests)


def is_journal(path: str) -> bool:
    return path.startswith(f"{JOURNAL}/") and path.endswith(EXTENSION)

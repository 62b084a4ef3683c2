"""The history database: where it lives, how it is opened, and how its schema is upgraded.

One SQLite file, `runs.db`, in `.pipeflow/` beside the config or in `$PIPEFLOW_HOME`. WAL mode
lets readers (`pipeflow runs`, `pipeflow logs --follow`) read while a run writes; a busy timeout
makes concurrent writers wait for each other instead of failing. A connection is used by the
thread that opened it only.

A history whose folder cannot be written (an archive, a read-only mount) is still read:
`connect_reader` opens it read-only (`mode=ro`), without switching its journal or upgrading its
schema. Where SQLite cannot read a WAL database read-only (no `-shm` file beside it, and none
can be made), the file is opened as immutable: what the last writer left only in `runs.db-wal`
is then not seen.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import time
from pathlib import Path

from pipeflow.errors import PipeflowError, PipeflowWarning
from pipeflow.history.migrations import APPLICATION, MIGRATIONS, SCHEMA_VERSION

DB_NAME = "runs.db"
HOME_ENV = "PIPEFLOW_HOME"
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one before giving up


class HistoryWarning(PipeflowWarning):
    """The history could not record a run; the run itself goes on."""


class HistoryError(PipeflowError):
    """The history could not be read (a damaged or foreign file, a newer schema, ...)."""

    exit_code = 1


def remedy(error: sqlite3.Error) -> str:
    """What to do, after a database error's text: for a damaged file (not a database, or
    malformed; not a lock or a full disk), move it away."""
    if type(error) is not sqlite3.DatabaseError:
        return ""
    return f"; move it away (or point {HOME_ENV} elsewhere): the next run starts a fresh one"


def history_home(
    folder: str | os.PathLike[str] | None = None, *, home: str | os.PathLike[str] | None = None
) -> Path:
    """The folder holding `runs.db`: `home`, else `$PIPEFLOW_HOME`, else `FOLDER/.pipeflow`.

    `folder` is the project folder (the config's folder); it defaults to the current one.
    """
    if home is not None and str(home):
        return Path(home).expanduser().absolute()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().absolute()
    base = Path(folder) if folder is not None else Path.cwd()
    return (base / ".pipeflow").absolute()


def database_path(
    folder: str | os.PathLike[str] | None = None, *, home: str | os.PathLike[str] | None = None
) -> Path:
    """Where the history database is (see `history_home`)."""
    return history_home(folder, home=home) / DB_NAME


# -- owners ----------------------------------------------------------------------------------
# A run is recorded by one process; if that process dies without a word (SIGKILL, a power cut,
# the OOM killer), the run would read `running` for ever. Each run stores its owner: the host,
# the process id and (on Linux) the process's start time, so a reused pid is not mistaken for
# the recorder. Readers on the same host mark runs whose owner is gone as `lost`.


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command's name (Linux); [] where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _start_time(pid: int) -> str:
    """When the process started, in clock ticks since boot (Linux); "" where unknown."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else ""


def _host() -> str:
    """This machine's name, as `socket.gethostname()` gives it (uname's node name), without
    importing socket on every run."""
    return platform.node()


def this_process() -> str:
    """The owner string of the current process."""
    pid = os.getpid()
    return f"{_host()} {pid} {_start_time(pid)}".rstrip()


def owned_by(owner: str, pid: int) -> bool:
    """Whether `owner` is process `pid` of this host (whatever its start time)."""
    return owner.split(" ")[:2] == [_host(), str(pid)]


def owner_gone(owner: str) -> bool:
    """True when `owner` ran on this host and is no longer running; False when unsure."""
    parts = owner.split(" ")
    if len(parts) < 2 or parts[0] != _host() or not parts[1].isdigit():
        return False  # another machine's run: nothing here can tell
    pid = int(parts[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, but another user's (or not ours to ask)
    fields = _stat(pid)
    if fields and fields[0] in ("Z", "X"):
        return True  # killed, and not yet reaped by its parent: it records nothing more
    started = parts[2] if len(parts) > 2 else ""
    now = fields[19] if len(fields) > 19 else ""
    return bool(started) and started != now  # the pid now belongs to another process


_LOST_STEP = (
    "the run's process ended while this step ran (killed, or the machine stopped); "
    "run the pipeline again: finished steps are taken from the cache"
)


_LOST_PENDING = "the run's process ended before this step started"


def mark_lost(conn: sqlite3.Connection, runs: list[str]) -> bool:
    """Mark these `running` runs `lost` (their owner is gone): the step that was running
    fails with a note, the pending ones are `not run`. False when the database cannot be
    written (it then stays as it is)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        for found in runs:
            conn.execute(
                "UPDATE runs SET state = 'lost' WHERE id = ? AND state = 'running'", (found,)
            )
            conn.execute(
                "UPDATE steps SET state = 'failed', error = ? "
                "WHERE run_id = ? AND state = 'running'",
                (_LOST_STEP, found),
            )
            conn.execute(
                "UPDATE steps SET state = 'not run', reason = ? "
                "WHERE run_id = ? AND state = 'pending'",
                (_LOST_PENDING, found),
            )
        conn.execute("COMMIT")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False
    return True


def schema_version(conn: sqlite3.Connection, path: Path | str = "") -> int:
    """The schema version of an open database: 0 when empty; HistoryError when not ours."""
    tables = sorted(
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(row[0]).startswith("sqlite_")
    )
    if not tables:
        return 0
    foreign = HistoryError(
        f"{path or 'the database'} is not a pipeflow history "
        f"(it holds the tables {', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''}); "
        f"move it away or point {HOME_ENV} elsewhere"
    )
    if "meta" not in tables:
        raise foreign
    try:
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        raise foreign from None
    if rows.get("application") != APPLICATION:
        raise foreign
    try:
        return int(rows.get("schema_version", 1))
    except (TypeError, ValueError):
        raise foreign from None


def migrate(
    conn: sqlite3.Connection, path: Path | str = "", *, target: int = SCHEMA_VERSION
) -> int:
    """Bring the schema up to `target`, in one transaction; returns the version found before."""
    found = schema_version(conn, path)
    if found > SCHEMA_VERSION:
        raise HistoryError(
            f"{path or 'the history'} was written by a newer pipeflow (schema version {found}, "
            f"this one knows up to {SCHEMA_VERSION}); upgrade pipeflow to read it"
        )
    if found >= target:
        return found
    conn.execute("BEGIN IMMEDIATE")  # waits (busy timeout) while another process upgrades it
    try:
        found = schema_version(conn, path)  # someone else may have upgraded it meanwhile
        for step in MIGRATIONS[found:target]:
            step(conn)
        if found < target:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(target),),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL once (it is a property of the file); retry while others hold locks."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def writable(path: Path) -> bool:
    """Whether this process may write the database at `path` and the folder it is in (a
    read-only mount says no, even to root)."""
    folder = path.parent
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def connect_reader(path: Path, *, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """A connection to read the history at `path`: `connect` when it can be written, else
    read-only (see the module's docstring)."""
    if writable(path):
        return connect(path, timeout=timeout)
    uri = path.absolute().as_uri() + "?mode=ro"
    try:
        return _open_read_only(uri, path, timeout)
    except sqlite3.OperationalError:
        # A WAL database needs its `-shm` file, and none can be made here.
        return _open_read_only(uri + "&immutable=1", path, timeout)


def _open_read_only(uri: str, path: Path, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(timeout * 1000))}")
        found = schema_version(conn, path)
        if found > SCHEMA_VERSION:
            migrate(conn, path)  # raises: written by a newer pipeflow
        elif found < SCHEMA_VERSION:
            raise HistoryError(
                f"the history at {path} was written by an older pipeflow (schema version "
                f"{found}, this one reads {SCHEMA_VERSION}) and its folder is read-only, so it "
                "cannot be upgraded: run `pipeflow runs` once where it can be written, or copy "
                f"the folder somewhere writable and point --home (or {HOME_ENV}) at the copy"
            )
    except BaseException:
        conn.close()
        raise
    return conn


def connect(
    path: Path, *, timeout: float = BUSY_TIMEOUT, target: int = SCHEMA_VERSION
) -> sqlite3.Connection:
    """Open (creating if need be) and upgrade the history at `path`.

    Raises sqlite3.Error, OSError (a folder that cannot be created) or HistoryError (a file that
    is not a pipeflow history, or one from a newer pipeflow).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(timeout * 1000))}")
        schema_version(conn, path)  # a damaged or foreign file fails here, before any write
        _use_wal(conn, timeout)
        conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode, and much faster
        migrate(conn, path, target=target)
    except BaseException:
        conn.close()
        raise
    return conn

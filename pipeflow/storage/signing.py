"""Signing pickles: a stored payload that runs code when loaded is loaded only when signed here.

A checksum proves that a payload is the one its manifest describes; it cannot prove who wrote
the manifest. Whoever can write a shared bucket can write both, so a pickle or joblib payload
also carries a signature in its manifest: an HMAC-SHA256, made with the project's key, of the
payload's path in the store, format, size and checksum. The path binds the signature to one
place (for results without a target it names the pipeline, the step, the cache key and the
part), so a signed payload cannot be passed off as another step's. The key never leaves the
machine: only its id (a hash of it) is written beside each signature, so that a refusal can say
"signed with another key".

The files a step `writes:` are restored from the store into the workspace, where the next step
may unpickle one (`models/model.pkl`): a manifest's list of them (each path, size and checksum)
is signed the same way (`sign_files`), bound to the pipeline, the step and the cache key, and
a list without a valid signature is never restored from: the step runs again.

The key is, in order:
1. `PIPEFLOW_SIGNING_KEY`: any string of 32 characters or more, the same on every machine that
   shares a store (CI and a laptop, Dask workers on other hosts);
2. else the key file `$XDG_CONFIG_HOME/pipeflow/signing.key` (by default
   `~/.config/pipeflow/signing.key`), which pipeflow creates on first use (mode 0600, in a
   0700 folder), outside any results store and outside the project. Worker processes on the
   same machine find the same file. A key file that other users can read or write is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from pipeflow.errors import StorageError
from pipeflow.records import record
from pipeflow.storage.manifest import Manifest, PartRecord
from pipeflow.storage.written import WrittenFiles, files_document

KEY_ENV = "PIPEFLOW_SIGNING_KEY"
KEY_FILE = "signing.key"
MIN_KEY_LENGTH = 32
SCHEME = "hmac-sha256"
_MESSAGE_VERSION = "pipeflow-signature-1"
_FILES_MESSAGE_VERSION = "pipeflow-files-signature-1"
_GENERATE = "python -c 'import secrets; print(secrets.token_hex(32))'"


@record
class SigningKey:
    secret: bytes
    id: str  # a hash of the key, safe to write down
    origin: str  # where it came from, for messages


def key_path() -> Path:
    """Where the key file is (whether or not it exists); StorageError when this user has no
    home folder and XDG_CONFIG_HOME is not set."""
    config_home = os.environ.get("XDG_CONFIG_HOME")
    if config_home:
        base = Path(config_home)
    else:
        try:
            base = Path.home() / ".config"
        except RuntimeError as error:  # no HOME, and no entry in the password database
            raise StorageError(
                f"cannot tell where the signing key file goes ({error}): set {KEY_ENV}, or "
                "XDG_CONFIG_HOME to a private folder of this user"
            ) from None
    return base.absolute() / "pipeflow" / KEY_FILE


def signing_key(*, create: bool) -> SigningKey | None:
    """The project's key; None when there is none and `create` is false. StorageError for a
    key that cannot be used (too short, a key file others can read or write)."""
    text = os.environ.get(KEY_ENV)
    if text:
        if len(text) < MIN_KEY_LENGTH:
            raise StorageError(
                f"{KEY_ENV} is too short ({len(text)} characters): a signing key needs at "
                f"least {MIN_KEY_LENGTH}. Make one with `{_GENERATE}`."
            )
        return _key(text.encode("utf-8"), f"${KEY_ENV}")
    path = key_path()
    secret = _read_key_file(path)
    if secret is None and create:
        secret = _create_key_file(path)
    return None if secret is None else _key(secret, str(path))


def sign(record: PartRecord, key: SigningKey) -> str:
    """The signature of a payload's record: `hmac-sha256:KEY_ID:HEX`."""
    return f"{SCHEME}:{key.id}:{_mac(record, key)}"


def signature_problem(record: PartRecord) -> str | None:
    """Why the record's signature does not vouch for its payload here, or None when it does."""
    return _problem(record.signature, lambda key: _mac(record, key))


def sign_files(
    files: Mapping[str, WrittenFiles],
    *,
    pipeline: str,
    step: str,
    key: str,
    signing: SigningKey | None = None,
) -> str:
    """The signature of a manifest's list of written files (paths, sizes, checksums), bound
    to the step and cache key it is stored for: `hmac-sha256:KEY_ID:HEX`, made with `signing`
    or else this machine's key (created if need be), as a pickle payload's."""
    signing = signing or signing_key(create=True)
    assert signing is not None
    return f"{SCHEME}:{signing.id}:{_files_mac(files, pipeline, step, key, signing)}"


def files_signature_problem(
    signature: str | None,
    files: Mapping[str, WrittenFiles],
    *,
    pipeline: str,
    step: str,
    key: str,
) -> str | None:
    """Why `signature` does not vouch for a manifest's list of written files here (restored
    from it, a file could be a pickle the next step loads), or None when it does."""
    return _problem(signature, lambda signing: _files_mac(files, pipeline, step, key, signing))


def files_signature_for(manifest: Manifest, key: str) -> str | None:
    """The signature of `manifest`'s list of written files counted for another cache `key`
    (`pipeflow accept`): made anew when its own signature is valid here, else none."""
    if not manifest.files:
        return None
    pipeline, step = manifest.pipeline, manifest.step
    signature, files = manifest.files_signature, manifest.files
    if files_signature_problem(signature, files, pipeline=pipeline, step=step, key=manifest.key):
        return None
    return sign_files(files, pipeline=pipeline, step=step, key=key)


def _problem(signature: str | None, mac_with: Callable[[SigningKey], str]) -> str | None:
    if not signature:
        return "it is not signed"
    scheme, _, rest = signature.partition(":")
    key_id, _, mac = rest.partition(":")
    if scheme != SCHEME or not key_id or not mac:
        return "its signature is malformed"
    try:
        key = signing_key(create=False)
    except StorageError as error:
        return str(error)
    if key is None:
        return (
            f"there is no signing key on this machine ({KEY_ENV} is not set and "
            f"{key_path()} does not exist)"
        )
    if not hmac.compare_digest(mac, mac_with(key)):
        if key_id != key.id:
            return (
                f"it was signed with another key (id {key_id}; this machine's key, from "
                f"{key.origin}, has id {key.id})"
            )
        return "its signature does not match it"
    return None


def _mac(record: PartRecord, key: SigningKey) -> str:
    # A relative store path has no control characters (`paths.relative_path`), nor does a
    # format name: newlines separate the fields unambiguously.
    message = "\n".join(
        (_MESSAGE_VERSION, record.path, record.format, str(record.size), record.checksum)
    )
    return hmac.new(key.secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def _files_mac(
    files: Mapping[str, WrittenFiles], pipeline: str, step: str, key: str, signing: SigningKey
) -> str:
    # JSON (ASCII, keys sorted) separates any names unambiguously, newlines and all.
    document = [_FILES_MESSAGE_VERSION, pipeline, step, key, files_document(files)]
    message = json.dumps(document, sort_keys=True, ensure_ascii=True, allow_nan=False)
    return hmac.new(signing.secret, message.encode("ascii"), hashlib.sha256).hexdigest()


def _key(secret: bytes, origin: str) -> SigningKey:
    key_id = hashlib.sha256(b"pipeflow key id\0" + secret).hexdigest()[:12]
    return SigningKey(secret, key_id, origin)


# -- the key file ------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int, int], bytes]] = {}  # path -> (stat, key) last read


def _read_key_file(path: Path) -> bytes | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StorageError(f"cannot read the signing key file {path}: {error}") from error
    _check_private(path, info)
    fingerprint = (info.st_ino, info.st_size, info.st_mtime_ns)
    with _cache_lock:
        cached = _cache.get(str(path))
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
    try:
        secret = path.read_bytes().strip()
    except OSError as error:
        raise StorageError(f"cannot read the signing key file {path}: {error}") from error
    if len(secret) < MIN_KEY_LENGTH:
        raise StorageError(
            f"the signing key file {path} holds no usable key ({len(secret)} bytes; at least "
            f"{MIN_KEY_LENGTH} are needed). Delete it, and pipeflow makes a new one (stored "
            "pickles signed with the old one are then rebuilt), or set "
            f"{KEY_ENV}."
        )
    with _cache_lock:
        _cache[str(path)] = (fingerprint, secret)
    return secret


def _check_private(path: Path, info: os.stat_result) -> None:
    if os.name != "posix":
        return
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StorageError(
            f"the signing key file {path} can be read or written by other users (mode "
            f"{stat.S_IMODE(info.st_mode):04o}): anyone who can read it can sign pickles that "
            f"this machine will load. Run `chmod 600 {path}`."
        )
    if info.st_uid != os.getuid():
        raise StorageError(
            f"the signing key file {path} belongs to another user (uid {info.st_uid}): "
            f"pipeflow uses only a key file of its own user. Remove it, or set {KEY_ENV}."
        )


def _create_key_file(path: Path) -> bytes:
    """Make a new random key at `path`, unless another process just did: then use theirs."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f"{KEY_FILE}.tmp-{uuid.uuid4().hex}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            try:
                # A hard link never replaces a file: of two processes creating the key at
                # once, one wins and both use its key.
                os.link(temporary, path)
            except FileExistsError:
                pass
            except OSError:
                _create_without_links(path, temporary)
        finally:
            os.unlink(temporary)
    except OSError as error:
        raise StorageError(
            f"cannot create the signing key file {path}: {error}. Set {KEY_ENV} instead, or "
            "make XDG_CONFIG_HOME point at a folder this user can write."
        ) from error
    secret = _read_key_file(path)
    assert secret is not None
    return secret


def _create_without_links(path: Path, temporary: Path) -> None:
    """Where hard links are not supported: create `path` exclusively and copy the key in."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(temporary.read_bytes())

"""What went wrong with a store, told apart by exception class names, and said as StorageError.

Nothing here imports a client library: botocore, aiohttp and google-auth errors are recognised
by the names of their classes (and of the exceptions they came from), so a store that never
talks to S3 never imports boto. Every message names the store (with any password in its URL
replaced) and says what to do.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from pipeflow.errors import StorageError

S3 = frozenset({"s3", "s3a"})
GCS = frozenset({"gs", "gcs"})
BUCKETED = S3 | GCS  # object stores whose root starts with a bucket
# Stores where an object appears only when its upload completes (S3's multipart or single
# upload, GCS's resumable or simple one, an Azure block blob's commit): never partial.
ATOMIC_UPLOADS = BUCKETED | frozenset({"az", "abfs", "abfss"})

# Exception classes, by name so that no client library is imported here, that mean: the
# endpoint cannot be reached; the object was replaced while being read; no credentials.
_UNREACHABLE = frozenset(
    {
        "EndpointConnectionError",  # botocore
        "ConnectTimeoutError",  # botocore
        "ProxyConnectionError",  # botocore
        "ClientConnectorError",  # aiohttp, and its DNS and certificate variants
        "ConnectionTimeoutError",  # aiohttp
        "ConnectionRefusedError",
        "gaierror",  # name resolution
    }
)
_REPLACED = frozenset({"FileExpired"})  # s3fs: the object changed between two reads of a file
_NO_CREDENTIALS = frozenset(
    {
        "NoCredentialsError",  # botocore
        "PartialCredentialsError",  # botocore
        "CredentialRetrievalError",  # botocore
        "DefaultCredentialsError",  # google-auth
    }
)


def redact(url: str) -> str:
    """`url` with any password replaced, so that messages never show credentials."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it came from (its cause or context), each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def kind(error: BaseException) -> str | None:
    """What went wrong, when `error` or what caused it says: "unreachable", "credentials",
    "replaced" or "denied"; else None. Goes by class names, so no client library is imported."""
    for cause in causes(error):
        names = {klass.__name__ for klass in type(cause).__mro__}
        if names & _UNREACHABLE:
            return "unreachable"
        if names & _NO_CREDENTIALS:
            return "credentials"
        if names & _REPLACED:
            return "replaced"
        if isinstance(cause, PermissionError) or getattr(cause, "code", None) in (401, 403):
            return "denied"
        if isinstance(cause, OSError) and str(cause).startswith("Forbidden"):  # gcsfs's 403
            return "denied"
    return None


# A local disk that takes no more (full, or over the user's quota), and one mounted read-only.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_READ_ONLY = frozenset({errno.EROFS})


def local_failure(what: str, error: OSError) -> StorageError:
    """A local write that failed, said with what to do when the disk is full or read-only,
    or when a file stands where a folder is needed."""
    if error.errno in _FULL:
        return StorageError(
            f"cannot {what}: the disk is full ({error.strerror}). Free some space on it "
            "(`pipeflow gc` deletes the stored results nothing needs any more), or point "
            "`results.root` (or `--results`) at a folder on a disk with room."
        )
    if error.errno in _READ_ONLY:
        return StorageError(
            f"cannot {what}: the disk is mounted read-only ({error.strerror}). Point "
            "`results.root` (or `--results`) at a folder that can be written; a read-only "
            "store can still be checked with `pipeflow status` and `run --frozen`."
        )
    if error.errno == errno.ENOTDIR and error.filename:
        blocking = _file_in_the_way(os.fsdecode(error.filename))
        if blocking is not None:
            return StorageError(
                f"cannot {what}: {blocking} is a file, where a folder is needed. Move or "
                "delete that file, or choose another target or `results.root`."
            )
    return StorageError(f"cannot {what}: {error}")


def _file_in_the_way(path: str) -> str | None:
    """The file among the folders above `path` that stops it from being made, if one does."""
    folder = os.path.dirname(path)
    while folder and folder != os.path.dirname(folder):
        if os.path.lexists(folder):
            return None if os.path.isdir(folder) else folder
        folder = os.path.dirname(folder)
    return None


def unreachable(url: str, endpoint: str, what: str, error: BaseException) -> StorageError:
    return StorageError(
        f"cannot {what}: the results store {redact(url)} cannot be reached at {endpoint} "
        f"({type(error).__name__}: {error}). Check the endpoint (`endpoint_url` in "
        "`results.storage_options`), that the service is up, and that this machine can reach it."
    )


def no_credentials(url: str, protocol: str, what: str, error: BaseException) -> StorageError:
    if protocol in S3:
        how = (
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the "
            "environment, or `key` and `secret` in `results.storage_options`; for a public "
            "bucket, set `anon: true` there"
        )
    elif protocol in GCS:
        how = (
            "set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default "
            "login`, or set `token` in `results.storage_options` (`anon` for a public bucket)"
        )
    else:
        how = "set them in `results.storage_options`"
    return StorageError(
        f"cannot {what}: no credentials were found for the results store {redact(url)} "
        f"({type(error).__name__}: {error}). To give some, {how}."
    )


def missing_bucket(
    url: str, protocol: str, endpoint: str, *, what: str, bucket: str
) -> StorageError:
    create = (
        f"`aws s3 mb s3://{bucket}`"
        if protocol in S3
        else f"`gcloud storage buckets create gs://{bucket}`"
    )
    return StorageError(
        f"cannot {what}: the bucket {bucket!r} of the results store {redact(url)} does not "
        f"exist (at {endpoint}). Create it ({create}) or fix `results.root`."
    )


def replaced(what: str) -> StorageError:
    return StorageError(
        f"cannot {what}: it was replaced again and again while it was being read: another run "
        "is writing it. Try again once that run has finished."
    )


def missing(what: str) -> StorageError:
    return StorageError(
        f"cannot {what}: it does not exist. A result whose payload is gone must be rebuilt: "
        "re-run the step."
    )


def denied(url: str, protocol: str, *, action: str, where: str, error: Exception) -> StorageError:
    advice = (
        " (for S3: s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the bucket)"
        if protocol in S3
        else ""
    )
    return StorageError(
        f"cannot {action} {where}: access denied ({error}). The results store {redact(url)} "
        f"refused the credentials in use, or they may not {action} there: check the "
        f"credentials, and that their permissions allow it{advice}."
    )


def other(what: str, error: Exception) -> StorageError:
    if isinstance(error, OSError) and error.errno in _FULL | _READ_ONLY | {errno.ENOTDIR}:
        return local_failure(what, error)
    return StorageError(
        f"cannot {what}: {type(error).__name__}: {error}. Check that the results store is "
        "reachable and its storage options are right."
    )


def spool_failed(where: str, error: OSError) -> StorageError:
    """The local spool of an upload could not be written: its disk is full or unwritable."""
    return StorageError(
        f"cannot prepare {where} for upload: {error}. Check the space in the temporary folder "
        f"({tempfile.gettempdir()})."
    )

"""Whether fsspec answers to the protocols a store URL names, decided before any step runs.

A typo in a results root (`s3x://`, `gz://`) would otherwise pass `validate` and fail the run.
The protocols most roots use are known here without importing fsspec (`validate` stays
quick); any other is looked up in fsspec's registry, which lists every implementation it
knows, installed or not (a run of a known one that is not installed says what to install).
"""

from __future__ import annotations

import difflib

# Protocols fsspec knows, that a results root commonly uses: no import needed to accept them.
COMMON = frozenset(
    {
        "file",
        "local",
        "memory",
        "s3",
        "s3a",
        "gs",
        "gcs",
        "az",
        "abfs",
        "abfss",
        "adl",
        "hdfs",
        "webhdfs",
        "sftp",
        "ssh",
        "ftp",
        "http",
        "https",
        "simplecache",
        "filecache",
        "blockcache",
        "oci",
        "oss",
    }
)


def protocol_problem(url: str) -> str | None:
    """Why fsspec cannot open the store at `url` by its protocols (None when it can)."""
    if "://" not in url:
        return None
    parts = url.split("::")
    for index, part in enumerate(parts):
        if "://" in part:
            protocol = part.partition("://")[0].lower()
        elif index < len(parts) - 1:
            protocol = part.lower()  # a chain's layer named alone: `simplecache::s3://...`
        else:
            continue  # a chain ending in a local path
        if not protocol or protocol in COMMON:
            continue
        known = _known()
        if protocol in known:
            continue
        close = difflib.get_close_matches(protocol, sorted(COMMON | known), n=1, cutoff=0.5)
        meant = f"; did you mean `{close[0]}`?" if close else ""
        return (
            f"no storage implementation answers to the protocol `{protocol}` of {url}{meant} "
            "(fsspec's protocols: s3, gs, az, file, memory, ...)"
        )
    return None


def _known() -> frozenset[str]:
    from fsspec.registry import known_implementations, registry

    return frozenset(known_implementations) | frozenset(registry)

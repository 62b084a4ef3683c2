"""What `pipeflow.read` may never read by `path`: secrets of the machine it runs on.

A config alone names the path, and what is read is stored (maybe in a shared bucket), so a
path may not be pipeflow's signing key or its folder, the history database of
`$PIPEFLOW_HOME`, anything under `/proc`, `/sys` or `/dev` (`/proc/self/environ` holds the
environment's secrets), nor an http(s) URL whose host is, or resolves to, an address that is
not global (loopback, link-local such as the cloud metadata service at 169.254.169.254,
private networks). Local paths are judged where they lead (symbolic links followed); a chained
fsspec URL (`simplecache::http://...`) by each of its parts. What is checked here is the URL as
given; `web_guard` checks each connection as it is made (a redirect, a name looked up again).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from urllib.parse import urlsplit

from pipeflow.errors import StorageError

SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")
LOCAL_SCHEMES = ("file", "local")
WEB_SCHEMES = ("http", "https")
CHAIN = re.compile(r"::(?![^\[]*\])")  # fsspec's `a::b` chain, not an IPv6 `[::1]`
HINT = (
    "pipeflow.read stores what it reads: copy the data you need into the project, or read "
    "it from a step of your own"
)


def read_problem(path: str, *, base: str | None = None, resolve: bool = True) -> str | None:
    """Why `path` may not be read (None when it may). `base`: the folder a relative path is
    relative to (the current one when None); `resolve`: look a URL's host name up."""
    for part in CHAIN.split(path):
        problem = _part_problem(part, base, resolve)
        if problem is not None:
            return problem
    return None


def check_read(path: str) -> None:
    """Raise StorageError when `path` may not be read (at run, host names looked up)."""
    problem = read_problem(path)
    if problem is not None:
        raise StorageError(f"pipeflow.read: refusing to read {path}: {problem}. {HINT}")


def _part_problem(part: str, base: str | None, resolve: bool) -> str | None:
    scheme, _, rest = part.partition("://")
    if not rest or "/" in scheme or len(scheme) < 2:  # a plain path (or C:\...)
        return _local_problem(part, base)
    scheme = scheme.lower()
    if scheme not in LOCAL_SCHEMES + WEB_SCHEMES:
        return None
    try:
        url = urlsplit(part)
        host = url.hostname or ""
    except ValueError:
        return "it is not a URL pipeflow can tell the host of"
    if scheme in LOCAL_SCHEMES:
        return _local_problem(url.path or rest, base)
    return host_problem(host, resolve)


def _local_problem(path: str, base: str | None) -> str | None:
    full = os.path.join(base, os.path.expanduser(path)) if base else os.path.expanduser(path)
    real = os.path.realpath(full)
    for folder in SYSTEM_FOLDERS:
        if _inside(real, folder):
            return f"it is under {folder}, which holds the machine's and processes' secrets"
    for place, what in _pipeflow_secrets():
        if _inside(real, place):
            return f"it is pipeflow's {what}"
    return None


def _pipeflow_secrets() -> list[tuple[str, str]]:
    from pipeflow.storage.boundaries import HISTORY_NAME, HOME_ENV
    from pipeflow.storage.signing import key_path

    found: list[tuple[str, str]] = []
    try:
        folder = os.path.realpath(key_path().parent)
        found.append((folder, f"signing key folder ({folder})"))
    except StorageError:
        pass  # no home folder: no key file to protect
    home = os.environ.get(HOME_ENV)
    if home:
        history = os.path.realpath(os.path.join(os.path.expanduser(home), HISTORY_NAME))
        for suffix in ("", "-wal", "-shm", "-journal"):
            found.append((history + suffix, f"history database ({history})"))
    return found


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def host_problem(host: str, resolve: bool) -> str | None:
    """Why a URL with this host may not be read (None when it may); `resolve`: look a name
    up (else only an address, or this machine's names, are judged)."""
    if not host:
        return "the URL has no host"
    try:
        addresses = [ipaddress.ip_address(host.strip("[]").split("%")[0])]
    except ValueError:
        if not resolve:
            return _named_problem(host)
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return _named_problem(host)  # nothing to connect to: fsspec says so
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        problem = address_problem(host, str(address))
        if problem is not None:
            return problem
    return None


def address_problem(host: str, address: str) -> str | None:
    """Why `host`, found at `address`, may not be connected to (None when it may)."""
    ip = ipaddress.ip_address(address.strip("[]").split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if (mapped or ip).is_global:
        return None
    at = "" if host.strip("[]") == str(ip) else f" (at {ip})"
    return (
        f"its host {host}{at} is not a public address (a loopback, "
        "link-local or private network may serve the machine's credentials)"
    )


def _named_problem(host: str) -> str | None:
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return f"its host {host} is this machine"
    return None

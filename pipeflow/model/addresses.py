"""What a Dask scheduler's address looks like: `[PROTOCOL://]HOST:PORT`, as `distributed` reads
it (`tcp://scheduler:8786`, `scheduler:8786`, `tls://10.0.0.1:8786`, `tcp://[::1]:8786`).

Checked before anything runs (`executor.address` by validation, `--address` and
`run(address=...)` with the run's options), so that a typo is a mistake of the config or of
the command line (exit 2) rather than a run that fails to connect, or a traceback."""

from __future__ import annotations

# The protocols `distributed` speaks (its `distributed.comm` backends); `inproc` addresses
# are a process's own, of another form.
PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx", "ucxx")
IN_PROCESS = "inproc"
EXAMPLE = "tcp://scheduler:8786"  # 8786: the port `dask scheduler` listens on by default


def address_problem(address: str) -> str | None:
    """Why `address` cannot name a Dask scheduler, or None."""
    protocol, separator, place = address.partition("://")
    if not separator:
        protocol, place = "tcp", address
    if protocol == IN_PROCESS:
        return None
    if protocol not in PROTOCOLS:
        known = ", ".join(f"`{name}://`" for name in PROTOCOLS)
        return f"`{protocol}://` is no protocol Dask speaks ({known})"
    host, colon, port = place.rpartition(":")
    if host.startswith("[") != host.endswith("]") or place.count("[") != place.count("]"):
        return "its IPv6 host's brackets do not match (write `tcp://[::1]:8786`)"
    if not colon or not port:
        return "it has no port (a scheduler listens on 8786 unless told otherwise)"
    if not host:
        return "it has no host"
    if not port.isdigit() or not 0 < int(port) < 65536:
        return f"`{port}` is no port number (1 to 65535)"
    return None

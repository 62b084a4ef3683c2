"""`pipeflow.read` over http(s): every connection, not only the URL given, goes to a public
address.

`read_guard` judges the URL before anything is read, but the host is looked up again when
fsspec connects, and a server may redirect anywhere: a name that resolves to a public address
when checked and to 169.254.169.254 a moment later (DNS rebinding), or a public page that
answers `302 Location: http://169.254.169.254/...`, would reach the cloud metadata service
all the same. So the HTTP session fsspec reads through is ours: each request's host, the
first and every redirect's, is checked as a URL is (`request_problem`), and the names it
connects to are resolved by a resolver that refuses any address that is not global.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from pipeflow.storage.read_guard import CHAIN, WEB_SCHEMES, address_problem, host_problem


class RefusedAddress(OSError):
    """A connection `pipeflow.read` may not make (its message says why)."""


def refusal_in(error: BaseException) -> RefusedAddress | None:
    """The refusal that caused `error` (fsspec and aiohttp wrap it), if one did."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, RefusedAddress):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def guarded_options(path: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """`options` for `fsspec.open(path, ...)`, with each http(s) layer of `path` (`a::b`
    chains included) reading through a guarded session."""
    guarded = dict(options)
    for part in CHAIN.split(path):
        protocol = part.partition("://")[0].lower()
        if protocol in WEB_SCHEMES:
            layer = dict(guarded.get(protocol) or {})
            layer["get_client"] = guarded_client
            guarded[protocol] = layer
    return guarded


async def guarded_client(**kwargs: Any) -> aiohttp.ClientSession:
    """An aiohttp session (fsspec's `get_client`) that connects to public addresses only."""

    async def on_request_start(
        session: Any, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        problem = host_problem(params.url.host or "", resolve=False)
        if problem is not None:
            raise RefusedAddress(f"refusing to connect to {params.url}: {problem}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    connector = aiohttp.TCPConnector(resolver=_PublicResolver())
    return aiohttp.ClientSession(connector=connector, trace_configs=[trace], **kwargs)


class _PublicResolver(AbstractResolver):
    """aiohttp's threaded resolver, refusing a name with any address that is not global."""

    def __init__(self) -> None:
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        for entry in found:
            problem = address_problem(host, str(entry["host"]))
            if problem is not None:
                raise RefusedAddress(f"refusing to connect to {host}: {problem}")
        return found

    async def close(self) -> None:
        await self._resolver.close()

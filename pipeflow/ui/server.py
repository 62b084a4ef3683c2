"""Serving the UI with uvicorn until SIGTERM or Ctrl-C."""

from __future__ import annotations

import ipaddress
import socket

import uvicorn

from pipeflow.ui.app import Settings, create_app


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; a name is looked up."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def serve(settings: Settings, *, host: str, port: int, announce: object = print) -> None:
    """Serve until stopped; uvicorn turns SIGTERM and SIGINT into a clean shutdown."""
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    if callable(announce):
        original = server.startup

        async def startup(sockets: list[socket.socket] | None = None) -> None:
            await original(sockets)
            if server.started:
                bound = port
                for listener in server.servers:
                    for sock in listener.sockets:
                        bound = sock.getsockname()[1]
                shown = f"[{host}]" if ":" in host else host
                url = f"http://{shown}:{bound}/"
                if settings.token:
                    url += f"?token={settings.token}"
                announce(f"pipeflow ui: serving on {url} (stop with Ctrl-C)")

        server.startup = startup  # type: ignore[method-assign]
    server.run()

"""Serving the UI with uvicorn until SIGTERM or Ctrl-C, which stop it cleanly (exit 0)."""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from pipeflow.errors import UsageError
from pipeflow.ui.app import Settings, create_app


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; another name is looked up."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


class _Server(uvicorn.Server):
    """uvicorn's server, saying where it listens, and ending with exit 0 on a signal.

    uvicorn re-raises the signal it caught once it has shut down (so the process dies of
    it); `pipeflow ui`, like `pipeflow serve`, treats SIGTERM and SIGINT as a normal stop.
    """

    def __init__(self, config: uvicorn.Config, announce: Callable[[int], None]) -> None:
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            ports = [s.getsockname()[1] for server in self.servers for s in server.sockets]
            self.announce(ports[0] if ports else self.config.port)

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, frame: object) -> None:
            del signum, frame
            if self.should_exit:
                self.force_exit = True  # a second Ctrl-C: do not wait for open connections
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(settings: Settings, *, host: str, port: int, echo: Callable[[str], None]) -> None:
    """Serve until stopped; prints the address (with the token, when there is one)."""

    def announce(bound: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound}/"
        if settings.token:
            url += f"?token={settings.token}"
        echo(f"pipeflow ui: serving on {url} (stop with Ctrl-C)")

    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    listening = _listen(host, port)  # before uvicorn, which would exit 3 with its own words
    try:
        _Server(config, announce).run(sockets=[listening])
    finally:
        listening.close()


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`; UsageError, saying why, when there can be none."""
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM
        )[0]
    except (OSError, IndexError) as error:
        raise UsageError(
            f"cannot listen on {shown}: no address found for `{host}` ({error})",
            hint="give --host an address or name of this machine (default 127.0.0.1)",
        ) from None
    try:
        return socket.create_server(address, family=family)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UsageError(
                f"cannot listen on {shown}: the port is in use (another `pipeflow ui`?)",
                hint="choose another with --port N, or --port 0 for any free one",
            ) from None
        raise UsageError(
            f"cannot listen on {shown}: {error.strerror or error}",
            hint="give --host an address of this machine, and --port one you may use "
            "(ports below 1024 need root)",
        ) from None

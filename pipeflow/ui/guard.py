"""Who may use the UI: the token, the Host header, and the origin of requests that change things.

- Token: when the server has one, every request needs it: `Authorization: Bearer T`, an
  `X-Pipeflow-Token` header, or the cookie set when a browser opens `/?token=T` once.
- Host: bound to a loopback address without a token, only loopback host names are served,
  so a web page cannot reach the UI through a DNS name of its own (DNS rebinding).
- Unsafe methods (POST): the `Origin` header, else the `Referer`, must be the server's own
  origin, and the form must carry the server's CSRF token. A page on another site can neither
  pass the origin check nor read the token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

TOKEN_COOKIE = "pipeflow_token"
TOKEN_HEADER = "x-pipeflow-token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Refuse = Callable[[Request, int, str], Awaitable[Response]]
CallNext = Callable[[Request], Awaitable[Response]]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class Guard:
    """The checks every request goes through before its page (see the module docstring)."""

    def __init__(self, *, token: str | None, loopback_only: bool, csrf: str, refuse: Refuse):
        self.token = token
        self.loopback_only = loopback_only
        self.csrf = csrf
        self.refuse = refuse

    async def __call__(self, request: Request, call_next: CallNext) -> Response:
        if self.loopback_only and _host_name(request) not in LOOPBACK_NAMES:
            return await self.refuse(
                request, 400, "This pipeflow UI answers to 127.0.0.1 and localhost only."
            )
        if self.token is not None:
            if same(request.query_params.get("token"), self.token):
                # Remember the token in a cookie and take it out of the address bar.
                target = request.url.remove_query_params("token")
                response = RedirectResponse(
                    target.path + (f"?{target.query}" if target.query else "")
                )
                response.set_cookie(
                    TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/"
                )
                return response
            if not self.has_token(request):
                return await self.refuse(
                    request,
                    401,
                    "This pipeflow UI needs its token: open the address `pipeflow ui` printed "
                    "(it ends in ?token=...), or send the header `Authorization: Bearer TOKEN`.",
                )
        if request.method not in SAFE_METHODS:
            problem = self.cross_origin(request)
            if problem:
                return await self.refuse(request, 403, problem)
        return await call_next(request)

    def has_token(self, request: Request) -> bool:
        assert self.token is not None
        bearer = request.headers.get("authorization", "")
        scheme, _, value = bearer.partition(" ")
        return (
            (scheme.lower() == "bearer" and same(value.strip(), self.token))
            or same(request.headers.get(TOKEN_HEADER), self.token)
            or same(request.cookies.get(TOKEN_COOKIE), self.token)
        )

    def cross_origin(self, request: Request) -> str | None:
        """Why this request that changes something is refused, or None."""
        own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        origin = request.headers.get("origin")
        if origin is not None:
            if origin.lower().rstrip("/") != own:
                return f"Refused: a request from another origin ({origin}) cannot start runs."
        else:
            referer = request.headers.get("referer")
            if referer is not None:
                parts = urlsplit(referer)
                if f"{parts.scheme}://{parts.netloc}".lower() != own:
                    return "Refused: a request from another page cannot start runs."
        return None

    def check_form(self, submitted: str | None) -> bool:
        return same(submitted, self.csrf)


def _host_name(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):  # [::1]:8080
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host

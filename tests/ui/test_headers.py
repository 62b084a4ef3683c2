"""Every response of the UI forbids framing by other sites (click-jacking the Run form) and
carries a Content-Security-Policy: pages, error pages, refusals, static files and JSON alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response

from tests.ui.conftest import ClientFactory

RUN = "20260301-130000-bbbbbb"


def assert_unframeable(response: Response | object, what: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers.get("x-frame-options") == "DENY", what
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, what
    assert "default-src 'self'" in policy, what
    assert headers.get("x-content-type-options") == "nosniff", what


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", None),
        ("/runs", 200),
        ("/runs?state=nonsense", 400),
        (f"/runs/{RUN}", 200),
        (f"/runs/{RUN}/logs", 200),
        (f"/api/runs/{RUN}", 200),
        (f"/api/runs/{RUN}/logs", 200),
        ("/runs/19990101-000000-000000", 404),
        ("/api/runs/19990101-000000-000000", 404),
        ("/pipelines", 200),
        ("/pipelines/breaks", 200),
        ("/pipelines/breaks/run", 200),
        ("/pipelines/nothing-here", 404),
        ("/no/such/page", 404),
        ("/static/ui.css", 200),
        ("/static/ui.js", 200),
        ("/static/missing.css", 404),
    ],
)
def test_every_route_forbids_framing(
    make_client: ClientFactory, recorded: Path, failing_project: Path, path: str, status: int
) -> None:
    client = make_client({"breaks": failing_project}, home=recorded)
    response = client.get(path, follow_redirects=False)
    if status is not None:
        assert response.status_code == status, (path, response.text[:200])
    assert_unframeable(response, path)


def test_refusals_and_posts_forbid_framing(
    make_client: ClientFactory, recorded: Path, failing_project: Path
) -> None:
    client = make_client({"breaks": failing_project}, home=recorded)
    foreign = client.post(
        "/pipelines/breaks/run", data={}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    assert_unframeable(foreign, "a refused post")
    rebound = client.get("/runs", headers={"Host": "attacker.example:8080"})
    assert rebound.status_code == 400
    assert_unframeable(rebound, "a refused host")
    guarded = make_client(home=recorded, token="s3cret", loopback_only=False)
    refused = guarded.get("/runs")
    assert refused.status_code == 401
    assert_unframeable(refused, "a missing token")
    redirect = guarded.get("/runs?token=s3cret", follow_redirects=False)
    assert redirect.status_code == 307
    assert_unframeable(redirect, "the token's redirect")


def test_an_unexpected_error_page_forbids_framing(
    make_client: ClientFactory, recorded: Path
) -> None:
    client = make_client(home=recorded)

    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    client.app.add_route("/broken", broken)  # type: ignore[attr-defined]
    response = client.get("/broken")
    assert response.status_code == 500
    assert_unframeable(response, "a 500 page")

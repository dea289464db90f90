"""HTTP clients that reach a testing module on the module's own event loop.

A module from `compile()` lives on a loop in a background thread (an anyio blocking
portal), as under uvicorn: startup hooks, every request and shutdown hooks run there.
Its `TestClient` is handed that portal instead of starting a loop of its own, and its
`async_client()` forwards each request to that loop. A module from
`compile_async()` lives on the test's own loop and is served there directly.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import anyio.to_thread
import httpx2
from anyio.from_thread import BlockingPortal
from starlette.types import ASGIApp

if TYPE_CHECKING:
    from starlette.testclient import TestClient


def sync_client(app: ASGIApp, portal: BlockingPortal) -> TestClient:
    """A starlette `TestClient` that runs `app` on `portal`'s loop."""
    # Imported here: starlette.testclient warns at import when it has to fall back to
    # httpx, and nothing should warn before a client is asked for.
    from starlette.testclient import TestClient

    client = TestClient(app)
    # TestClient uses `portal` when it is set (its own __enter__ sets it); the lifespan
    # is already running on that loop, entered by the testing module.
    client.portal = portal
    return client


# What starlette's TestClient presents as the peer: with the same address from either
# client, PyNest's Ip() decorator and IP-keyed guards see one value in every test.
CLIENT_ADDRESS = ("testclient", 50000)


def asgi_transport(app: ASGIApp) -> httpx2.ASGITransport:
    """httpx2's ASGI transport, presenting the TestClient's client address."""
    return httpx2.ASGITransport(app=app, client=CLIENT_ADDRESS)


class PortalTransport(httpx2.AsyncBaseTransport):
    """Sends requests from any event loop to an ASGI app living on `portal`'s loop."""

    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self._asgi = asgi_transport(app)
        self._portal = portal

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()  # the body crosses loops as bytes
        # ASGITransport buffers the whole response, so nothing loop-bound comes back.
        return await anyio.to_thread.run_sync(
            partial(self._portal.call, self._asgi.handle_async_request, request)
        )


def async_client(transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncClient:
    """An `httpx2.AsyncClient` over `transport`, addressed and redirected like the
    TestClient, so a test reads the same with either client."""
    return httpx2.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"user-agent": "testclient"},
        follow_redirects=True,
    )

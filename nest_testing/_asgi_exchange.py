"""One HTTP exchange with an ASGI app, its response collected whole, as httpx2's
`ASGITransport` does it, for a request whose body is already read.

The async client of a `compile()` module runs each exchange as one task on the module's
loop. `ASGITransport` would iterate the request body with an async generator that is
left open after the request and finalised later, which schedules one more task and
wakes the module's loop once more per request; here the body is bytes, and the event a
late `receive()` waits on is made only when an app listens for the disconnect.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import httpx2
from starlette.types import ASGIApp


class _Exchange:
    """The `receive` and `send` of one request; what the app sent, collected."""

    __slots__ = ("body", "complete", "headers", "parts", "request", "status", "waiting")

    def __init__(self, request: httpx2.Request) -> None:
        self.request = request
        self.body: bytes | None = request.content  # None once the app has received it
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.parts: list[bytes] = []
        self.complete = False
        self.waiting: asyncio.Event | None = None  # made when the app listens for disconnect

    async def receive(self) -> dict[str, Any]:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        if not self.complete:
            if self.waiting is None:
                self.waiting = asyncio.Event()
            await self.waiting.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert self.status is None
            self.status = message["status"]
            self.headers = message.get("headers", [])
        elif message["type"] == "http.response.body":
            assert not self.complete
            body = message.get("body", b"")
            if body and self.request.method != "HEAD":
                self.parts.append(body)
            if not message.get("more_body", False):
                self._finish()

    def _finish(self) -> None:
        self.complete = True
        if self.waiting is not None:
            self.waiting.set()


async def exchange(
    app: ASGIApp,
    request: httpx2.Request,
    client: tuple[str, int],
    raise_app_exceptions: bool,
) -> httpx2.Response:
    """Serve `request` (its body read) with `app` on the running loop; without
    `raise_app_exceptions`, an unhandled exception is a 500 response."""
    url = request.url
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(key.lower(), value) for key, value in request.headers.raw],
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "server": (url.host, url.port),
        "client": client,
        "root_path": "",
    }
    state = _Exchange(request)
    try:
        await app(scope, state.receive, state.send)
    except Exception:
        if raise_app_exceptions:
            raise
        state._finish()
        if state.status is None:
            state.status = 500
        if state.headers is None:
            state.headers = []
    assert state.complete
    assert state.status is not None
    # A stream, not `content=`: the response keeps exactly the headers the app sent.
    return httpx2.Response(
        state.status, headers=state.headers, stream=httpx2.ByteStream(b"".join(state.parts))
    )

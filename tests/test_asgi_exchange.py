"""The exchange the async client of a `compile()` module runs on the module's loop
answers as httpx2's ASGITransport does: status, headers as sent, body, HEAD, a late
receive() (a streaming response listening for the disconnect), app errors."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from nt_sample_app import AppModule

from nest_testing import Test
from nest_testing._asgi_exchange import _Exchange, exchange
from nest_testing._clients import CLIENT_ADDRESS


class Boom(Exception):
    pass


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        return {
            "body": (await request.body()).decode(),
            "query": request.url.query,
            "path": request.url.path,
            "client": list(request.client or ()),
            "agent": request.headers.get("user-agent"),
        }

    @app.api_route("/text", methods=["GET", "HEAD"])
    def text() -> PlainTextResponse:
        return PlainTextResponse("hello", headers={"x-extra": "1"})

    @app.get("/stream")
    def stream() -> StreamingResponse:  # listens for the disconnect while it streams
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in (b"a", b"b", b"c"):
                yield chunk

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/boom")
    def boom() -> None:
        raise Boom("kaboom")

    return app


async def _both(
    method: str, url: str, raise_app_exceptions: bool = True, **kwargs: Any
) -> tuple[httpx2.Response, httpx2.Response]:
    app = _app()
    request = httpx2.Request(method, "http://testserver" + url, **kwargs)
    await request.aread()
    ours = await exchange(app, request, CLIENT_ADDRESS, raise_app_exceptions)
    transport = httpx2.ASGITransport(
        app=app, client=CLIENT_ADDRESS, raise_app_exceptions=raise_app_exceptions
    )
    theirs = await transport.handle_async_request(request)
    await ours.aread()
    await theirs.aread()
    return ours, theirs


def _same(ours: httpx2.Response, theirs: httpx2.Response) -> None:
    assert ours.status_code == theirs.status_code
    assert ours.headers.multi_items() == theirs.headers.multi_items()
    assert ours.content == theirs.content


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("POST", "/echo?a=1&b=2", {"content": b"payload", "headers": {"user-agent": "t"}}),
        ("GET", "/text", {}),
        ("HEAD", "/text", {}),
        ("GET", "/stream", {}),
        ("GET", "/missing", {}),
    ],
)
async def test_the_exchange_answers_as_asgitransport(
    method: str, url: str, kwargs: dict[str, Any]
) -> None:
    ours, theirs = await _both(method, url, **kwargs)
    _same(ours, theirs)
    assert ours.status_code in (200, 404)


@pytest.mark.asyncio
async def test_the_exchange_echoes_the_request_as_sent() -> None:
    ours, _ = await _both("POST", "/echo?a=1", content=b"payload")
    assert ours.json() == {
        "body": "payload",
        "query": "a=1",
        "path": "/echo",
        "client": list(CLIENT_ADDRESS),
        "agent": None,
    }
    head, _ = await _both("HEAD", "/text")
    assert head.content == b""
    assert head.headers["content-length"] == "5"  # as the app sent it


@pytest.mark.asyncio
async def test_an_app_error_is_raised_or_answered_500() -> None:
    with pytest.raises(Boom, match="kaboom"):
        await _both("GET", "/boom")
    ours, theirs = await _both("GET", "/boom", raise_app_exceptions=False)
    _same(ours, theirs)
    assert ours.status_code == 500


def _routes(app: object) -> None:
    server = app.http_server  # type: ignore[attr-defined]
    for route in _app().router.routes:
        server.router.routes.append(route)


@pytest.mark.asyncio
async def test_the_async_client_of_a_compile_module_sends_bodies_and_streams() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).configure_app(_routes)
    module = builder.compile()
    try:
        async with module.async_client() as client:
            echoed = (await client.post("/echo?x=1", content=b"sent")).json()
            streamed = await client.get("/stream")
        async with module.async_client(raise_app_exceptions=False) as answering:
            failed = await answering.get("/boom")
    finally:
        await module.aclose()
    assert echoed["body"] == "sent"
    assert echoed["query"] == "x=1"
    assert echoed["agent"] == "testclient"
    assert streamed.text == "abc"
    assert failed.status_code == 500


async def _raises_at_once(scope: Any, receive: Any, send: Any) -> None:
    raise Boom("before any response")


async def _raises_mid_body(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"part", "more_body": True})
    raise Boom("in the middle")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("app", "status", "headers", "body"),
    [(_raises_at_once, 500, [], b""), (_raises_mid_body, 201, [("x-a", "1")], b"part")],
    ids=["at-once", "mid-body"],
)
async def test_a_bare_asgi_app_that_raises_is_answered_as_asgitransport_does(
    app: Any, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    # No ServerErrorMiddleware to send a 500 first: the exchange answers for the app.
    request = httpx2.Request("GET", "http://testserver/")
    ours = await exchange(app, request, CLIENT_ADDRESS, False)
    theirs = await httpx2.ASGITransport(
        app=app, client=CLIENT_ADDRESS, raise_app_exceptions=False
    ).handle_async_request(request)
    await ours.aread()
    await theirs.aread()
    _same(ours, theirs)
    assert (ours.status_code, ours.headers.multi_items(), ours.content) == (status, headers, body)


@pytest.mark.asyncio
async def test_a_late_receive_waits_until_the_response_is_complete() -> None:
    # As an app listening for the disconnect while it streams sees it: only at the end.
    state = _Exchange(httpx2.Request("GET", "http://testserver/"))
    assert (await state.receive())["type"] == "http.request"
    late = asyncio.ensure_future(state.receive())
    await asyncio.sleep(0)
    assert not late.done()
    await state.send({"type": "http.response.start", "status": 200})
    await state.send({"type": "http.response.body", "body": b"done"})
    assert await late == {"type": "http.disconnect"}

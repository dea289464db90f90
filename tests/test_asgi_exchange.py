"""The exchange the async client of a `compile()` module runs on the module's loop
answers as httpx2's ASGITransport does: status, headers as sent, body, HEAD, a late
receive() (a streaming response listening for the disconnect), app errors."""

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from nt_sample_app import AppModule

from nest_testing import Test
from nest_testing._asgi_exchange import exchange
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

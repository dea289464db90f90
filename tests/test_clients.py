"""Both client families reach a testing module: httpx2 (ours and starlette's) and httpx."""

import asyncio
import gc
import threading
import weakref
from concurrent.futures import Future

import anyio
import httpx
import httpx2
import pytest
from nest.core import Controller, Get, Module
from nt_sample_app import AppModule
from starlette.requests import Request
from starlette.testclient import TestClient

from nest_testing import Test, _clients
from nest_testing._clients import _ended_as_value, _EndingPortal, sync_client


def test_sync_client_is_a_started_starlette_testclient() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        client = module.client
        assert isinstance(client, TestClient)
        assert isinstance(client, httpx2.Client)  # starlette picked httpx2: no deprecation
        assert module.client is client
        response = client.get("/items/")  # redirected to /items, as TestClient does
        assert response.json() == ["apple", "pear"]
        assert response.request.headers["user-agent"] == "testclient"


@pytest.mark.asyncio
async def test_async_client_follows_redirects_like_the_testclient() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    async with await builder.compile_async() as module, module.async_client() as client:
        assert isinstance(client, httpx2.AsyncClient)
        response = await client.get("/items/")
        assert response.json() == ["apple", "pear"]
        assert response.request.headers["user-agent"] == "testclient"


@pytest.mark.asyncio
async def test_plain_httpx_reaches_an_async_module() -> None:
    async with await Test.create_testing_module(imports=[AppModule]).compile_async() as module:
        transport = httpx.ASGITransport(app=module.http_server)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/loop")
        assert response.json() == {"same_loop": True, "task_alive": True}


def _peer(app: object) -> None:
    async def peer(request: Request) -> dict[str, object]:
        assert request.client is not None
        return {"host": request.client.host, "port": request.client.port}

    app.http_server.add_api_route("/peer", peer)  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_every_client_presents_the_testclients_address() -> None:
    """PyNest's Ip() and IP-keyed guards see one client address whichever client a
    test uses."""
    builder = Test.create_testing_module(imports=[AppModule]).configure_app(_peer)
    module = builder.compile()
    try:
        sync_peer = module.client.get("/peer").json()
        async with module.async_client() as client:
            portal_peer = (await client.get("/peer")).json()
    finally:
        await module.aclose()
    builder = Test.create_testing_module(imports=[AppModule]).configure_app(_peer)
    async with await builder.compile_async() as module, module.async_client() as client:
        loop_peer = (await client.get("/peer")).json()
    assert sync_peer == portal_peer == loop_peer == {"host": "testclient", "port": 50000}


STARTED = threading.Event()
RELEASE = threading.Event()
FINISHED = threading.Event()


@Controller("slow")
class SlowController:
    @Get("/")
    async def slow(self) -> dict[str, bool]:
        STARTED.set()
        await anyio.to_thread.run_sync(RELEASE.wait, 30)
        FINISHED.set()
        return {"done": True}


@Module(controllers=[SlowController])
class SlowModule:
    pass


@pytest.mark.asyncio
async def test_cancelling_a_request_to_a_compiled_module_stops_only_the_test_waiting() -> None:
    # A test that gives up on a request (a timeout, a cancelled task) is cancelled at
    # once; the request itself finishes on the module's loop.
    for event in (STARTED, RELEASE, FINISHED):
        event.clear()
    with Test.create_testing_module(imports=[SlowModule]).compile() as module:
        async with module.async_client() as client:
            request = asyncio.ensure_future(client.get("/slow"))
            try:
                await anyio.to_thread.run_sync(STARTED.wait, 30)
                request.cancel()
                # (bounded, so that a request that holds its test fails it, not hangs it)
                done, _ = await asyncio.wait({request}, timeout=10)
                assert request in done
                assert request.cancelled()
            finally:
                RELEASE.set()
            assert await anyio.to_thread.run_sync(FINISHED.wait, 30)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_a_trio_test_reaches_a_compiled_module_through_a_thread(anyio_backend: str) -> None:
    # No asyncio loop to hand the request to: the async client goes through a worker
    # thread to the module's own loop.
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        async with module.async_client() as client:
            assert (await client.get("/items")).json() == ["apple", "pear"]
            assert (await client.get("/loop")).json() == {"same_loop": True, "task_alive": True}


def test_a_response_body_s_end_leaves_the_collector_nothing() -> None:
    # Every body ends with anyio.EndOfStream on the module's loop: carried over on a
    # concurrent future it was a reference cycle (future, exception, traceback, frames).
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        assert module.client.get("/items").status_code == 200
        gc.collect()
        gc.disable()
        try:
            assert module.client.get("/items").json() == ["apple", "pear"]
            with module.client.stream("GET", "/items") as response:
                assert b"".join(response.iter_bytes()) == b'["apple","pear"]'
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            left = [o for o in gc.garbage if isinstance(o, (anyio.EndOfStream, Future))]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert left == []


def test_a_modules_testclient_and_its_transport_are_freed_without_the_collector() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        app, portal = module.client.app, module._runtime.portal
        assert portal is not None
        gc.disable()
        try:
            client = sync_client(app, portal)
            assert client.get("/items").json() == ["apple", "pear"]
            freed = weakref.ref(client)
            client.close()
            del client
            assert freed() is None
        finally:
            gc.enable()


def test_an_end_of_stream_reaches_the_caller_as_raised() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        assert module._runtime.portal is not None
        raised = anyio.EndOfStream()

        async def ends() -> None:
            raise raised

        def ends_at_once() -> None:
            raise raised

        portal = _EndingPortal(module._runtime.portal)
        for func in (ends, ends_at_once):
            with pytest.raises(anyio.EndOfStream) as caught:
                portal.call(func)
            assert caught.value is raised
        assert portal.call(lambda a, b: a + b, 2, 3) == 5


def test_a_request_makes_its_anyio_primitives_in_the_test_s_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # starlette's transport asks the loop for two events, a memory stream and a cancel
    # scope per request, a round trip each: they are made here. Running the app, waiting
    # for its response and reading the body still happen on the module's loop.
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        client, portal = module.client, module._runtime.portal
        assert portal is not None
        assert client.get("/items").status_code == 200
        asked: list[object] = []
        real = portal.call

        def call(func: object, *args: object) -> object:
            asked.append(args[0] if func is _ended_as_value else func)
            return real(func, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(portal, "call", call)
        assert client.get("/items").json() == ["apple", "pear"]
        with client.stream("GET", "/items") as response:
            assert b"".join(response.iter_bytes()) == b'["apple","pear"]'
        monkeypatch.undo()
    made = {getattr(func, "__origin__", func) for func in asked}
    assert made.isdisjoint({anyio.Event, anyio.CancelScope, anyio.create_memory_object_stream})
    assert asked  # the rest did go to the loop
    assert len(asked) <= 2 * 4  # two requests, down from seven trips each


def test_what_cannot_be_made_off_the_loop_is_made_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # An anyio whose primitive wants the running loop: made on the module's loop after all.
    monkeypatch.setattr(_clients, "_LOOP_FREE", (*_clients._LOOP_FREE, asyncio.get_running_loop))
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        assert module._runtime.portal is not None
        portal = _EndingPortal(module._runtime.portal)
        assert portal.call(asyncio.get_running_loop) is module._runtime._thread.loop  # type: ignore[union-attr]
        assert isinstance(portal.call(anyio.Event), anyio.Event)  # still made here

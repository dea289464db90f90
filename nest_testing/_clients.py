"""HTTP clients that reach a testing module on the module's own event loop.

A module from `compile()` lives on a loop in a background thread (an anyio blocking
portal), as under uvicorn: startup hooks, every request and shutdown hooks run there.
Its `TestClient` is handed that portal instead of starting a loop of its own, and its
`async_client()` forwards each request to that loop. A module from
`compile_async()` lives on the test's own loop and is served there directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Callable, Generator
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import httpx2
from anyio.from_thread import BlockingPortal
from starlette.types import ASGIApp

from nest_testing._asgi_exchange import exchange
from nest_testing._loop_hop import LoopHop
from nest_testing.errors import UsageError

try:
    import sniffio
except ImportError:  # pragma: no cover - anyio runs without sniffio too
    sniffio = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from starlette.testclient import TestClient


def sync_client(
    app: ASGIApp, portal: BlockingPortal, *, raise_server_exceptions: bool = True
) -> TestClient:
    """A starlette `TestClient` that runs `app` on `portal`'s loop; without
    `raise_server_exceptions`, an unhandled exception is a 500 response."""
    cls = _module_test_client()
    client = cls(app, _EndingPortal(portal), raise_server_exceptions=raise_server_exceptions)
    # TestClient uses `portal` when it is set (its own __enter__ sets it); the lifespan
    # is already running on that loop, entered by the testing module.
    client.portal = portal
    return client


class _ENDED:
    """What `_ended_as_value` returns in place of raising anyio.EndOfStream."""

    __slots__ = ("exc",)

    def __init__(self, exc: anyio.EndOfStream) -> None:
        self.exc = exc


async def _ended_as_value(func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    # Calls `func` as anyio's portal does (awaiting what it returns if awaitable).
    try:
        result = func(*args)
        if inspect.isawaitable(result):
            result = await result
    except anyio.EndOfStream as exc:
        # Sent without its loop-side traceback and context: their frames lead back
        # (f_back; seen on Python 3.12) to anyio's frame that holds the future this value
        # settles, a cycle again. The end of a stream is a signal, caught by type.
        exc.__traceback__ = exc.__context__ = exc.__cause__ = None
        return _ENDED(exc)
    return result


_NOT_MADE: Any = object()

_LOOP_FREE = (anyio.Event, anyio.CancelScope, anyio.create_memory_object_stream)


def _loop_free(func: Callable[..., Any]) -> bool:
    """Whether `func` only makes an anyio primitive that is bound to no loop until it is
    used (one of `_LOOP_FREE`, subscripted or not)."""
    made = getattr(func, "__origin__", func)
    return any(made is kind for kind in _LOOP_FREE)


def _made_here(func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """`func(*args)` in the calling thread, as on the module's loop (anyio told it runs
    on asyncio); `_NOT_MADE` when this anyio cannot make it off the loop."""
    token = sniffio.current_async_library_cvar.set("asyncio") if sniffio is not None else None
    try:
        return func(*args)
    except Exception:  # an anyio that wants the running loop for it: made there instead
        return _NOT_MADE
    finally:
        if token is not None:
            sniffio.current_async_library_cvar.reset(token)


class _EndingPortal:
    """The module's portal as its TestClient's transport reaches it (it refers to no
    client, so the client and its transport are freed by reference counting).

    Every response body ends with anyio.EndOfStream raised on the loop, which anyio's
    `call` carries over on a concurrent future: the exception's traceback holds the
    finished frame of anyio's `_call_func`, which holds the future, which holds the
    exception, a cycle only the collector frees (with the frames it holds), once per
    request. Here it comes back as a value (without the loop side's traceback) and is
    raised again, the same exception, in the caller's thread: no future in its
    traceback.

    starlette's transport also asks the loop, one round trip each, to make the two
    events, the memory stream and the cancel scope of every request: four of the seven
    calls a plain GET makes here. Those bind to no loop until they are used (on the
    loop), so they are made here, in the caller's thread."""

    __slots__ = ("_portal",)

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        if _loop_free(func):
            made = _made_here(func, args)
            if made is not _NOT_MADE:
                return made
        result = self._portal.call(_ended_as_value, func, args)
        if type(result) is _ENDED:
            exc = result.exc
            del result
            try:
                raise exc
            finally:
                del exc  # as concurrent.futures does: this frame is in its traceback
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._portal, name)


# What starlette's TestClient presents as the peer: with the same address from either
# client, PyNest's Ip() decorator and IP-keyed guards see one value in every test.
CLIENT_ADDRESS = ("testclient", 50000)


def asgi_transport(app: ASGIApp, *, raise_app_exceptions: bool = True) -> httpx2.ASGITransport:
    """httpx2's ASGI transport, presenting the TestClient's client address; without
    `raise_app_exceptions`, an unhandled exception is a 500 response."""
    return httpx2.ASGITransport(
        app=app, client=CLIENT_ADDRESS, raise_app_exceptions=raise_app_exceptions
    )


@functools.cache
def _module_test_client() -> Callable[..., TestClient]:
    # Imported here: starlette.testclient warns at import when it has to fall back to
    # httpx, and nothing should warn before a client is asked for.
    from starlette.testclient import TestClient

    class ModuleTestClient(TestClient):
        """starlette's TestClient, saying so when the module it served is closed."""

        __test__ = False

        def __init__(self, app: ASGIApp, portal: _EndingPortal, **options: Any) -> None:
            # Read by TestClient.__init__ for its transport in place of its own method
            # (which yields `self.portal`): the transport holds no reference to the client.
            self._portal_factory = functools.partial(contextlib.nullcontext, portal)  # type: ignore[method-assign, assignment]
            super().__init__(app, **options)

        def send(self, *args: Any, **kwargs: Any) -> Any:
            if self.is_closed:
                raise UsageError(
                    "This client belongs to a testing module that is closed. Use the "
                    "client inside the module's `with` block (or before close()), or "
                    "compile a new module."
                )
            return super().send(*args, **kwargs)

    ModuleTestClient.__qualname__ = "ModuleTestClient"  # as tracebacks show it
    return ModuleTestClient


class PortalTransport(httpx2.AsyncBaseTransport):
    """Sends requests from any event loop to an ASGI app living on `portal`'s loop
    (`loop`); `check_open` raises once the module is closed."""

    def __init__(
        self,
        app: ASGIApp,
        portal: BlockingPortal,
        loop: asyncio.AbstractEventLoop,
        *,
        raise_app_exceptions: bool = True,
        check_open: Callable[[], None] = lambda: None,
    ) -> None:
        self._app = app
        self._raise = raise_app_exceptions
        self._portal = portal
        self._check_open = check_open
        self._hop = LoopHop(loop)  # to the portal's loop

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self._check_open()
        await request.aread()  # the body crosses loops as bytes
        # The whole exchange is one task on the module's loop, its response collected
        # there, so nothing loop-bound comes back: one hop each way per request.
        if _on_asyncio():
            return await self._hop.run(exchange, self._app, request, CLIENT_ADDRESS, self._raise)
        return await anyio.to_thread.run_sync(  # another async library: through a thread
            self._portal.call, exchange, self._app, request, CLIENT_ADDRESS, self._raise
        )


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio, say
        return False
    return True


def async_client(transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncClient:
    """An `httpx2.AsyncClient` over `transport`, addressed and redirected like the
    TestClient, so a test reads the same with either client."""
    return httpx2.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"user-agent": "testclient"},
        follow_redirects=True,
    )


class AsyncClientBlock:
    """What `module.async_client()` returns: an async context manager whose block
    holds an `httpx2.AsyncClient`. Used any other way (awaited, or called like the
    client), it says how to write it instead of failing inside contextlib."""

    def __init__(
        self, open_client: Callable[[], AbstractAsyncContextManager[httpx2.AsyncClient]]
    ) -> None:
        self._open = open_client
        self._block: AbstractAsyncContextManager[httpx2.AsyncClient] | None = None

    async def __aenter__(self) -> httpx2.AsyncClient:
        self._block = self._open()
        return await self._block.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._block is not None
        return await self._block.__aexit__(exc_type, exc, tb)

    def __await__(self) -> Generator[Any, None, httpx2.AsyncClient]:
        raise UsageError(_HOW.format(use="await module.async_client()", name="get"))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise UsageError(_HOW.format(use=f"module.async_client().{name}", name=name))


_HOW = (
    "{use}: async_client() opens a client for a block, closed when the block ends. Write "
    "`async with module.async_client() as client: await client.{name}(...)`."
)

"""A testing module's runtime: its event loop, its app's lifespan, opening and closing.

One loop per testing module, as under uvicorn: the container is built, startup hooks
run, the app's lifespan runs, requests are served and shutdown hooks run on that loop.
For ``compile()`` the loop lives in a background thread behind an anyio blocking portal;
for ``compile_async()`` it is the test's own running loop. A :class:`Runtime` opens the
module on either, builds the app (at once, or on first use in lazy mode), hands out what
clients need, and closes everything exactly once, also after a failed startup.

It owns no user-facing API (that is :class:`~nest_testing.TestingModule`, which
delegates here) and applies nothing to the graph or the app (the container and
:mod:`nest_testing._app_assembly` do).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import anyio.from_thread
import anyio.to_thread
import httpx2

from nest_testing._app_assembly import AssembledApp, assemble_app
from nest_testing._clients import PortalTransport, asgi_transport, sync_client
from nest_testing._container import TestingContainer
from nest_testing._extensions import ModuleExtension
from nest_testing._ledger import Ledger, Phase
from nest_testing._plan import Plan
from nest_testing.errors import LifecycleHookError, NestTestingError, UsageError

if TYPE_CHECKING:
    from starlette.testclient import TestClient


class Runtime:
    """Opens, serves and closes one testing module on its event loop."""

    def __init__(self, container: TestingContainer, ledger: Ledger, plan: Plan) -> None:
        self._container = container
        self._ledger = ledger
        self._app_plan = plan.app
        self._lazy = plan.lazy
        self._started_extensions: list[ModuleExtension] = []
        self._assembled: AssembledApp | None = None
        self._lifespan_started = False
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit: ExitStack | None = None
        self._aexit: AsyncExitStack | None = None
        self._client: TestClient | None = None
        self._answering: TestClient | None = None  # client_for(raise_server_exceptions=False)
        self._closed = False
        self._close_lock = threading.Lock()
        self._build_lock = threading.RLock()  # first client / lazy app, from any thread

    # ── opening ──────────────────────────────────────────────────────────────

    def open_in_thread(self) -> None:
        """Open on a loop of the module's own, in a background thread (``compile()``)."""
        with ExitStack() as stack:
            portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            self._portal = portal
            stack.callback(portal.call, self._stop_extensions)  # last, after the lifespan
            try:
                portal.call(self._start)
                if self._assembled is not None:
                    stack.enter_context(
                        portal.wrap_async_context_manager(self._started_lifespan())
                    )
            except BaseException as exc:
                portal.call(self._abort, exc)
                raise
            stack.callback(portal.call, self._shutdown_without_app)
            self._exit = stack.pop_all()
        self._ledger.phase = Phase.REQUEST

    async def open_on_loop(self) -> None:
        """Open on the running loop, the test's own (``compile_async()``)."""
        self._loop = asyncio.get_running_loop()
        async with AsyncExitStack() as stack:
            stack.push_async_callback(self._stop_extensions)  # last, after the lifespan
            try:
                await self._start()
                if self._assembled is not None:
                    await stack.enter_async_context(self._started_lifespan())
                    self._lifespan_started = True
            except BaseException as exc:
                await self._abort(exc)
                raise
            stack.push_async_callback(self._shutdown_without_app)
            self._aexit = stack.pop_all()
        self._ledger.phase = Phase.REQUEST

    async def _start(self) -> None:
        """Start the extensions, build the container and run the startup hooks on the
        running loop (the module's loop); then the app, unless it is lazy."""
        for extension in self._app_plan.extensions:
            await extension.start()
            self._started_extensions.append(extension)
        await self._container.build_async()
        self._ledger.phase = Phase.STARTUP
        await self._container.initialize_lifecycle()
        if not self._lazy:
            self._assemble()

    def _assemble(self) -> None:
        self._assembled = assemble_app(self._container, self._ledger, self._app_plan)

    @asynccontextmanager
    async def _started_lifespan(self) -> AsyncIterator[None]:
        """The app's ASGI lifespan; a failing startup (a FastAPI startup handler, a
        lifespan function) is named as such."""
        assert self._assembled is not None
        lifespan = self._assembled.lifespan
        try:
            await lifespan.__aenter__()
        except Exception as exc:
            raise LifecycleHookError(
                f"lifespan startup: {exc!r}", path=("lifespan startup",)
            ) from exc
        try:
            yield
        except BaseException:
            await lifespan.__aexit__(*sys.exc_info())
            raise
        await lifespan.__aexit__(None, None, None)

    # ── the app ──────────────────────────────────────────────────────────────

    def assembled(self) -> AssembledApp:
        """The module's app; in lazy mode it is built, and its lifespan started, now."""
        if self._assembled is not None:
            return self._assembled
        with self._build_lock:
            if self._assembled is not None:
                return self._assembled
            if self._portal is None:
                self.check_loop("Building the lazy module's app")
                self._assemble()  # its lifespan starts with the first async_client()
            else:
                self._portal.call(self._assemble)
                assert self._exit is not None
                lifespan = self._portal.wrap_async_context_manager(self._started_lifespan())
                self._exit.enter_context(lifespan)
            assert self._assembled is not None
            return self._assembled

    @property
    def depends(self) -> list[type]:
        """The classes FastAPI builds per request through the counter (none yet in a
        lazy module whose app was not asked for)."""
        return self._assembled.depends if self._assembled is not None else []

    @property
    def has_portal(self) -> bool:
        """Whether the module lives on a loop of its own (``compile()``)."""
        return self._portal is not None

    def client(self) -> TestClient:
        """The module's started ``TestClient``, made on first use."""
        assert self._portal is not None
        with self._build_lock:
            if self._client is None:
                self._client = sync_client(self.assembled().lifespan.app, self._portal)
            return self._client

    def answering_client(self) -> TestClient:
        """A second ``TestClient`` on the module's loop that answers an unhandled
        exception with a 500, as a deployed app does; closed with the module."""
        assert self._portal is not None
        with self._build_lock:
            if self._answering is None:
                app = self.assembled().lifespan.app
                self._answering = sync_client(app, self._portal, raise_server_exceptions=False)
            return self._answering

    async def transport(self, *, raise_app_exceptions: bool = True) -> httpx2.AsyncBaseTransport:
        """An httpx2 transport that serves requests on the module's loop."""
        app = self.assembled().lifespan.app
        if self._portal is not None:
            return PortalTransport(app, self._portal, raise_app_exceptions=raise_app_exceptions)
        self.check_loop("async_client()")
        if not self._lifespan_started:  # lazy: the app's lifespan starts on first use
            assert self._aexit is not None
            await self._aexit.enter_async_context(self._started_lifespan())
            self._lifespan_started = True
        return asgi_transport(app, raise_app_exceptions=raise_app_exceptions)

    # ── closing ──────────────────────────────────────────────────────────────

    async def _shutdown_without_app(self) -> None:
        """A lazy module whose app was never built has no lifespan to run the shutdown
        hooks: run them here. (With an app, its lifespan already did, as in production.)"""
        if self._assembled is None:
            await self._container.shutdown_lifecycle()

    async def _stop_extensions(self) -> None:
        """Stop the extensions that started, last first (see :mod:`nest_testing._extensions`)."""
        while self._started_extensions:
            await self._started_extensions.pop().stop()

    async def _abort(self, exc: BaseException) -> None:
        """Shut down what started before ``exc`` stopped the startup."""
        self._closed = True
        self._ledger.phase = Phase.SHUTDOWN
        errors = await self._container.abort_startup()
        if isinstance(exc, NestTestingError):
            exc.shutdown_errors = tuple(errors)

    def _begin_close(self) -> bool:
        with self._close_lock:
            if self._closed:
                return False
            self._closed = True
        self._ledger.phase = Phase.SHUTDOWN
        return True

    def close(self) -> None:
        """Run the shutdown hooks (once) and stop the module's loop."""
        if self._aexit is not None and not self._closed:
            raise UsageError(
                "This testing module was compiled with `await compile_async()` and lives on "
                "your test's event loop; close it there with `await module.aclose()` (or "
                "`async with`)."
            )
        if not self._begin_close():
            return
        for client in (self._client, self._answering):
            if client is not None:
                client.close()
        if self._exit is not None:
            self._exit.close()

    async def aclose(self) -> None:
        """Run the shutdown hooks (once), on the loop the module lives on."""
        if self._aexit is None:
            await anyio.to_thread.run_sync(self.close)
            return
        if self._closed:
            return
        self.check_loop("aclose()")
        if self._begin_close():
            await self._aexit.aclose()

    def check_open(self) -> None:
        if self._closed:
            raise UsageError("This testing module is closed; compile a new one.")

    def check_loop(self, what: str) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not self._loop:
            raise UsageError(
                f"{what} must run on the event loop the module was compiled on "
                "(`await compile_async()` binds the module to the test's loop)."
            )

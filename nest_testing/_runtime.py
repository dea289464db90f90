"""A testing module's runtime: its event loop, its app's lifespan, opening and closing.

One loop per testing module, as under uvicorn: the container is built, startup hooks
run, the app's lifespan runs, requests are served and shutdown hooks run on that loop.
For `compile()` the loop lives in a background thread behind an anyio blocking portal;
for `compile_async()` it is the test's own running loop. A `Runtime` opens the
module on either, builds the app (at once, or on first use in lazy mode), hands out what
clients need, and closes everything exactly once, also after a failed startup.

It owns no user-facing API (that is `TestingModule`, which
delegates here) and applies nothing to the graph or the app (the container and
`nest_testing._app_assembly` do).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import anyio.to_thread
import httpx2
from anyio.from_thread import BlockingPortal

from nest_testing import _graph_errors
from nest_testing._app_assembly import AssembledApp, assemble_app
from nest_testing._clients import PortalTransport, asgi_transport, sync_client
from nest_testing._container import TestingContainer
from nest_testing._endpoint_contexts import forget_endpoint_contexts
from nest_testing._extensions import ModuleExtension
from nest_testing._ledger import Ledger, Phase
from nest_testing._lifecycle import HookInterrupt
from nest_testing._loop_pool import loop_thread
from nest_testing._loop_thread import LoopThread
from nest_testing._plan import Plan, backstop
from nest_testing.errors import LifecycleHookError, NestTestingError, UsageError

if TYPE_CHECKING:
    from starlette.testclient import TestClient


_POLL_SECONDS = 0.25  # how often a wait for the loop checks for a hook that blocks it

_OPEN: set[Runtime] = set()
"""Modules from compile() that are open: closed at exit if a test or script left them."""


@atexit.register
def close_left_open() -> None:
    """Close what was left open before the interpreter exits (atexit handlers run while
    the loop threads are still alive). Each close is bounded by the module's hook
    timeout; a module that cannot be closed is abandoned, never waited for."""
    for runtime in list(_OPEN):
        with contextlib.suppress(BaseException):  # exiting: nobody is left to tell
            runtime.close()


def open_runtimes() -> set[Runtime]:
    """The modules from `compile()` open now (the plugin closes those a test left)."""
    return set(_OPEN)


class Runtime:
    """Opens, serves and closes one testing module on its event loop."""

    def __init__(self, container: TestingContainer, ledger: Ledger, plan: Plan) -> None:
        self._container = container
        self._ledger = ledger
        self._app_plan = plan.app
        self._lazy = plan.lazy
        self._hook_timeout = plan.hook_timeout
        self._started_extensions: list[ModuleExtension] = []
        self._assembled: AssembledApp | None = None
        self._lifespan_started = False
        self._initialized = False  # the startup hooks ran (compile(init=False): not yet)
        self._thread: LoopThread | None = None
        self._abandoned = False  # a hook blocks the loop thread: nothing more can run there
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit: ExitStack | None = None
        self._aexit: AsyncExitStack | None = None
        self._client: TestClient | None = None
        self._answering: TestClient | None = None  # client_for(raise_server_exceptions=False)
        self._closed = False
        self._close_lock = threading.Lock()
        self._build_lock = threading.RLock()  # first client / lazy app, from any thread

    # ── opening ──────────────────────────────────────────────────────────────

    def open_in_thread(self, *, init: bool = True) -> None:
        """Open on a loop of the module's own, in a background thread (`compile()`);
        without `init`, build the providers but run no hook (see `init`)."""
        thread = loop_thread(self._wait)  # see nest_testing._loop_pool
        self._thread = thread
        _OPEN.add(self)
        stack = ExitStack()
        stack.callback(self._stop_thread)  # last of all
        stack.callback(self._forget_endpoint_contexts)  # once nothing serves the app
        stack.callback(self._stop_extensions_in_thread)  # after the lifespan
        try:
            # One trip to the loop: start, and hold the app's lifespan until close.
            stack.enter_context(thread.hold(self._opened(init)))
        except BaseException as exc:
            self._fail(exc, stack)
        stack.callback(self._shutdown_without_app_in_thread)
        self._exit = stack
        if init:
            self._ledger.phase = Phase.REQUEST

    def init(self) -> None:
        """After `compile(init=False)`: run the startup hooks, build the app and start
        its lifespan, as `compile()` would have (once; later calls do nothing)."""
        self.check_open()
        if self._initialized:
            return
        if self._thread is None:
            raise UsageError(
                "This testing module lives on your test's event loop (`await "
                "compile_async(init=False)`): initialise it there with `await module.ainit()`."
            )
        assert self._exit is not None
        try:
            self._run(self._initialize)
            if self._assembled is not None:
                self._exit.enter_context(self._thread.hold(self._started_lifespan()))
        except BaseException as exc:
            self._fail(exc, self._exit)
        self._ledger.phase = Phase.REQUEST

    def _fail(self, exc: BaseException, stack: ExitStack) -> NoReturn:
        """Startup failed with `exc`: shut down what started, unwind, re-raise."""
        try:
            if not self._abandoned:
                self._run(self._abort, exc)
        finally:
            self._end(stack)
        if isinstance(exc, HookInterrupt):
            raise exc.original from None
        raise exc

    def _run(self, func: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """`await func(*args)` on the module's loop thread (nothing once abandoned)."""
        if self._abandoned:
            return None
        assert self._thread is not None
        return self._thread.run(func, *args)

    def _wait(self, future: concurrent.futures.Future[Any]) -> Any:
        """Wait for the loop; a hook that blocks it past the hook timeout (where its own
        timeout cannot fire) fails the wait instead of hanging the test."""
        timeout = self._hook_timeout
        if timeout is None:
            return future.result()
        while True:
            try:
                return future.result(timeout=_POLL_SECONDS)
            except concurrent.futures.TimeoutError:
                # The builtin TimeoutError since 3.11: a task that *raised* one (a
                # lifespan's own timeout) is done, not still running.
                if future.done():
                    raise
                blocked = self._container.overdue_hook(backstop(timeout))
                if blocked is not None:
                    self._abandoned = True
                    raise _graph_errors.hook_blocked(*blocked, timeout) from None

    def _forget_endpoint_contexts(self) -> None:
        if self._assembled is not None:  # see nest_testing._endpoint_contexts
            forget_endpoint_contexts(self._assembled.app.http_server)

    def _stop_thread(self) -> None:
        if self._thread is not None and not self._abandoned:
            self._thread.stop()

    def _end(self, stack: ExitStack) -> None:
        """Unwind what was opened; after a blocked hook nothing can run on the loop."""
        self._closed = True
        _OPEN.discard(self)
        if self._abandoned:
            stack.pop_all()
        else:
            stack.close()

    async def open_on_loop(self, *, init: bool = True) -> None:
        """Open on the running loop, the test's own (`compile_async()`); without
        `init`, build the providers but run no hook (see `ainit`)."""
        self._loop = asyncio.get_running_loop()
        async with AsyncExitStack() as stack:
            stack.callback(self._forget_endpoint_contexts)  # last of all
            stack.push_async_callback(self._stop_extensions)  # after the lifespan
            try:
                await self._start(init)
                if self._assembled is not None:
                    await stack.enter_async_context(self._started_lifespan())
                    self._lifespan_started = True
            except BaseException as exc:
                await self._abort(exc)
                if isinstance(exc, HookInterrupt):
                    raise exc.original from None
                raise
            stack.push_async_callback(self._shutdown_without_app)
            self._aexit = stack.pop_all()
        if init:
            self._ledger.phase = Phase.REQUEST

    async def ainit(self) -> None:
        """`init` on the loop the module lives on."""
        self.check_open()
        if self._initialized:
            return
        if self._thread is not None:
            await anyio.to_thread.run_sync(self.init)
            return
        self.check_loop("ainit()")
        assert self._aexit is not None
        try:
            await self._initialize()
            if self._assembled is not None:
                await self._aexit.enter_async_context(self._started_lifespan())
                self._lifespan_started = True
        except BaseException as exc:
            await self._abort(exc)
            await self._aexit.aclose()
            if isinstance(exc, HookInterrupt):
                raise exc.original from None
            raise
        self._ledger.phase = Phase.REQUEST

    @asynccontextmanager
    async def _opened(self, init: bool) -> AsyncIterator[None]:
        """`_start`, then, if the app was built, its lifespan, held until the block ends;
        then the loop's hand-back checked in the same task (see `LoopThread.settle`)."""
        await self._start(init)
        if self._assembled is None:  # lazy, or init=False: the lifespan starts later
            yield
        else:
            async with self._started_lifespan():
                yield
        # Usually the module's last task on the loop (a later trip, say an extension's
        # stop(), makes the hand-back check again): one round trip fewer per close.
        assert self._thread is not None
        await self._thread.settle()

    async def _start(self, init: bool) -> None:
        """Start the extensions and build the container on the running loop (the
        module's loop); then initialise, or, without `init`, only build the providers
        (none in lazy mode)."""
        for extension in self._app_plan.extensions:
            await extension.start()
            self._started_extensions.append(extension)
        await self._container.build_async()
        if init:
            await self._initialize()
        elif not self._lazy:
            self._container.instantiate()

    async def _initialize(self) -> None:
        """The startup hooks, then the app (unless it is lazy), as PyNestFactory.create."""
        self._ledger.phase = Phase.STARTUP
        await self._container.initialize_lifecycle()
        self._initialized = True
        if not self._lazy:
            self._assemble()

    def _assemble(self) -> None:
        self._assembled = assemble_app(
            self._container, self._ledger, self._app_plan, timeout=self._hook_timeout
        )
        # Entries already there for the new endpoints' ids were made for dead objects.
        forget_endpoint_contexts(self._assembled.app.http_server)

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
        try:
            await lifespan.__aexit__(None, None, None)
        except TimeoutError as exc:  # asgi-lifespan's shutdown_timeout, the hook timeout
            if self._hook_timeout is None:
                raise
            self._container.raise_shutdown_errors()
            raise LifecycleHookError(
                f"lifespan shutdown: did not finish within {backstop(self._hook_timeout):g} "
                f"s (the hook timeout, {self._hook_timeout:g} s, and a grace): a shutdown "
                "hook or handler kept running past it (one that "
                "catches asyncio.CancelledError and goes on does). Let it be cancelled, or "
                "raise the limit with builder.hook_timeout(seconds).",
                path=("lifespan shutdown",),
            ) from exc

    # ── the app ──────────────────────────────────────────────────────────────

    def assembled(self) -> AssembledApp:
        """The module's app; in lazy mode it is built, and its lifespan started, now."""
        if self._assembled is not None:
            return self._assembled
        if not self._initialized:
            raise UsageError(
                "This testing module was compiled with init=False: call module.init() "
                "(or `await module.ainit()`) before using its app or clients; arrange "
                "mocks and look providers up with module.get() before that."
            )
        with self._build_lock:
            if self._assembled is not None:
                return self._assembled
            if self._thread is None:
                self.check_loop("Building the lazy module's app")
                self._assemble()  # its lifespan starts with the first async_client()
            else:
                self._run(self._assemble_async)
                assert self._exit is not None
                self._exit.enter_context(self._thread.hold(self._started_lifespan()))
            assert self._assembled is not None
            return self._assembled

    async def _assemble_async(self) -> None:
        self._assemble()

    @property
    def depends(self) -> list[type]:
        """The classes FastAPI builds per request through the counter (none yet in a
        lazy module whose app was not asked for)."""
        return self._assembled.depends if self._assembled is not None else []

    @property
    def portal(self) -> BlockingPortal | None:
        """The portal to the module's own loop (`compile()`); `None` on the test's."""
        return self._thread.portal if self._thread is not None else None

    @property
    def extensions(self) -> tuple[ModuleExtension, ...]:
        """The features wired into this module (see `nest_testing._extensions`)."""
        return self._app_plan.extensions

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The test's loop the module lives on (`compile_async()`); else `None`."""
        return self._loop

    @property
    def has_portal(self) -> bool:
        """Whether the module lives on a loop of its own (`compile()`)."""
        return self._thread is not None

    def client(self) -> TestClient:
        """The module's started `TestClient`, made on first use."""
        assert self._thread is not None
        assert self._thread.portal is not None
        with self._build_lock:
            if self._client is None:
                app = self.assembled().lifespan.app
                self._client = sync_client(app, self._thread.portal)
            return self._client

    def answering_client(self) -> TestClient:
        """A second `TestClient` on the module's loop that answers an unhandled
        exception with a 500, as a deployed app does; closed with the module."""
        portal = self.portal
        assert portal is not None
        with self._build_lock:
            if self._answering is None:
                app = self.assembled().lifespan.app
                self._answering = sync_client(app, portal, raise_server_exceptions=False)
            return self._answering

    async def transport(self, *, raise_app_exceptions: bool = True) -> httpx2.AsyncBaseTransport:
        """An httpx2 transport that serves requests on the module's loop."""
        app = self.assembled().lifespan.app
        if self._thread is not None:
            assert self._thread.portal is not None
            assert self._thread.loop is not None
            return PortalTransport(
                app,
                self._thread.portal,
                self._thread.loop,
                raise_app_exceptions=raise_app_exceptions,
                check_open=self.check_open,
            )
        self.check_loop("async_client()")
        if not self._lifespan_started:  # lazy: the app's lifespan starts on first use
            assert self._aexit is not None
            await self._aexit.enter_async_context(self._started_lifespan())
            self._lifespan_started = True
        return asgi_transport(app, raise_app_exceptions=raise_app_exceptions)

    # ── closing ──────────────────────────────────────────────────────────────

    async def _shutdown_without_app(self) -> None:
        """A lazy module whose app's lifespan never started (the app never built, or, on
        the test's loop, never served) has nothing to run the shutdown hooks: run them
        here. (When its lifespan started, it already did, as in production.)"""
        if self._shutdown_left_to_us():
            await self._container.shutdown_lifecycle()

    def _shutdown_without_app_in_thread(self) -> None:
        if self._shutdown_left_to_us():  # else nothing to run on the loop
            self._run(self._shutdown_without_app)

    def _shutdown_left_to_us(self) -> bool:
        # On its own loop the lifespan starts with the app; on the test's, with a client.
        served = self._assembled is not None and (
            self._thread is not None or self._lifespan_started
        )
        return not served and self._initialized  # init=False: no hook ran

    def _stop_extensions_in_thread(self) -> None:
        if any(type(e).stop is not ModuleExtension.stop for e in self._started_extensions):
            self._run(self._stop_extensions)  # else nothing to await on the loop
        else:
            self._started_extensions.clear()

    async def _stop_extensions(self) -> None:
        """Stop the extensions that started, last first (see `nest_testing._extensions`)."""
        while self._started_extensions:
            await self._started_extensions.pop().stop()

    async def _abort(self, exc: BaseException) -> None:
        """Shut down what started before `exc` stopped the startup."""
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
        _OPEN.discard(self)
        for client in (self._client, self._answering):
            if client is not None:
                client.close()
        if self._exit is not None:
            if self._abandoned:
                self._exit.pop_all()
                return
            try:
                self._exit.close()
            except HookInterrupt as exc:  # what had started is shut down by now
                raise exc.original from None

    async def aclose(self) -> None:
        """Run the shutdown hooks (once), on the loop the module lives on."""
        if self._aexit is None:
            await anyio.to_thread.run_sync(self.close)
            return
        if self._closed:
            return
        self.check_loop("aclose()")
        if self._begin_close():
            try:
                await self._aexit.aclose()
            except HookInterrupt as exc:
                raise exc.original from None

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

"""The compiled testing module: the app, its clients, lookups, counts and assertions."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

import anyio.from_thread
import anyio.to_thread
import httpx2
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from nest.common.provider import InjectionToken, Scope
from nest.core.pynest_application import PyNestApp
from nest.core.pynest_container import ModuleRef

from nest_testing import _assertions
from nest_testing._clients import PortalTransport, async_client, sync_client
from nest_testing._container import TestingContainer
from nest_testing._depends import count_depends
from nest_testing._doubles import Doubles
from nest_testing._extensions import ModuleExtension
from nest_testing._graph import ModuleGraph, build_graph
from nest_testing._ledger import ConstructionCounts, Ledger, Phase
from nest_testing._route_templates import new_app
from nest_testing._routes import override_filters, override_guards
from nest_testing._tokens import did_you_mean, token_name
from nest_testing.errors import (
    EncapsulationError,
    LifecycleHookError,
    NestTestingError,
    ScopeError,
    UnknownTokenError,
    UsageError,
)

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from typing_extensions import Self

    from nest_testing._test_database import TestDatabase

T = TypeVar("T")


class TestingModule:
    """A PyNest app compiled for a test: lookups, HTTP clients, construction counts.

    Made by :meth:`TestingModuleBuilder.compile` (served on a loop of its own, in a
    background thread; use :attr:`client`) or
    :meth:`TestingModuleBuilder.compile_async` (served on the test's running loop; use
    :meth:`async_client`). Close it with :meth:`close` / ``await``:meth:`aclose` or use it
    as a (async) context manager: shutdown hooks run once.

    Example::

        with Test.create_testing_module(imports=[AppModule]).compile() as module:
            assert module.client.get("/items").status_code == 200
            module.assert_singleton(Logger)
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        container: TestingContainer,
        ledger: Ledger,
        root: type,
        *,
        guards: dict[type, object] | None = None,
        filters: dict[type, object] | None = None,
        configure: list[Callable[[PyNestApp], object]] | None = None,
        extensions: Sequence[ModuleExtension] = (),
        lazy: bool = False,
    ) -> None:
        self._container = container
        self._ledger = ledger
        self._root = root
        self._guards = guards or {}
        self._filters = filters or {}
        self._configure = configure or []
        self._extensions = tuple(extensions)
        self._started_extensions: list[ModuleExtension] = []
        self._lazy = lazy
        self._lifespan_started = False
        self.mocks = Doubles("mock", "mocks", container.mocks)
        """The mocks consumers received, by token: from ``mock_provider`` and ``use_mocker``."""
        self.spies = Doubles("spy", "spies", container.spies)
        """The spies consumers received, by token, from ``spy_provider``."""
        self._app: PyNestApp | None = None
        self._depends: list[type] = []
        self._lifespan: LifespanManager | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit: ExitStack | None = None
        self._aexit: AsyncExitStack | None = None
        self._client: TestClient | None = None
        self._closed = False
        self._close_lock = threading.Lock()
        self._build_lock = threading.RLock()  # first client / lazy app, from any thread
        self.constructions = ConstructionCounts(ledger, self._known_tokens)
        """How many times each provider was built: a live ``Mapping[token, int]`` with
        ``.by_phase``. See :class:`~nest_testing.ConstructionCounts`."""

    # ── opening and closing ──────────────────────────────────────────────────

    async def _start(self) -> None:
        """Build the container and run the startup hooks on the running loop (the
        module's loop); then the app, unless it is lazy."""
        for extension in self._extensions:
            await extension.start()
            self._started_extensions.append(extension)
        await self._container.build_async()
        self._ledger.phase = Phase.STARTUP
        await self._container.initialize_lifecycle()
        if not self._lazy:
            self._build_app()

    def _build_app(self) -> None:
        """As PyNestFactory.create: a fresh FastAPI app, routes registered by PyNestApp
        (from route templates when the blueprint cache is on); then this module's guard,
        filter and Depends wiring, and its lifespan."""
        options: dict[str, Any] = {}
        for extension in self._extensions:
            options.update(extension.app_options())
        app = new_app(self._container, reuse_routes=self._container.reuses_routes, options=options)
        http_server = app.http_server
        override_guards(http_server, self._guards)
        override_filters(http_server, self._filters)
        for extension in self._extensions:
            extension.configure_app(app)
        for configure in self._configure:
            configure(app)
        for extension in self._extensions:
            extension.finish_app(app)
        self._depends = count_depends(http_server, self._ledger, self._replacement_for)
        self._app = app
        self._lifespan = LifespanManager(http_server, startup_timeout=None, shutdown_timeout=None)

    def _ensure_app(self) -> None:
        """Lazy mode: build the app, and start its lifespan, on first use."""
        if self._app is not None:
            return
        with self._build_lock:
            if self._app is not None:
                return
            if self._portal is None:
                self._check_loop("Building the lazy module's app")
                self._build_app()  # its lifespan starts with the first async_client()
                return
            self._portal.call(self._build_app)
            assert self._exit is not None
            lifespan = self._portal.wrap_async_context_manager(self._started_lifespan())
            self._exit.enter_context(lifespan)

    def _open_in_thread(self) -> None:
        with ExitStack() as stack:
            portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            self._portal = portal
            stack.callback(portal.call, self._stop_extensions)  # last, after the lifespan
            try:
                portal.call(self._start)
                if self._lifespan is not None:
                    stack.enter_context(
                        portal.wrap_async_context_manager(self._started_lifespan())
                    )
            except BaseException as exc:
                portal.call(self._abort, exc)
                raise
            stack.callback(portal.call, self._shutdown_without_app)
            self._exit = stack.pop_all()
        self._ledger.phase = Phase.REQUEST

    async def _open_on_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        async with AsyncExitStack() as stack:
            stack.push_async_callback(self._stop_extensions)  # last, after the lifespan
            try:
                await self._start()
                if self._lifespan is not None:
                    await stack.enter_async_context(self._started_lifespan())
                    self._lifespan_started = True
            except BaseException as exc:
                await self._abort(exc)
                raise
            stack.push_async_callback(self._shutdown_without_app)
            self._aexit = stack.pop_all()
        self._ledger.phase = Phase.REQUEST

    @asynccontextmanager
    async def _started_lifespan(self) -> AsyncIterator[None]:
        """The app's ASGI lifespan; a failing startup (a FastAPI startup handler, a
        lifespan function) is named as such."""
        assert self._lifespan is not None
        try:
            await self._lifespan.__aenter__()
        except Exception as exc:
            raise LifecycleHookError(
                f"lifespan startup: {exc!r}", path=("lifespan startup",)
            ) from exc
        try:
            yield
        except BaseException:
            await self._lifespan.__aexit__(*sys.exc_info())
            raise
        await self._lifespan.__aexit__(None, None, None)

    async def _shutdown_without_app(self) -> None:
        """A lazy module whose app was never built has no lifespan to run the shutdown
        hooks: run them here. (With an app, its lifespan already did, as in production.)"""
        if self._app is None:
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
        """Run the shutdown hooks (once) and stop the module's loop.

        For a module from ``compile_async()``, use ``await module.aclose()``.

        Example::

            module = builder.compile()
            try:
                ...
            finally:
                module.close()
        """
        if self._aexit is not None and not self._closed:
            raise UsageError(
                "This testing module was compiled with `await compile_async()` and lives on "
                "your test's event loop; close it there with `await module.aclose()` (or "
                "`async with`)."
            )
        if not self._begin_close():
            return
        if self._client is not None:
            self._client.close()
        if self._exit is not None:
            self._exit.close()

    async def aclose(self) -> None:
        """Run the shutdown hooks (once); for modules from ``compile_async()``.

        Example::

            module = await builder.compile_async()
            ...
            await module.aclose()
        """
        if self._aexit is None:
            await anyio.to_thread.run_sync(self.close)
            return
        if self._closed:
            return
        self._check_loop("aclose()")
        if self._begin_close():
            await self._aexit.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise UsageError("This testing module is closed; compile a new one.")

    def _check_loop(self, what: str) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not self._loop:
            raise UsageError(
                f"{what} must run on the event loop the module was compiled on "
                "(`await compile_async()` binds the module to the test's loop)."
            )

    # ── the app and its clients ──────────────────────────────────────────────

    @property
    def app(self) -> PyNestApp:
        """The ``PyNestApp``, built by PyNest's own code (in lazy mode, now)."""
        self._check_open()
        self._ensure_app()
        assert self._app is not None
        return self._app

    @property
    def graph(self) -> ModuleGraph:
        """The dependency graph: modules, providers, controllers, who injects whom, with
        overrides and doubles marked. ``graph.to_mermaid()`` draws it.

        Example::

            assert module.graph.node(Logger).status == "overridden"
        """
        return build_graph(self._container)

    @property
    def database(self) -> TestDatabase:
        """The test database of ``builder.use_database(config)``: its ``url``, ``engine``,
        ``session()`` and ``reset()``.

        Example::

            with module.database.session() as session:
                session.add(User(name="ada"))
                session.commit()
        """
        from nest_testing._test_database import database_of

        self._check_open()
        return database_of(self._extensions, self._portal, self._loop)

    @property
    def http_server(self) -> FastAPI:
        """The FastAPI app (``module.app.http_server``)."""
        server: FastAPI = self.app.http_server
        return server

    @property
    def client(self) -> TestClient:
        """A started starlette ``TestClient`` on the module's loop; closed with the module.

        Only for modules from ``compile()``; with ``compile_async()`` use
        :meth:`async_client`.

        Example::

            assert module.client.get("/items").json() == [...]
        """
        self._check_open()
        if self._portal is None:
            raise UsageError(
                "module.client needs a module from `compile()`. This one was compiled with "
                "`await compile_async()` and lives on your test's event loop, where a "
                "blocking TestClient would deadlock it: use "
                "`async with module.async_client() as client: await client.get(...)`."
            )
        with self._build_lock:
            if self._client is None:
                self._ensure_app()
                assert self._lifespan is not None
                self._client = sync_client(self._lifespan.app, self._portal)
            return self._client

    @asynccontextmanager
    async def async_client(self) -> AsyncIterator[httpx2.AsyncClient]:
        """An ``httpx2.AsyncClient`` that serves requests on the module's loop.

        Example::

            async with module.async_client() as client:
                response = await client.get("/items")
        """
        self._check_open()
        self._ensure_app()
        assert self._lifespan is not None
        transport: httpx2.AsyncBaseTransport
        if self._portal is not None:
            transport = PortalTransport(self._lifespan.app, self._portal)
        else:
            self._check_loop("async_client()")
            if not self._lifespan_started:  # lazy: the app's lifespan starts on first use
                assert self._aexit is not None
                await self._aexit.enter_async_context(self._started_lifespan())
                self._lifespan_started = True
            transport = httpx2.ASGITransport(app=self._lifespan.app)
        async with async_client(transport) as client:
            yield client

    # ── lookups ──────────────────────────────────────────────────────────────

    @overload
    def get(self, token: type[T]) -> T: ...
    @overload
    def get(self, token: InjectionToken | str) -> Any: ...

    def get(self, token: Any) -> Any:
        """The instance the container holds for ``token`` (class, ``InjectionToken`` or
        string), as every consumer receives it.

        Example::

            logger = module.get(Logger)      # typed as Logger
            url = module.get(DB_URL)
        """
        self._check_open()
        descriptors = self._container.descriptors_for(token)
        if not descriptors and token not in self._container.known_tokens:
            raise self._unknown(token)
        if self._container.value_dropped(token):
            raise UnknownTokenError(_assertions.dropped_value(token), token=token)
        scopes = {d.scope for d in descriptors}
        if descriptors and Scope.SINGLETON not in scopes:
            raise ScopeError(
                f"{token_name(token)} is registered with scope "
                f"{'/'.join(sorted(s.name for s in scopes))}: there is no single instance to "
                f"get. Use module.resolve({token_name(token)}) for a fresh one.",
                token=token,
            )
        return self.resolve(token)

    @overload
    def resolve(self, token: type[T]) -> T: ...
    @overload
    def resolve(self, token: InjectionToken | str) -> Any: ...

    def resolve(self, token: Any) -> Any:
        """A fresh instance for transient / request-scoped providers; for a singleton, the
        singleton.

        Example::

            first, second = module.resolve(RequestContext), module.resolve(RequestContext)
            assert first is not second
        """
        self._check_open()
        container = self._container
        with container.resolving_for(container.owner_path(token)):
            return container.get(token)

    def select(self, module: type) -> ModuleView:
        """Look providers up as seen from one module: what it may inject.

        Example::

            module.select(ItemModule).get(ItemService)
        """
        self._check_open()
        ref = self._container.ref_of(module)
        if ref is None:
            names = [r.metatype for r in self._container.module_refs()]
            raise UnknownTokenError(
                f"{token_name(module)} is not a module of this testing module."
                f"{did_you_mean(module, names)}",
                token=module,
            )
        return ModuleView(self, ref)

    def _replacement_for(self, cls: type) -> Callable[[], Any] | None:
        """For a class the builder overrode or mocked: what ``Depends(cls)`` receives."""
        if self._container.replacement_kind(cls) not in ("override", "mock"):
            return None
        container = self._container

        def replacement() -> Any:
            return container.get(cls)

        return replacement

    def _singleton_tokens(self) -> list[Hashable]:
        """Tokens registered (everywhere) as singletons, controllers included."""
        tokens = dict.fromkeys(self._container.known_tokens)
        return [
            token
            for token in tokens
            if all(d.scope == Scope.SINGLETON for d in self._container.descriptors_for(token))
        ]

    def _known_tokens(self) -> set[Hashable]:
        return self._container.known_tokens | set(self._depends)

    def _unknown(self, token: object) -> UnknownTokenError:
        return UnknownTokenError(
            f"No module of this testing module registers {token_name(token)}."
            f"{did_you_mean(token, self._container.known_tokens)} (A class that is not "
            "registered is built implicitly by the injector, a new one for every consumer; "
            "register it in providers=[...] to get one shared instance.)",
            token=token,
        )

    # ── construction counts and identity ─────────────────────────────────────

    def assert_constructed(self, token: Hashable, times: int = 1) -> None:
        """Fail unless ``token`` was constructed exactly ``times`` times so far.

        Example::

            module.assert_constructed(ItemService, times=1)
        """
        self.constructions[token]  # unknown tokens fail loudly, not as "0 != 1"
        message = _assertions.constructed_times(token, times, self._ledger.constructions_of(token))
        if message:
            raise AssertionError(message)

    def assert_singleton(self, token: Hashable) -> None:
        """Fail unless ``token`` is registered as a singleton, was built at most once (by
        the container or a ``Depends``), and every consumer holds the very object
        ``module.get(token)`` returns.

        Example::

            for _ in range(10):
                module.client.get("/items")
            module.assert_singleton(Logger)
        """
        self._check_open()
        constructions = self._ledger.constructions_of(token)
        descriptors = self._container.descriptors_for(token)
        if self._container.value_dropped(token):
            raise AssertionError(_assertions.dropped_value(token))
        if not descriptors:
            if not constructions and token not in self._known_tokens():
                raise self._unknown(token)
            raise AssertionError(
                _assertions.not_registered(token, constructions, self._consumer_modules(token))
            )
        scope = next((d.scope for d in descriptors if d.scope != Scope.SINGLETON), None)
        if scope is not None:
            raise AssertionError(_assertions.wrong_scope(token, scope))
        message = (
            _assertions.constructed_times(token, 1, constructions)
            if len(constructions) > 1
            else None
        ) or _assertions.shared_instance(token, self.get(token), self._ledger.injections_of(token))
        if message:
            raise AssertionError(message)

    def _consumer_modules(self, token: Hashable) -> str:
        modules: dict[str, None] = {}
        for injection in self._ledger.injections_of(token):
            owner = self._container.owner_of(injection.consumer.token)
            if owner is not None:
                modules.setdefault(
                    f"{owner.name} (where {token_name(injection.consumer.token)} lives)"
                )
        return ", ".join(modules) or "the module whose providers use it"

    @contextmanager
    def expect_constructions(self, expected: Mapping[Hashable, int]) -> Iterator[None]:
        """Fail if, inside the block, the listed tokens were not constructed exactly the
        given number of times.

        Example::

            with module.expect_constructions({ItemService: 0, RequestContext: 3}):
                for _ in range(3):
                    module.client.get("/items")
        """
        for token in expected:
            self.constructions[token]  # an unknown token is a typo: fail before the block
        with self.track_constructions() as delta:
            yield
        message = _assertions.expected_deltas(expected, Counter(delta))
        if message:
            raise AssertionError(message)

    @contextmanager
    def track_constructions(self) -> Iterator[dict[Hashable, int]]:
        """Yield a dict that, when the block ends, holds what was constructed inside it.

        Example::

            with module.track_constructions() as delta:
                module.client.get("/items")
            assert delta == {}   # nothing was built while serving that request
        """
        delta: dict[Hashable, int] = {}
        before = self._ledger.snapshot()
        try:
            yield delta
        finally:
            delta.update(+(self._ledger.snapshot() - before))


class ModuleView:
    """One module's view of the graph, from :meth:`TestingModule.select`: only what that
    module may inject (its own providers and controllers, what its imports export, and
    global providers) can be looked up.

    Example::

        module.select(ItemModule).get(ItemService)
    """

    def __init__(self, module: TestingModule, ref: ModuleRef) -> None:
        self._module = module
        self._ref = ref

    @overload
    def get(self, token: type[T]) -> T: ...
    @overload
    def get(self, token: InjectionToken | str) -> Any: ...

    def get(self, token: Any) -> Any:
        """``TestingModule.get``, limited to what this module can see."""
        self._check_visible(token)
        return self._module.get(token)

    @overload
    def resolve(self, token: type[T]) -> T: ...
    @overload
    def resolve(self, token: InjectionToken | str) -> Any: ...

    def resolve(self, token: Any) -> Any:
        """``TestingModule.resolve``, limited to what this module can see."""
        self._check_visible(token)
        return self._module.resolve(token)

    def _check_visible(self, token: object) -> None:
        container = self._module._container
        if token in container.visible_from(self._ref):
            return
        owner = container.owner_of(token)
        path = (*container.path_of(self._ref), token_name(token))
        if owner is None:
            raise self._module._unknown(token)
        raise EncapsulationError(
            f"{' -> '.join(path)}: {token_name(token)} is not visible to {self._ref.name}. It "
            f"is provided by {owner.name}; {self._ref.name} sees it only if it imports "
            f"{owner.name} and {owner.name} exports {token_name(token)} (or {owner.name} is "
            "global).",
            path=path,
            token=token,
        )


__all__ = ["ModuleView", "TestingModule"]

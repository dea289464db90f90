"""The compiled testing module: the user's API over the app, its clients and counts.

`TestingModule` is what a test talks to: lookups (`get`, `resolve`,
`select`), HTTP clients, construction counts and the singleton assertions. It keeps
no loop, portal or lifespan of its own: opening, serving and closing are the
`nest_testing._runtime.Runtime`'s, the graph is the container's. Its methods
check the user's input and delegate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Hashable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click
import httpx2
from fastapi import FastAPI
from nest.common.provider import InjectionToken, Scope
from nest.core.pynest_application import PyNestApp

from nest_testing import _assertions, _graph_errors
from nest_testing._cli import build_cli, invoke
from nest_testing._clients import AsyncClientBlock, async_client
from nest_testing._container import TestingContainer
from nest_testing._doubles import Doubles
from nest_testing._graph import ModuleGraph
from nest_testing._ledger import ConstructionCounts, Ledger
from nest_testing._module_view import ModuleView
from nest_testing._runtime import Runtime
from nest_testing._tokens import did_you_mean, token_name
from nest_testing._usage import require_times, require_token
from nest_testing.errors import (
    NestTestingError,
    ScopeError,
    UnknownTokenError,
    UsageError,
)

if TYPE_CHECKING:
    from click.testing import Result
    from starlette.testclient import TestClient
    from typing_extensions import Self

    from nest_testing._test_database import TestDatabase

T = TypeVar("T")


class TestingModule:
    """A PyNest app compiled for a test: lookups, HTTP clients, construction counts.

    Made by `TestingModuleBuilder.compile` (served on a loop of its own, in a
    background thread; use `client`) or
    `TestingModuleBuilder.compile_async` (served on the test's running loop; use
    `async_client`). Close it with `close` / `await aclose()` or use it
    as a (async) context manager: shutdown hooks run once.

    Example:
        ```python
        with Test.create_testing_module(imports=[AppModule]).compile() as module:
            assert module.client.get("/items").status_code == 200
            module.assert_singleton(Logger)
        ```
    """

    __test__ = False  # not a pytest test class

    def __init__(self, container: TestingContainer, ledger: Ledger, runtime: Runtime) -> None:
        self._container = container
        self._ledger = ledger
        self._runtime = runtime
        self.mocks = Doubles("mock", "mocks", container.mocks)
        """The mocks consumers received, by token: from `mock_provider` and `use_mocker`."""
        self.spies = Doubles("spy", "spies", container.spies)
        """The spies consumers received, by token, from `spy_provider`."""
        self._cli: click.Group | None = None
        self.constructions = ConstructionCounts(ledger, self._known_tokens)
        """How many times each provider was built: a live `Mapping[token, int]` with
        `.by_phase`. See `nest_testing.ConstructionCounts`."""

    # ── closing ──────────────────────────────────────────────────────────────

    def close(self) -> None:
        """Run the shutdown hooks (once) and stop the module's loop.

        For a module from `compile_async()`, use `await module.aclose()`.

        Example:
            ```python
            module = builder.compile()
            try:
                ...
            finally:
                module.close()
            ```
        """
        self._runtime.close()

    async def aclose(self) -> None:
        """Run the shutdown hooks (once); for modules from `compile_async()`.

        Example:
            ```python
            module = await builder.compile_async()
            ...
            await module.aclose()
            ```
        """
        await self._runtime.aclose()

    def init(self) -> None:
        """After `compile(init=False)`: run the startup hooks, build the app and start
        its lifespan. Once; later calls (and calls on a module compiled with `init`)
        do nothing.

        Example:
            ```python
            module = builder.compile(init=False)
            module.get(Mailer).send = Mock()   # arrange before any hook runs
            module.init()
            ```
        """
        try:
            self._runtime.init()
        except NestTestingError:
            raise
        except Exception as exc:
            raise NestTestingError(f"Initialising the testing module failed: {exc!r}") from exc

    async def ainit(self) -> None:
        """`init()` for a module from `compile_async(init=False)`.

        Example:
            ```python
            module = await builder.compile_async(init=False)
            await module.ainit()
            ```
        """
        try:
            await self._runtime.ainit()
        except NestTestingError:
            raise
        except Exception as exc:
            raise NestTestingError(f"Initialising the testing module failed: {exc!r}") from exc

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

    # ── the app and its clients ──────────────────────────────────────────────

    @property
    def app(self) -> PyNestApp:
        """The `PyNestApp`, built by PyNest's own code (in lazy mode, now)."""
        self._runtime.check_open()
        return self._runtime.assembled().app

    @property
    def cli(self) -> click.Group:
        """The click group PyNest's `CLIAppFactory.create` builds for a CLI app, from
        this module's container (overrides, mocks, spies and counts apply); async
        commands run on the module's loop.

        Example:
            ```python
            result = module.cli.main(["user", "list"], standalone_mode=False)
            ```
        """
        self._runtime.check_open()
        if self._cli is None:
            self._cli = build_cli(self._container, self._runtime.portal)
        return self._cli

    def invoke(self, args: Sequence[str], **kwargs: Any) -> Result:
        """Run a command of `cli` with click's `CliRunner`; `kwargs` go to
        `CliRunner.invoke` (`input=`, `env=`, `catch_exceptions=`).

        Example:
            ```python
            result = module.invoke(["user", "show", "--user", "1"])
            assert result.exit_code == 0 and result.output == "alice\\n"
            ```
        """
        return invoke(self.cli, args, **kwargs)

    @property
    def graph(self) -> ModuleGraph:
        """The dependency graph: modules, providers, controllers, who injects whom, with
        overrides and doubles marked. `graph.to_mermaid()` draws it.

        Example:
            ```python
            assert module.graph.node(Logger).status == "overridden"
            ```
        """
        return self._container.graph()

    @property
    def database(self) -> TestDatabase:
        """The test database of `builder.use_database(config)`: its `url`, `engine`,
        `session()` and `reset()`.

        Example:
            ```python
            with module.database.session() as session:
                session.add(User(name="ada"))
                session.commit()
            ```
        """
        from nest_testing._test_database import database_of

        runtime = self._runtime
        runtime.check_open()
        return database_of(runtime.extensions, runtime.portal, runtime.loop)

    @property
    def http_server(self) -> FastAPI:
        """The FastAPI app (`module.app.http_server`)."""
        server: FastAPI = self.app.http_server
        return server

    @property
    def client(self) -> TestClient:
        """A started starlette `TestClient` on the module's loop; closed with the module.

        Only for modules from `compile()`; with `compile_async()` use
        `async_client`.

        Example:
            ```python
            assert module.client.get("/items").json() == [...]
            ```
        """
        self._runtime.check_open()
        if not self._runtime.has_portal:
            raise UsageError(
                "module.client needs a module from `compile()`. This one was compiled with "
                "`await compile_async()` and lives on your test's event loop, where a "
                "blocking TestClient would deadlock it: use "
                "`async with module.async_client() as client: await client.get(...)`."
            )
        return self._runtime.client()

    def client_for(self, *, raise_server_exceptions: bool = True) -> TestClient:
        """`module.client`, or, with `raise_server_exceptions=False`, a second started
        `TestClient` on the module's loop that answers an unhandled exception with a
        500 as a deployed app does (so error pages and exception filters can be
        asserted); closed with the module.

        Example:
            ```python
            client = module.client_for(raise_server_exceptions=False)
            assert client.get("/boom").status_code == 500
            ```
        """
        client = self.client  # the same checks: open, compiled with compile()
        if raise_server_exceptions:
            return client
        return self._runtime.answering_client()

    def async_client(self, *, raise_app_exceptions: bool = True) -> AsyncClientBlock:
        """An `httpx2.AsyncClient` that serves requests on the module's loop, for an
        `async with` block. An unhandled exception in the app is raised in the test;
        with `raise_app_exceptions=False` it is a 500 response, as a deployed app
        answers.

        Example:
            ```python
            async with module.async_client() as client:
                response = await client.get("/items")
            ```
        """
        self._runtime.check_open()
        return AsyncClientBlock(partial(self._open_async_client, raise_app_exceptions))

    @asynccontextmanager
    async def _open_async_client(
        self, raise_app_exceptions: bool
    ) -> AsyncIterator[httpx2.AsyncClient]:
        self._runtime.check_open()
        transport = await self._runtime.transport(raise_app_exceptions=raise_app_exceptions)
        async with async_client(transport) as client:
            yield client

    # ── lookups ──────────────────────────────────────────────────────────────

    @overload
    def get(self, token: type[T]) -> T: ...
    @overload
    def get(self, token: InjectionToken | str) -> Any: ...

    def get(self, token: Any) -> Any:
        """The instance the container holds for `token` (class, `InjectionToken` or
        string), as every consumer receives it.

        Example:
            ```python
            logger = module.get(Logger)      # typed as Logger
            url = module.get(DB_URL)
            ```
        """
        self._runtime.check_open()
        require_token(token, "module.get()")
        descriptors = self._container.descriptors_for(token)
        if not descriptors and token not in self._container.topology.known_tokens:
            if self._container.supplied_by_mocker(token):  # one object, bound for all
                return self.resolve(token)
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

        Example:
            ```python
            first, second = module.resolve(RequestContext), module.resolve(RequestContext)
            assert first is not second
            ```
        """
        self._runtime.check_open()
        require_token(token, "module.resolve()")
        container = self._container
        with container.resolving_for(container.topology.owner_path(token)):
            return container.get(token)

    def select(self, module: type) -> ModuleView:
        """Look providers up as seen from one module: what it may inject.

        Example:
            ```python
            module.select(ItemModule).get(ItemService)
            ```
        """
        self._runtime.check_open()
        topology = self._container.topology
        ref = topology.ref_of(module)
        if ref is None:
            names = [r.metatype for r in topology.refs]
            raise UnknownTokenError(
                f"{token_name(module)} is not a module of this testing module."
                f"{did_you_mean(module, names)}",
                token=module,
            )
        return ModuleView(
            topology,
            ref,
            self.get,
            self.resolve,
            self._container.supplied_by_mocker,
            self._unknown,
        )

    def _singleton_tokens(self) -> list[Hashable]:
        """Tokens registered (everywhere) as singletons, controllers included."""
        tokens = dict.fromkeys(self._container.topology.known_tokens)
        return [
            token
            for token in tokens
            if all(d.scope == Scope.SINGLETON for d in self._container.descriptors_for(token))
        ]

    def _known_tokens(self) -> set[Hashable]:
        return self._container.topology.known_tokens | set(self._runtime.depends)

    def _unknown(self, token: object) -> UnknownTokenError:
        container = self._container
        return _graph_errors.unknown_token(
            token, container.topology.known_tokens, mocker=container.mocker is not None
        )

    # ── construction counts and identity ─────────────────────────────────────

    def assert_constructed(self, token: Hashable, times: int = 1) -> None:
        """Fail unless `token` was constructed exactly `times` times so far.

        Example:
            ```python
            module.assert_constructed(ItemService, times=1)
            ```
        """
        __tracebackhide__ = True  # a failure points at the test's line, not ours
        require_token(token, "assert_constructed()")
        require_times(times)
        self.constructions[token]  # unknown tokens fail loudly, not as "0 != 1"
        message = _assertions.constructed_times(token, times, self._ledger.constructions_of(token))
        if message:
            raise AssertionError(message)

    def assert_singleton(self, token: Hashable) -> None:
        """Fail unless `token` is registered as a singleton, was built at most once (by
        the container or a `Depends`), and every consumer holds the very object
        `module.get(token)` returns.

        Example:
            ```python
            for _ in range(10):
                module.client.get("/items")
            module.assert_singleton(Logger)
            ```
        """
        __tracebackhide__ = True
        self._runtime.check_open()
        require_token(token, "assert_singleton()")
        constructions = self._ledger.constructions_of(token)
        descriptors = self._container.descriptors_for(token)
        if self._container.value_dropped(token):
            raise AssertionError(_assertions.dropped_value(token))
        if not descriptors and self._container.supplied_by_mocker(token):
            injections = self._ledger.injections_of(token)
            message = _assertions.shared_instance(token, self.get(token), injections)
            if message:
                raise AssertionError(message)
            return
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
            owner = self._container.topology.owner_of(injection.consumer.token)
            if owner is not None:
                modules.setdefault(
                    f"{self._container.topology.name_of(owner)} (where "
                    f"{token_name(injection.consumer.token)} lives)"
                )
        return ", ".join(modules) or "the module whose providers use it"

    def expect_constructions(self, expected: Mapping[Hashable, int]) -> _ExpectConstructions:
        """Fail if, inside the block, the listed tokens were not constructed exactly the
        given number of times.

        Example:
            ```python
            with module.expect_constructions({ItemService: 0, RequestContext: 3}):
                for _ in range(3):
                    module.client.get("/items")
            ```
        """
        __tracebackhide__ = True
        for token in expected:
            self.constructions[token]  # an unknown token is a typo: fail before the block
        return _ExpectConstructions(self._ledger, dict(expected))

    @contextmanager
    def track_constructions(self) -> Iterator[dict[Hashable, int]]:
        """Yield a dict that, when the block ends, holds what was constructed inside it.

        Example:
            ```python
            with module.track_constructions() as delta:
                module.client.get("/items")
            assert delta == {}   # nothing was built while serving that request
            ```
        """
        delta: dict[Hashable, int] = {}
        before = self._ledger.snapshot()
        try:
            yield delta
        finally:
            delta.update(+(self._ledger.snapshot() - before))


class _ExpectConstructions:
    """The block of `expect_constructions`: a class, not a generator, so that a failure
    shows the test's `with` line and no frame of ours or of contextlib."""

    def __init__(self, ledger: Ledger, expected: dict[Hashable, int]) -> None:
        self._ledger = ledger
        self._expected = expected
        self._before: Counter[Hashable] = Counter()

    def __enter__(self) -> None:
        self._before = self._ledger.snapshot()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        __tracebackhide__ = True
        if exc_type is not None:  # the block's own error is the one to see
            return
        delta = +(self._ledger.snapshot() - self._before)
        message = _assertions.expected_deltas(self._expected, delta)
        if message:
            raise AssertionError(message)


__all__ = ["ModuleView", "TestingModule"]

"""The compiled testing module: the user's API over the app and its clients.

`TestingModule` is what a test talks to. It serves the app (HTTP clients, the CLI,
`init`/`close`); the lookups, the graph and the construction counts it inherits from
`nest_testing._module_context.ModuleContext`. It keeps no loop, portal or lifespan of
its own: opening, serving and closing are the `nest_testing._runtime.Runtime`'s, the
graph is the container's. Its methods check the user's input and delegate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click
import httpx2
from fastapi import FastAPI
from nest.core.pynest_application import PyNestApp

from nest_testing._cli import build_cli, invoke
from nest_testing._clients import AsyncClientBlock, async_client
from nest_testing._container import TestingContainer
from nest_testing._ledger import Ledger
from nest_testing._module_context import ModuleContext
from nest_testing._module_view import ModuleView
from nest_testing._runtime import Runtime
from nest_testing.errors import (
    NestTestingError,
    UsageError,
)

if TYPE_CHECKING:
    from click.testing import Result
    from starlette.testclient import TestClient
    from typing_extensions import Self

    from nest_testing._test_database import TestDatabase


class TestingModule(ModuleContext):
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
        super().__init__(container, ledger, runtime)
        self._cli: click.Group | None = None

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


__all__ = ["ModuleView", "TestingModule"]

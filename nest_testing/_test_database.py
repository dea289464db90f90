"""`module.database`: the handle a test holds on its testing module's test database.

One job: the public face of `nest_testing._database` for one open module (URL,
engine, sessions, reset), running database work on the module's loop when the provider is
async. Imports nothing of SQLAlchemy at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio.from_thread
import anyio.to_thread

from nest_testing._database import DatabaseExtension
from nest_testing._extensions import ModuleExtension
from nest_testing.errors import UsageError

if TYPE_CHECKING:
    from nest_testing._database_backends import Lease


def _drive(coroutine: Any) -> Any:
    """Run a coroutine that never suspends (database work on a sync engine) to its end."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("a sync database step suspended")  # pragma: no cover - a bug of ours


class TestDatabase:
    """The test database a testing module's ORM provider talks to: `module.database`.

    Made by `builder.use_database(config)`. `session()` opens a session on the same
    database (and, on PostgreSQL with `transaction=False`, the same transaction) as the
    app's, to arrange data and to check what the app wrote; `reset()` empties every
    table, schema kept, for tests that share one module.

    Example:
        ```python
        module = Test.create_testing_module(imports=[AppModule]).use_database(config).compile()
        with module.database.session() as session:
            session.add(User(name="ada"))
            session.commit()
        assert module.client.get("/user/").json() == [{"id": 1, "name": "ada"}]
        ```
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        extension: DatabaseExtension,
        portal: anyio.from_thread.BlockingPortal | None,
        loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        self._extension = extension
        self._portal = portal
        self._loop = loop

    def _lease(self) -> Lease:
        lease = self._extension.lease
        if lease is None:
            raise UsageError("This testing module is closed; its test database is gone.")
        return lease

    @property
    def url(self) -> str:
        """The test database's URL, password hidden: `sqlite+pysqlite://` (in memory) or
        `postgresql+psycopg://postgres@127.0.0.1:5432/nest_testing_...`."""
        from nest_testing._database_targets import shown

        return shown(self._lease().url)

    @property
    def backend(self) -> str:
        """`"sqlite"` or `"postgresql"`."""
        return "postgresql" if self._extension.target.backend == "postgresql" else "sqlite"

    @property
    def is_async(self) -> bool:
        """Whether the provider is an `AsyncOrmProvider` (sessions are `AsyncSession`)."""
        return self._extension.is_async

    @property
    def transaction(self) -> bool:
        """The `transaction=` given to `use_database`: real commits when true."""
        return self._extension.transaction

    @property
    def rolls_back(self) -> bool:
        """Whether the module's work runs in one outer transaction rolled back at close
        (PostgreSQL with `transaction=False`); otherwise commits are real."""
        return self._lease().rolls_back

    @property
    def engine(self) -> Any:
        """The test database's SQLAlchemy `Engine` / `AsyncEngine` (`config.engine`
        while the module is open)."""
        return self._lease().engine

    def session(self) -> Any:
        """A new `Session` (`AsyncSession` for async providers) made by the provider's
        own, swapped, session factory: what `config.get_session()` would give the app.
        Close it, or use it as a (async) context manager.

        Example:
            ```python
            with module.database.session() as session:
                assert session.scalar(select(func.count()).select_from(User)) == 1
            ```
        """
        self._lease()
        return self._extension.provider.session()

    def reset(self) -> None:
        """Empty every table, schema kept: roll back the outer transaction and begin a new
        one, or delete every row. For tests that share one testing module.

        Example:
            ```python
            @pytest.fixture
            def clean(module):
                yield
                module.database.reset()
            ```
        """
        lease = self._lease()
        if not self._extension.is_async:
            _drive(lease.reset())
        elif self._portal is not None:
            self._portal.call(lease.reset)
        else:
            raise UsageError(
                "This module lives on your test's event loop (compile_async) and its provider "
                "is async: use `await module.database.areset()`."
            )

    async def areset(self) -> None:
        """`reset()` for async code; on the module's loop for async providers.

        Example:
            ```python
            await module.database.areset()
            ```
        """
        lease = self._lease()
        if not self._extension.is_async:
            _drive(lease.reset())
        elif self._portal is not None:
            await anyio.to_thread.run_sync(self._portal.call, lease.reset)
        else:
            if asyncio.get_running_loop() is not self._loop:
                raise UsageError(
                    "module.database.areset() must run on the event loop the module was "
                    "compiled on."
                )
            await lease.reset()


def database_of(
    extensions: Sequence[ModuleExtension],
    portal: anyio.from_thread.BlockingPortal | None,
    loop: asyncio.AbstractEventLoop | None,
) -> TestDatabase:
    """`module.database`: the one database extension of a testing module."""
    found = [e for e in extensions if isinstance(e, DatabaseExtension)]
    if len(found) != 1:
        raise UsageError(
            "module.database: this testing module uses "
            + (
                "no database; add builder.use_database(config)."
                if not found
                else f"{len(found)} databases; module.database needs exactly one."
            )
        )
    return TestDatabase(found[0], portal, loop)


__all__ = ["TestDatabase", "database_of"]

"""``use_database``: a PyNest ORM provider talks to a test database for one testing module.

One job: swap what the app's module-level ``config`` (``OrmProvider`` /
``AsyncOrmProvider``) reaches (``engine``, ``session``, ``config_url``) for a test database
while the module is open, restore it at close whatever happens, and refuse a second open
module on the same ``config``. The databases themselves are made in
:mod:`nest_testing._database_backends` (imported lazily: it imports SQLAlchemy, and
nothing here may at import time). Must not touch the configured database.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio.from_thread
import anyio.to_thread

from nest_testing._extensions import ModuleExtension
from nest_testing.errors import DatabaseError, UsageError

if TYPE_CHECKING:
    from nest_testing._database_backends import Lease, Target

# The instance attributes every provider method reads; nothing else of the provider changes.
_SWAPPED = ("engine", "session", "config_url")
_OPEN: dict[int, str] = {}  # id(provider) -> the open module using it
_OPEN_LOCK = threading.Lock()


def provider_name(provider: object) -> str:
    """``src.config.config`` for a module-level provider, else its class name."""
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict) or module_name.startswith(("nest.", "sqlalchemy")):
            continue
        for name, value in list(namespace.items()):
            if value is provider and not name.startswith("_"):
                return f"{module_name}.{name}"
    return f"{type(provider).__name__} object"


def provider_kind(provider: object) -> bool:
    """Whether ``provider`` is async (``AsyncOrmProvider``) or sync (``OrmProvider``); a
    :class:`UsageError` for anything else, ODM providers included."""
    __tracebackhide__ = True
    cls = provider if isinstance(provider, type) else type(provider)
    if any(base.__name__ == "OdmProvider" for base in cls.__mro__):
        raise UsageError(
            f"use_database({provider_name(provider)}): OdmProvider (MongoDB through Beanie) is "
            "not supported. nest-testing only makes real test databases, and no MongoDB server "
            "can be installed here to test against; see docs/database.md#mongodb-odm-apps "
            "for what to do instead."
        )
    try:
        from nest.core.database.orm_provider import AsyncOrmProvider, BaseOrmProvider
    except ImportError as exc:
        raise DatabaseError(
            f"use_database() needs SQLAlchemy: pip install 'nest-testing[sqlalchemy]' ({exc})."
        ) from exc
    if isinstance(provider, type) and issubclass(provider, BaseOrmProvider):
        raise UsageError(
            f"use_database({provider.__name__}): pass the provider instance your app uses "
            "(the module-level `config = OrmProvider(...)` in src/config.py), not its class."
        )
    if not isinstance(provider, BaseOrmProvider):
        raise UsageError(
            f"use_database() takes the PyNest OrmProvider or AsyncOrmProvider your app's "
            f"routes and services use (`config` in src/config.py); got {provider!r}."
        )
    if isinstance(provider, AsyncOrmProvider):
        return True
    from sqlalchemy.ext.asyncio import AsyncEngine

    return isinstance(getattr(provider, "engine", None), AsyncEngine)


def resolve(provider: object, url: str | None) -> tuple[bool, Target]:
    """The provider's kind and where its test database goes: ``url``, else
    ``NEST_TESTING_DATABASE_URL``, else SQLite in memory. Checked now, connected later."""
    __tracebackhide__ = True
    is_async = provider_kind(provider)
    from nest_testing._database_backends import ENV_URL, resolve_target

    if url is not None:
        source = "url="
    elif os.environ.get(ENV_URL):
        url, source = os.environ[ENV_URL], ENV_URL
    else:
        source = "the default"
    return is_async, resolve_target(url, is_async=is_async, source=source)


def owner_of(imports: Sequence[type]) -> str:
    """How messages name a testing module: its imports, and the test that compiled it."""
    names = ", ".join(module.__name__ for module in imports) or "no imports"
    test = os.environ.get("PYTEST_CURRENT_TEST")
    return f"the testing module of [{names}]" + (f" (test {test})" if test else "")


class DatabaseExtension(ModuleExtension):
    """The ``use_database`` feature of one testing module (see :mod:`nest_testing._extensions`)."""

    def __init__(
        self, provider: Any, target: Target, *, is_async: bool, transaction: bool, owner: str
    ) -> None:
        self.provider = provider
        self.target = target
        self.is_async = is_async
        self.transaction = transaction
        self.owner = owner
        self.lease: Lease | None = None
        self._saved: dict[str, object] | None = None
        self._claimed = False

    async def start(self) -> None:
        self._claim()
        try:
            await self._open()
            self._swap()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Restore the provider first, whatever else fails, then give the database back."""
        try:
            self._restore()
        finally:
            lease, self.lease = self.lease, None
            try:
                if lease is not None:
                    await lease.close()
            finally:
                self._release()

    def _claim(self) -> None:
        with _OPEN_LOCK:
            holder = _OPEN.get(id(self.provider))
            if holder is not None:
                raise UsageError(
                    f"use_database({provider_name(self.provider)}): {holder} is still open and "
                    f"holds this provider's test database; {self.owner} cannot take it too. "
                    "A provider is one module-level object, so one testing module at a time "
                    "may swap it: close the other module first (module.close(), or its "
                    "`with` block). Under xdist each worker is a process of its own."
                )
            _OPEN[id(self.provider)] = self.owner
            self._claimed = True

    def _release(self) -> None:
        if self._claimed:
            with _OPEN_LOCK:
                _OPEN.pop(id(self.provider), None)
            self._claimed = False

    async def _open(self) -> None:
        from nest_testing._database_backends import Lease

        echo = bool(getattr(getattr(self.provider, "engine", None), "echo", False))
        metadata = self.provider.Base.metadata
        self.lease = Lease(
            self.target, metadata, transaction=self.transaction, engine_options={"echo": echo}
        )
        try:
            await self.lease.open()
        except Exception as exc:  # the driver's own errors are not always SQLAlchemy's
            raise DatabaseError(
                f"use_database({provider_name(self.provider)}): could not make the test "
                f"database on {self.target.describe()}: {type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}. Is the "
                "server running and does it accept this user? The configured database was "
                "not touched."
            ) from exc

    def _swap(self) -> None:
        from nest_testing._database_backends import session_factory

        lease, provider = self.lease, self.provider
        assert lease is not None
        attributes = vars(provider)
        self._saved = {name: attributes[name] for name in _SWAPPED if name in attributes}
        provider.engine = lease.engine
        provider.session = session_factory(
            attributes.get("session"), lease, is_async=self.is_async
        )
        provider.config_url = lease.url.render_as_string(hide_password=False)

    def _restore(self) -> None:
        saved, self._saved = self._saved, None
        if saved is None:
            return
        attributes = vars(self.provider)
        for name in _SWAPPED:
            if name in saved:
                attributes[name] = saved[name]
            else:
                attributes.pop(name, None)


def _drive(coroutine: Any) -> Any:
    """Run a coroutine that never suspends (database work on a sync engine) to its end."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("a sync database step suspended")  # pragma: no cover - a bug of ours


class TestDatabase:
    """The test database a testing module's ORM provider talks to: ``module.database``.

    Made by ``builder.use_database(config)``. ``session()`` opens a session on the same
    database (and, on PostgreSQL with ``transaction=False``, the same transaction) as the
    app's, to arrange data and to check what the app wrote; ``reset()`` empties every
    table, schema kept, for tests that share one module.

    Example::

        module = Test.create_testing_module(imports=[AppModule]).use_database(config).compile()
        with module.database.session() as session:
            session.add(User(name="ada"))
            session.commit()
        assert module.client.get("/user/").json() == [{"id": 1, "name": "ada"}]
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
        """The test database's URL, password hidden: ``sqlite+pysqlite://`` (in memory) or
        ``postgresql+psycopg://postgres@127.0.0.1:5432/nest_testing_...``."""
        from nest_testing._database_backends import shown

        return shown(self._lease().url)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return "postgresql" if self._extension.target.backend == "postgresql" else "sqlite"

    @property
    def is_async(self) -> bool:
        """Whether the provider is an ``AsyncOrmProvider`` (sessions are ``AsyncSession``)."""
        return self._extension.is_async

    @property
    def transaction(self) -> bool:
        """The ``transaction=`` given to ``use_database``: real commits when true."""
        return self._extension.transaction

    @property
    def rolls_back(self) -> bool:
        """Whether the module's work runs in one outer transaction rolled back at close
        (PostgreSQL with ``transaction=False``); otherwise commits are real."""
        return self._lease().rolls_back

    @property
    def engine(self) -> Any:
        """The test database's SQLAlchemy ``Engine`` / ``AsyncEngine`` (``config.engine``
        while the module is open)."""
        return self._lease().engine

    def session(self) -> Any:
        """A new ``Session`` (``AsyncSession`` for async providers) made by the provider's
        own, swapped, session factory: what ``config.get_session()`` would give the app.
        Close it, or use it as a (async) context manager.

        Example::

            with module.database.session() as session:
                assert session.scalar(select(func.count()).select_from(User)) == 1
        """
        self._lease()
        return self._extension.provider.session()

    def reset(self) -> None:
        """Empty every table, schema kept: roll back the outer transaction and begin a new
        one, or delete every row. For tests that share one testing module.

        Example::

            @pytest.fixture
            def clean(module):
                yield
                module.database.reset()
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
        """``reset()`` for async code; on the module's loop for async providers.

        Example::

            await module.database.areset()
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
    """``module.database``: the one database extension of a testing module."""
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


__all__ = ["DatabaseExtension", "TestDatabase", "database_of", "owner_of", "resolve"]

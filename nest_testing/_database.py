"""`use_database`: a PyNest ORM provider talks to a test database for one testing module.

One job: swap what the app's module-level `config` (`OrmProvider` /
`AsyncOrmProvider`) reaches (`engine`, `session`, `config_url`) for a test database
while the module is open, restore it at close whatever happens, and refuse a second open
module on the same `config`. The databases themselves are made in
`nest_testing._database_backends` (imported lazily: it imports SQLAlchemy, and
nothing here may at import time). Must not touch the configured database.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nest_testing._extensions import ModuleExtension
from nest_testing.errors import DatabaseError, UsageError

if TYPE_CHECKING:
    from nest_testing._database_backends import Lease
    from nest_testing._database_targets import Target

# The instance attributes every provider method reads; nothing else of the provider changes.
_SWAPPED = ("engine", "session", "config_url")
_OPEN: dict[int, str] = {}  # id(provider) -> the open module using it
_OPEN_LOCK = threading.Lock()


def provider_name(provider: object) -> str:
    """`src.config.config` for a module-level provider, else its class name.

    The app's own module wins over the test modules and scripts that imported the
    provider from it (`from src.config import config` puts it in their globals too)."""
    found: list[str] = []
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict) or module_name.startswith(("nest.", "sqlalchemy")):
            continue
        for name, value in list(namespace.items()):
            if value is provider and not name.startswith("_"):
                found.append(f"{module_name}.{name}")
                break
    if not found:
        return f"{type(provider).__name__} object"
    return min(found, key=_importer_rank)


def _importer_rank(qualified: str) -> int:
    """0 for an app module, 1 for a test module, conftest or `__main__`."""
    parts = qualified.split(".")[:-1]
    importer = parts[0] == "__main__" or any(
        part.startswith("test") or part == "conftest" for part in parts
    )
    return int(importer)


def provider_kind(provider: object) -> bool:
    """Whether `provider` is async (`AsyncOrmProvider`) or sync (`OrmProvider`); a
    `UsageError` for anything else, ODM providers included."""
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
    """The provider's kind and where its test database goes: `url`, else
    `NEST_TESTING_DATABASE_URL`, else SQLite in memory. Checked now, connected later."""
    __tracebackhide__ = True
    is_async = provider_kind(provider)
    from nest_testing._database_targets import ENV_URL, resolve_target

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
    """The `use_database` feature of one testing module (see `nest_testing._extensions`)."""

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


__all__ = ["DatabaseExtension", "owner_of", "provider_name", "resolve"]

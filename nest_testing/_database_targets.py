"""Where `use_database` makes a test database: the URL checked, and engines on it.

One job: turn `url=` / `NEST_TESTING_DATABASE_URL` / nothing into a checked
`Target` (backend, driver matching the provider's sync/async kind, installed), and
the few engine steps the other database modules share, sync or async alike. Connects to
nothing by itself; imports SQLAlchemy, so it is imported only when a module uses a database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import make_url
from sqlalchemy.engine import URL, Connection, Engine, create_engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from nest_testing.errors import DatabaseError

T = TypeVar("T")

ENV_URL = "NEST_TESTING_DATABASE_URL"
_DEFAULT_DRIVERS = {
    ("sqlite", False): "pysqlite",
    ("sqlite", True): "aiosqlite",
    ("postgresql", False): "psycopg",
    ("postgresql", True): "asyncpg",
}
_PACKAGES = {"pysqlite": "the standard library's sqlite3", "psycopg": "psycopg[binary]"}


def shown(url: URL | str) -> str:
    """A URL as messages show it: the password hidden."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


@dataclass(frozen=True)
class Target:
    """Where a testing module's test database is made, and with which driver."""

    url: URL  # SQLite: the database itself; PostgreSQL: the server's database to connect to
    is_async: bool
    backend: str  # "sqlite-memory", "sqlite-file" or "postgresql"
    source: str  # how the user chose it, for messages

    def describe(self) -> str:
        return f"{shown(self.url)} ({self.source})"


def resolve_target(raw: str | None, *, is_async: bool, source: str) -> Target:
    """The target named by `raw` (`None`: SQLite in memory), checked without connecting:
    SQLAlchemy can parse it, the backend is SQLite or PostgreSQL, the driver matches the
    provider's sync/async kind and is installed."""
    if raw is None:
        driver = _DEFAULT_DRIVERS[("sqlite", is_async)]
        return Target(make_url(f"sqlite+{driver}://"), is_async, "sqlite-memory", source)
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseError(
            f"use_database(): SQLAlchemy cannot parse {shown(raw)!r} ({source}) as a database "
            "URL. Write it as dialect[+driver]://user:password@host:port/database, e.g. "
            "postgresql://postgres@127.0.0.1:5432/postgres."
        ) from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"use_database(): {shown(url)} ({source}) is a {backend} URL; nest-testing makes "
            "test databases on SQLite (the default, in memory) and PostgreSQL."
        )
    kind = "async" if is_async else "sync"
    if "+" not in url.drivername:
        url = url.set(drivername=f"{backend}+{_DEFAULT_DRIVERS[(backend, is_async)]}")
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise DatabaseError(
            f"use_database(): SQLAlchemy has no driver {url.drivername!r} ({source})."
        ) from None
    if bool(getattr(dialect, "is_async", False)) != is_async:
        wanted = _DEFAULT_DRIVERS[(backend, is_async)]
        provider = "AsyncOrmProvider" if is_async else "OrmProvider"
        raise DatabaseError(
            f"use_database(): the provider is {kind} ({provider}) "
            f"but {shown(url)} ({source}) uses the {'sync' if is_async else 'async'} driver "
            f"{dialect.driver!r}; use {backend}+{wanted}://... or leave the driver out."
        )
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        package = _PACKAGES.get(dialect.driver, dialect.driver)
        raise DatabaseError(
            f"use_database(): the {kind} driver {dialect.driver!r} for {shown(url)} ({source}) "
            f"is not installed ({exc}); pip install {package} (or nest-testing[postgresql])."
        ) from exc
    if backend == "postgresql":
        return Target(url, is_async, "postgresql", source)
    memory = url.database in (None, "", ":memory:")
    return Target(url, is_async, "sqlite-memory" if memory else "sqlite-file", source)


# ── engines and statements, sync or async alike ────────────────────────────────


def engine(url: URL, is_async: bool, **options: Any) -> Any:
    return create_async_engine(url, **options) if is_async else create_engine(url, **options)


async def in_transaction(engine: Engine | AsyncEngine, work: Callable[[Connection], T]) -> T:
    """`work(connection)` in a transaction of its own, committed."""
    if isinstance(engine, AsyncEngine):
        async with engine.begin() as aconn:
            return await aconn.run_sync(work)
    with engine.begin() as conn:
        return work(conn)


async def dispose(engine: Engine | AsyncEngine) -> None:
    if isinstance(engine, AsyncEngine):
        await engine.dispose()
    else:
        engine.dispose()


__all__ = ["ENV_URL", "Target", "dispose", "engine", "in_transaction", "resolve_target", "shown"]

"""The test databases behind ``use_database``: what a URL names, making one, handing it back.

One job: SQLAlchemy-level work on databases the toolkit itself creates for a testing
module (SQLite in memory or in a file of its own, a PostgreSQL database of its own), and
the sessions bound to them. It must not connect to the app's configured database, and
knows nothing of PyNest providers or pytest. It imports SQLAlchemy, so it is imported only
when a testing module uses a database.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import MetaData, Table, exists, literal, make_url, or_, select
from sqlalchemy.engine import URL, Connection, Engine, create_engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool

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
_CONNECT_TIMEOUT = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout"}
_NAME_PREFIX = "nest_testing_"


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
    """The target named by ``raw`` (``None``: SQLite in memory), checked without connecting:
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


def _engine(url: URL, is_async: bool, **options: Any) -> Any:
    return create_async_engine(url, **options) if is_async else create_engine(url, **options)


async def _in_transaction(engine: Engine | AsyncEngine, work: Callable[[Connection], T]) -> T:
    """``work(connection)`` in a transaction of its own, committed."""
    if isinstance(engine, AsyncEngine):
        async with engine.begin() as aconn:
            return await aconn.run_sync(work)
    with engine.begin() as conn:
        return work(conn)


async def _dispose(engine: Engine | AsyncEngine) -> None:
    if isinstance(engine, AsyncEngine):
        await engine.dispose()
    else:
        engine.dispose()


async def _admin(target: Target, statement: str) -> None:
    """One statement on the PostgreSQL server outside a transaction (CREATE/DROP DATABASE)."""
    connect_args: dict[str, Any] = {}
    driver = target.url.get_dialect().driver
    connect_args[_CONNECT_TIMEOUT.get(driver, "timeout")] = 10
    engine = _engine(
        target.url,
        target.is_async,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args=connect_args,
    )
    try:
        if isinstance(engine, AsyncEngine):
            async with engine.connect() as aconn:
                await aconn.exec_driver_sql(statement)
        else:
            with engine.connect() as conn:
                conn.exec_driver_sql(statement)
    finally:
        await _dispose(engine)


# ── PostgreSQL: databases of this process, kept clean between testing modules ──


def _fingerprint(metadata: MetaData) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((t.fullname, tuple(c.name for c in t.columns)) for t in metadata.sorted_tables)


@dataclass
class _Pool:
    clean: dict[tuple[object, ...], list[str]] = field(default_factory=dict)
    created: dict[str, Target] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    registered: bool = False


_POOL = _Pool()


def _take_clean(key: tuple[object, ...]) -> str | None:
    with _POOL.lock:
        names = _POOL.clean.get(key)
        return names.pop() if names else None


def _give_back(key: tuple[object, ...], name: str) -> None:
    with _POOL.lock:
        _POOL.clean.setdefault(key, []).append(name)


async def _create_database(target: Target, metadata: MetaData) -> str:
    # pid and a random part: xdist workers, and parallel CI runs on one server, never meet.
    name = f"{_NAME_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"
    await _admin(target, f'CREATE DATABASE "{name}"')
    with _POOL.lock:
        _POOL.created[name] = target
        if not _POOL.registered:
            atexit.register(drop_databases)
            _POOL.registered = True
    engine = _engine(target.url.set(database=name), target.is_async, poolclass=NullPool)
    try:
        await _in_transaction(engine, metadata.create_all)
    finally:
        await _dispose(engine)
    return name


async def _drop_database(name: str) -> None:
    with _POOL.lock:
        target = _POOL.created.pop(name, None)
        for names in _POOL.clean.values():
            if name in names:
                names.remove(name)
    if target is not None:
        await _admin(target, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_databases() -> list[str]:
    """Drop every PostgreSQL test database this process made (at exit, and when the pytest
    session ends); returns the names of those that could not be dropped."""
    with _POOL.lock:
        names = list(_POOL.created)
    failed: list[str] = []
    for name in names:
        try:
            asyncio.run(_drop_database(name))
        except (OSError, SQLAlchemyError):
            failed.append(name)
    return failed


# ── a testing module's database ────────────────────────────────────────────────


def _has_rows(tables: list[Table]) -> Callable[[Connection], bool]:
    def check(conn: Connection) -> bool:
        if not tables:
            return False
        query = select(or_(*(exists(select(literal(1)).select_from(t)) for t in tables)))
        return bool(conn.execute(query).scalar())

    return check


def _truncate(tables: list[Table]) -> Callable[[Connection], None]:
    def truncate(conn: Connection) -> None:
        if not tables:
            return
        if conn.dialect.name == "postgresql":
            names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        for table in reversed(tables):
            conn.execute(table.delete())

    return truncate


def _restart_sequences(conn: Connection) -> None:
    """PostgreSQL sequences ignore rollbacks: restart them all, so that ids begin at 1 in
    every testing module, as on a new database (one statement, whatever their number)."""
    conn.exec_driver_sql(
        "SELECT setval(c.oid, s.seqstart, false) FROM pg_class c "
        "JOIN pg_sequence s ON s.seqrelid = c.oid WHERE c.relkind = 'S'"
    )


class Lease:
    """One testing module's test database: its engine, and with ``transaction=False`` on
    PostgreSQL the outer transaction every session of the module joins."""

    def __init__(
        self,
        target: Target,
        metadata: MetaData,
        *,
        transaction: bool,
        engine_options: dict[str, Any],
    ) -> None:
        self.target = target
        self.metadata = metadata
        self.transaction = transaction
        self._engine_options = engine_options
        self._key = (str(target.url), target.is_async, _fingerprint(metadata))
        self.url: URL = target.url
        self.engine: Any = None
        self.outer: Connection | AsyncConnection | None = None
        self._outer_transaction: Any = None
        self._name: str | None = None
        self._file: Path | None = None

    @property
    def rolls_back(self) -> bool:
        """Whether the module's work is undone by rolling back one outer transaction."""
        return self.outer is not None

    async def open(self) -> None:
        """Create (or take a clean) test database with the schema; connect."""
        target, options = self.target, self._engine_options
        if target.backend == "sqlite-memory":
            # One connection for every session and thread: SQLAlchemy's own recipe for a
            # memory database shared across threads.
            self.engine = _engine(
                target.url,
                target.is_async,
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
                **options,
            )
            await _in_transaction(self.engine, self.metadata.create_all)
            return
        if target.backend == "sqlite-file":
            given = Path(str(target.url.database))
            self._file = given.with_name(f"{given.stem}.{uuid.uuid4().hex[:10]}{given.suffix}")
            self.url = target.url.set(database=str(self._file))
            self.engine = _engine(self.url, target.is_async, **options)
            await _in_transaction(self.engine, self.metadata.create_all)
            return
        self._name = _take_clean(self._key) or await _create_database(target, self.metadata)
        self.url = target.url.set(database=self._name)
        self.engine = _engine(self.url, target.is_async, **options)
        if not self.transaction:
            await self._begin_outer()

    async def _begin_outer(self) -> None:
        if isinstance(self.engine, AsyncEngine):
            aconn = await self.engine.connect()
            self._outer_transaction = await aconn.begin()
            self.outer = aconn
        else:
            conn = self.engine.connect()
            self._outer_transaction = conn.begin()
            self.outer = conn

    async def _end_outer(self) -> None:
        outer, transaction = self.outer, self._outer_transaction
        self.outer = self._outer_transaction = None
        if outer is None:
            return
        if isinstance(outer, AsyncConnection):
            try:
                if transaction.is_active:
                    await transaction.rollback()
            finally:
                await outer.close()
        else:
            try:
                if transaction.is_active:
                    transaction.rollback()
            finally:
                outer.close()

    async def reset(self) -> None:
        """Empty every table, schema kept: roll back the outer transaction and begin a new
        one on the same connection (the session factory stays bound to it), or delete the
        rows (truncate on PostgreSQL); PostgreSQL sequences restart."""
        outer, transaction = self.outer, self._outer_transaction
        if isinstance(outer, AsyncConnection):
            if transaction.is_active:
                await transaction.rollback()
            self._outer_transaction = await outer.begin()
        elif outer is not None:
            if transaction.is_active:
                transaction.rollback()
            self._outer_transaction = outer.begin()
        else:
            await _in_transaction(self.engine, _truncate(self.metadata.sorted_tables))
        if self._name is not None:
            await _in_transaction(self.engine, _restart_sequences)

    async def close(self) -> None:
        """Undo the module's work and give the database back: SQLite's is discarded; a
        PostgreSQL database goes back to this process's clean pool (rows truncated if a
        commit reached it), or is dropped if it cannot be made clean."""
        try:
            await self._end_outer()
        finally:
            try:
                if self._name is not None:
                    await self._clean_postgresql()
            finally:
                if self.engine is not None:
                    await _dispose(self.engine)
                if self._file is not None:
                    for suffix in ("", "-journal", "-wal", "-shm"):
                        Path(f"{self._file}{suffix}").unlink(missing_ok=True)

    async def _clean_postgresql(self) -> None:
        assert self._name is not None
        tables = self.metadata.sorted_tables
        try:
            if await _in_transaction(self.engine, _has_rows(tables)):
                await _in_transaction(self.engine, _truncate(tables))
            await _in_transaction(self.engine, _restart_sequences)
        except (OSError, SQLAlchemyError):
            await _dispose(self.engine)
            await _drop_database(self._name)
            return
        _give_back(self._key, self._name)


def session_factory(original: Any, lease: Lease, *, is_async: bool) -> Any:
    """A session factory like the provider's (same class, same options) bound to the test
    database; with an outer transaction, sessions join it through SAVEPOINTs, so the app's
    ``commit()`` and ``rollback()`` work and the outer rollback undoes them all
    (SQLAlchemy's "joining a session into an external transaction" recipe)."""
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from sqlalchemy.orm import Session, sessionmaker

    maker: Any = async_sessionmaker if is_async else sessionmaker
    options: dict[str, Any] = {}
    if isinstance(original, maker):
        maker = type(original)
        options = {key: value for key, value in original.kw.items() if key != "bind"}
        options["class_"] = original.class_
    else:
        options["class_"] = AsyncSession if is_async else Session
    if lease.outer is not None:
        options["join_transaction_mode"] = "create_savepoint"
    return maker(bind=lease.outer if lease.outer is not None else lease.engine, **options)


__all__ = ["ENV_URL", "Lease", "Target", "drop_databases", "resolve_target", "session_factory"]

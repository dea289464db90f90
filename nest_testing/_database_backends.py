"""A testing module's test database: made, reset and given back (`Lease`), and the
session factory the provider gets while the module is open.

One job: one module's database, from open to close, on the target the user chose. Must not
connect to the app's configured database, and knows nothing of PyNest providers or pytest.
Imports SQLAlchemy, so it is imported only when a testing module uses a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, exists, literal, or_, select
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool

from nest_testing import _database_postgres as postgres
from nest_testing._database_postgres import drop_databases
from nest_testing._database_targets import Target, dispose, engine, in_transaction


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


class Lease:
    """One testing module's test database: its engine, and with `transaction=False` on
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
        self._key = (str(target.url), target.is_async, postgres.fingerprint(metadata))
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
            self.engine = engine(
                target.url,
                target.is_async,
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
                **options,
            )
            await in_transaction(self.engine, self.metadata.create_all)
            return
        if target.backend == "sqlite-file":
            given = Path(str(target.url.database))
            self._file = given.with_name(f"{given.stem}.{uuid.uuid4().hex[:10]}{given.suffix}")
            self.url = target.url.set(database=str(self._file))
            self.engine = engine(self.url, target.is_async, **options)
            await in_transaction(self.engine, self.metadata.create_all)
            return
        self._name = postgres.take_clean(self._key) or await postgres.create_database(
            target, self.metadata
        )
        self.url = target.url.set(database=self._name)
        self.engine = engine(self.url, target.is_async, **options)
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
            await in_transaction(self.engine, _truncate(self.metadata.sorted_tables))
        if self._name is not None:
            await in_transaction(self.engine, postgres.restart_sequences)

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
                    await dispose(self.engine)
                if self._file is not None:
                    for suffix in ("", "-journal", "-wal", "-shm"):
                        Path(f"{self._file}{suffix}").unlink(missing_ok=True)

    async def _clean_postgresql(self) -> None:
        assert self._name is not None
        tables = self.metadata.sorted_tables
        try:
            if await in_transaction(self.engine, _has_rows(tables)):
                await in_transaction(self.engine, _truncate(tables))
            await in_transaction(self.engine, postgres.restart_sequences)
        except (OSError, SQLAlchemyError):
            await dispose(self.engine)
            await postgres.drop_database(self._name)
            return
        postgres.give_back(self._key, self._name)


def session_factory(original: Any, lease: Lease, *, is_async: bool) -> Any:
    """A session factory like the provider's (same class, same options) bound to the test
    database; with an outer transaction, sessions join it through SAVEPOINTs, so the app's
    `commit()` and `rollback()` work and the outer rollback undoes them all
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


__all__ = ["Lease", "drop_databases", "session_factory"]

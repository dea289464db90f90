"""PostgreSQL test databases of this process: created, kept clean for the next testing
module, dropped at the end.

One job: the server-side life of `nest_testing_<pid>_<random>` databases (CREATE with the
schema, a pool of clean ones keyed by server and tables, DROP when the process or pytest
session ends). Must not touch any database it did not create.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from nest_testing._database_targets import Target, dispose, engine, in_transaction

_CONNECT_TIMEOUT = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout"}
_NAME_PREFIX = "nest_testing_"


async def _admin(target: Target, statement: str) -> None:
    """One statement on the PostgreSQL server outside a transaction (CREATE/DROP DATABASE)."""
    connect_args: dict[str, Any] = {}
    driver = target.url.get_dialect().driver
    connect_args[_CONNECT_TIMEOUT.get(driver, "timeout")] = 10
    server = engine(
        target.url,
        target.is_async,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args=connect_args,
    )
    try:
        if isinstance(server, AsyncEngine):
            async with server.connect() as aconn:
                await aconn.exec_driver_sql(statement)
        else:
            with server.connect() as conn:
                conn.exec_driver_sql(statement)
    finally:
        await dispose(server)


def fingerprint(metadata: MetaData) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((t.fullname, tuple(c.name for c in t.columns)) for t in metadata.sorted_tables)


@dataclass
class _Pool:
    clean: dict[tuple[object, ...], list[str]] = field(default_factory=dict)
    created: dict[str, Target] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    registered: bool = False


_POOL = _Pool()


def take_clean(key: tuple[object, ...]) -> str | None:
    with _POOL.lock:
        names = _POOL.clean.get(key)
        return names.pop() if names else None


def give_back(key: tuple[object, ...], name: str) -> None:
    with _POOL.lock:
        _POOL.clean.setdefault(key, []).append(name)


async def create_database(target: Target, metadata: MetaData) -> str:
    # pid and a random part: xdist workers, and parallel CI runs on one server, never meet.
    name = f"{_NAME_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"
    await _admin(target, f'CREATE DATABASE "{name}"')
    with _POOL.lock:
        _POOL.created[name] = target
        if not _POOL.registered:
            atexit.register(drop_databases)
            _POOL.registered = True
    created = engine(target.url.set(database=name), target.is_async, poolclass=NullPool)
    try:
        await in_transaction(created, metadata.create_all)
    finally:
        await dispose(created)
    return name


async def drop_database(name: str) -> None:
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
            asyncio.run(drop_database(name))
        except (OSError, SQLAlchemyError):
            failed.append(name)
    return failed


def restart_sequences(conn: Connection) -> None:
    """PostgreSQL sequences ignore rollbacks: restart them all, so that ids begin at 1 in
    every testing module, as on a new database (one statement, whatever their number)."""
    conn.exec_driver_sql(
        "SELECT setval(c.oid, s.seqstart, false) FROM pg_class c "
        "JOIN pg_sequence s ON s.seqrelid = c.oid WHERE c.relkind = 'S'"
    )


__all__ = [
    "create_database",
    "drop_database",
    "drop_databases",
    "fingerprint",
    "give_back",
    "restart_sequences",
    "take_clean",
]

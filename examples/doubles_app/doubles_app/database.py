"""``DatabaseModule``: the database handle (``DB``) and the ``Session`` built on it.

``Database`` stands in for a real driver (SQLAlchemy's engine, an asyncpg pool): it keeps
rows in memory so the example runs anywhere, and remembers the URL it was opened with.
In production ``connect`` reads ``SIGNUP_DATABASE_URL``; tests swap the whole module for
an in-memory one with ``override_module`` (see ``tests/test_doubles_module.py``).
"""

import os
from typing import Any

from nest.core import Injectable, InjectionToken, Module

DB = InjectionToken("DB")
"""The database handle every session is opened on."""


class Database:
    """A table store: ``insert`` rows, ``select`` them back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def insert(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(dict(row))

    def select(self, table: str, **where: Any) -> list[dict[str, Any]]:
        rows = self.tables.get(table, [])
        return [dict(r) for r in rows if all(r.get(k) == v for k, v in where.items())]


class Session:
    """What repositories use: one database, rows in and out."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.db.insert(table, row)

    def query(self, table: str, **where: Any) -> list[dict[str, Any]]:
        return self.db.select(table, **where)


@Injectable
class DatabaseSettings:
    def __init__(self) -> None:
        self.url = os.environ.get("SIGNUP_DATABASE_URL", "postgresql://localhost/signup")


def connect(settings: DatabaseSettings) -> Database:
    return Database(settings.url)


def open_session(db: Database) -> Session:
    return Session(db)


@Module(
    providers=[
        DatabaseSettings,
        {"provide": DB, "useFactory": connect, "inject": [DatabaseSettings]},
        {"provide": Session, "useFactory": open_session, "inject": [DB]},
    ],
    exports=[DB, Session],
)
class DatabaseModule:
    pass

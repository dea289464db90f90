"""What the database tests share: the apps under test and a server URL, if one is reachable."""

import os
from pathlib import Path

import pytest
from nt_orm_async_app.config import config as async_config
from nt_orm_sync_app.config import config as sync_config

ENV_URL = "NEST_TESTING_DATABASE_URL"


def configured_file(config: object) -> Path:
    """The SQLite file the provider is configured with (never created by the tests)."""
    url = str(config.config_url)  # type: ignore[attr-defined]
    return Path(url.split(":///", 1)[1])


def snapshot(config: object) -> dict[str, object]:
    """The provider's own attributes, by identity: what use_database swaps and restores."""
    return dict(vars(config))


def postgres_url() -> str:
    """The server the PostgreSQL variant runs on: NEST_TESTING_DATABASE_URL (.ci/run starts
    one and sets it). Skips, saying why, when it is unset or the server does not answer."""
    url = os.environ.get(ENV_URL, "")
    if not url.startswith("postgresql"):
        pytest.skip(
            f"PostgreSQL variant: {ENV_URL} is not set to a postgresql:// URL "
            "(.ci/run starts a throwaway server and sets it)"
        )
    import psycopg
    from sqlalchemy import make_url

    parsed = make_url(url)
    try:
        psycopg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database,
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL variant: no server answers at {parsed!r}: {exc}")
    return url


__all__ = ["async_config", "configured_file", "postgres_url", "snapshot", "sync_config"]


def database_names(url: str) -> set[str]:
    """The test databases this process has on the server at `url`."""
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT datname FROM pg_database")).scalars()
            return {name for name in rows if name.startswith(f"nest_testing_{os.getpid()}_")}
    finally:
        engine.dispose()

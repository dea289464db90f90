"""The pytest face of `use_database`: the `nest_db` marker, the `nest_database` ini
option and the `nest_db_session` fixture.

One job: turn the test's database configuration into `builder.use_database(...)` on the
`nest_app` builder, and hand the test a session on the same database. Registered by
`nest_testing.plugin` (`pytest_plugins`); imports nothing of SQLAlchemy, FastAPI,
PyNest or the toolkit's internals at its top level.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nest_testing._builder import TestingModuleBuilder
    from nest_testing._testing_module import TestingModule

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised in an environment without it
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["nest_db_config", "nest_db_session"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "nest_database",
        "the PyNest ORM provider nest_app swaps for a test database (builder.use_database), "
        "as 'package.module:config'",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "nest_db(config=None, *, transaction=False, url=None): nest_app's ORM provider talks "
        "to a test database, as builder.use_database() does (config defaults to the "
        "nest_database ini option / the nest_db_config fixture)",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    backends = sys.modules.get("nest_testing._database_postgres")
    if backends is not None:  # only if a test made a database: SQLAlchemy is not imported
        backends.drop_databases()


def load_provider(spec: str) -> Any:
    """The object named by `'package.module:config'`; a one-line failure otherwise."""
    module_path, sep, attribute = spec.partition(":")
    if not (sep and module_path and attribute):
        pytest.fail(
            f"nest-testing: nest_database = {spec!r}: expected 'package.module:config' (a "
            "module path, a colon, the provider's name).",
            pytrace=False,
        )
    try:
        module = importlib.import_module(module_path)
    except ImportError as exc:
        problem = f"cannot import {module_path!r}: {exc}"
    else:
        if hasattr(module, attribute):
            return getattr(module, attribute)
        from nest_testing._tokens import did_you_mean

        names = [name for name in vars(module) if not name.startswith("_")]
        problem = f"{module_path!r} has no attribute {attribute!r}." + did_you_mean(
            attribute, names, render=str
        )
    pytest.fail(f"nest-testing: nest_database = {spec!r}: {problem}", pytrace=False)


@pytest.fixture
def nest_db_config(pytestconfig: pytest.Config) -> Any:
    """The ORM provider `nest_app` swaps for a test database: from the `nest_database`
    ini option, or `None` (no database). Override it to choose the provider in code::

        @pytest.fixture
        def nest_db_config():
            return config  # from src.config import config
    """
    spec = pytestconfig.getini("nest_database")
    return load_provider(spec) if spec else None


def use_marked_database(builder: TestingModuleBuilder, request: pytest.FixtureRequest) -> None:
    """`builder.use_database(...)` as the test's `nest_db` marker (the closest one) and
    the `nest_db_config` fixture say; nothing when neither names a provider."""
    marker = request.node.get_closest_marker("nest_db")
    unknown = set(marker.kwargs) - {"transaction", "url"} if marker is not None else set()
    if marker is not None and (len(marker.args) > 1 or unknown):
        pytest.fail(
            f"nest-testing: @pytest.mark.nest_db{marker.args!r} {marker.kwargs!r}: expected "
            "nest_db(config=None, *, transaction=False, url=None).",
            pytrace=False,
        )
    provider = marker.args[0] if marker is not None and marker.args else None
    if provider is None:
        provider = request.getfixturevalue("nest_db_config")
    if provider is None:
        if marker is None and "nest_db_session" not in request.fixturenames:
            return
        pytest.fail(
            "nest-testing: this test asks for a test database (@pytest.mark.nest_db or "
            "nest_db_session) but names no ORM provider. Set nest_database = "
            "'package.module:config' in [tool.pytest.ini_options], override the "
            "nest_db_config fixture, or write @pytest.mark.nest_db(config).",
            pytrace=False,
        )
    options = dict(marker.kwargs) if marker is not None else {}
    builder.use_database(
        provider, url=options.get("url"), transaction=bool(options.get("transaction", False))
    )


@pytest.fixture
def nest_db_session(request: pytest.FixtureRequest, nest_app: TestingModule) -> Iterator[Any]:
    """A session on `nest_app`'s test database (and transaction), to arrange data and to
    check what the app wrote: a `Session` for `OrmProvider` apps, an `AsyncSession`
    (async tests only) for `AsyncOrmProvider` apps. Closed at teardown. Commit what you
    arrange, as the app's own sessions would.

    Example:
        ```python
        def test_lists_notes(nest_db_session, nest_client):
            nest_db_session.add(Note(title="milk"))
            nest_db_session.commit()
            assert nest_client.get("/note/").json() == [{"id": 1, "title": "milk"}]
        ```
    """
    from nest_testing._plugin_loops import loop_runner

    database = nest_app.database
    if database.is_async:
        if loop_runner(request) is None:
            pytest.fail(
                "nest-testing: nest_db_session: the provider is an AsyncOrmProvider, so the "
                "session is an AsyncSession on the app's event loop; make the test async "
                "(@pytest.mark.asyncio async def test_...) and await its calls.",
                pytrace=False,
            )
        yield request.getfixturevalue("_nest_db_async_session")
        return
    session = database.session()
    try:
        yield session
    finally:
        session.close()


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def _nest_db_async_session(nest_app: TestingModule) -> AsyncIterator[Any]:
        session = nest_app.database.session()
        try:
            yield session
        finally:
            await session.close()

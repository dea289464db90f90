"""The async ORM app as deployed: Test.from_app, override_dependency(config.get_db)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from orm_async_app.app_module import app
from orm_async_app.book.book_entity import Book
from orm_async_app.config import config
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from nest_testing import Test, TestingModule


@pytest.fixture
def test_db(tmp_path: Path) -> object:
    """``Depends(config.get_db)`` on a SQLite file of this test's own, by hand: the
    override_dependency way. (``use_database(config)``, below, does this for every way
    the app reaches ``config``, services included.)"""
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'books.db'}", poolclass=NullPool
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
    created = False

    async def get_db() -> AsyncIterator[AsyncSession]:
        nonlocal created
        if not created:
            async with engine.begin() as connection:
                await connection.run_sync(config.Base.metadata.create_all)
            created = True
        async with sessions() as session:
            yield session

    return get_db


def test_the_deployed_settings_and_middleware_are_there() -> None:
    with Test.from_app(app).compile() as module:
        schema = module.client.get("/openapi.json").json()
        assert schema["info"]["title"] == "Books API"
        response = module.client.get("/", headers={"Origin": "https://shop.example"})
        assert response.json() == {"app_name": "Books", "app_version": "1.0.0"}
        assert response.headers["access-control-allow-origin"] == "*"  # CORS from app_module
        assert module.http_server.debug is True


def test_books_are_stored_in_this_tests_database(test_db: object) -> None:
    builder = Test.from_app(app).override_dependency(config.get_db, test_db)  # type: ignore[arg-type]
    with builder.compile() as module:
        assert module.client.get("/book/").json() == []
        assert module.client.post("/book/", json={"title": "Dune"}).json() == 1
        assert module.client.get("/book/").json() == [{"id": 1, "title": "Dune"}]


@pytest.mark.asyncio
async def test_the_plugin_serves_the_deployed_app_on_the_tests_loop(
    nest_app: TestingModule, nest_async_client: object
) -> None:
    response = await nest_async_client.get("/book/")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert nest_app.http_server.title == "Books API"


def test_books_are_stored_in_the_test_database_of_use_database() -> None:
    with Test.from_app(app).use_database(config).compile() as module:
        assert module.client.post("/book/", json={"title": "Dune"}).json() == 1
        assert module.client.get("/book/").json() == [{"id": 1, "title": "Dune"}]
        assert "orm_async_app_" not in module.database.url  # not the configured file


@pytest.mark.asyncio
@pytest.mark.parametrize("title", ["Dune", "Emma", "Ubik"])
async def test_a_row_written_in_one_test_is_absent_in_the_next(
    nest_async_client: object, nest_db_session: AsyncSession, title: str
) -> None:
    # nest_database in pyproject.toml (or the conftest's nest_db_config): in any order,
    # and under -n 2, each test sees only its own row.
    assert (await nest_db_session.scalars(select(Book))).all() == []
    await nest_async_client.post("/book/", json={"title": title})  # type: ignore[attr-defined]
    assert [b.title for b in await nest_db_session.scalars(select(Book))] == [title]

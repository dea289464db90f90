"""use_database on a real PostgreSQL server (NEST_TESTING_DATABASE_URL; .ci/run starts one).

Skipped, with the reason, when no server answers; never passed without one (except the
last test, of a server that refuses the connection).
"""

import os

import pytest
from db_helpers import async_config, database_names, postgres_url, snapshot, sync_config
from nt_orm_async_app.app_module import AppModule as AsyncApp
from nt_orm_async_app.entities import Item
from nt_orm_sync_app.app_module import AppModule as SyncApp
from nt_orm_sync_app.entities import Note
from sqlalchemy import func, make_url, select

from nest_testing import Test
from nest_testing import _database_backends as backends


@pytest.fixture
def url() -> str:
    return postgres_url()


def test_sync_app_rolls_back_without_rebuilding_the_schema(url: str) -> None:
    names = []
    for _ in range(3):
        builder = Test.create_testing_module(imports=[SyncApp]).use_database(sync_config, url=url)
        with builder.compile() as module:
            database = module.database
            assert database.backend == "postgresql"
            assert database.rolls_back
            names.append(make_url(sync_config.config_url).database)
            client = module.client
            assert client.get("/note/").json() == []  # what the last module wrote is gone
            assert client.post("/note/", json={"title": "milk"}).json() == 1  # ids restart
            assert client.get("/note/count").json() == 1  # Depends(config.get_db)
            assert client.post("/user/", json={"name": "ada"}).json() == 1  # session in __init__
            with database.session() as session:  # the same transaction as the app's
                assert session.scalar(select(func.count()).select_from(Note)) == 1
            # another connection sees nothing: it was never committed
            with database.engine.connect() as other:
                assert other.scalar(select(func.count()).select_from(Note)) == 0
    assert names[0] == names[1] == names[2]  # one database, its schema made once
    assert names[0].startswith(f"nest_testing_{os.getpid()}_")


def test_transaction_true_commits_for_real_and_is_cleaned_after(url: str) -> None:
    builder = Test.create_testing_module(imports=[SyncApp]).use_database(
        sync_config, url=url, transaction=True
    )
    with builder.compile() as module:
        assert not module.database.rolls_back
        module.client.post("/note/", json={"title": "committed"})
        with module.database.engine.connect() as other:
            assert other.scalar(select(Note.title)) == "committed"
    builder = Test.create_testing_module(imports=[SyncApp]).use_database(sync_config, url=url)
    with builder.compile() as module:
        assert module.client.get("/note/").json() == []
        assert module.client.post("/note/", json={"title": "again"}).json() == 1


def test_the_environment_variable_chooses_the_server(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEST_TESTING_DATABASE_URL", url)
    before = snapshot(sync_config)
    with Test.create_testing_module(imports=[SyncApp]).use_database(sync_config).compile() as m:
        assert m.database.url.startswith("postgresql+psycopg://")
        assert m.database.url.split("/")[-1].startswith("nest_testing_")
    assert all(snapshot(sync_config)[name] is value for name, value in before.items())


def test_async_app_on_postgresql(url: str) -> None:
    builder = Test.create_testing_module(imports=[AsyncApp]).use_database(async_config, url=url)
    with builder.compile() as module:
        assert module.database.url.startswith("postgresql+asyncpg://")
        client = module.client
        assert client.post("/item/", json={"name": "a"}).json() == 1
        assert client.get("/item/").json() == [{"id": 1, "name": "a"}]
        assert client.get("/item/count").json() == 1
        module.database.reset()
        assert client.get("/item/").json() == []
        assert client.post("/item/", json={"name": "a"}).json() == 1


@pytest.mark.asyncio
async def test_async_app_on_the_tests_loop_on_postgresql(url: str) -> None:
    builder = Test.create_testing_module(imports=[AsyncApp]).use_database(async_config, url=url)
    async with await builder.compile_async() as module:
        async with module.database.session() as session:
            session.add(Item(name="arranged"))
            await session.commit()  # a SAVEPOINT: the outer transaction stays open
        async with module.async_client() as client:
            assert (await client.get("/item/")).json() == [{"id": 1, "name": "arranged"}]
        await module.database.areset()
        async with module.async_client() as client:
            assert (await client.get("/item/")).json() == []


def test_databases_are_dropped_when_the_process_is_done(url: str) -> None:
    builder = Test.create_testing_module(imports=[SyncApp]).use_database(sync_config, url=url)
    with builder.compile():
        pass
    assert database_names(url)
    assert backends.drop_databases() == []
    assert database_names(url) == set()
    # and the process goes on: the next module gets a new database, not a dropped one
    builder = Test.create_testing_module(imports=[SyncApp]).use_database(sync_config, url=url)
    with builder.compile() as module:
        assert module.client.post("/note/", json={"title": "after"}).json() == 1
    assert backends.drop_databases() == []


def test_a_database_that_cannot_be_dropped_is_named_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # At exit or at the end of the session, a server that went away must not turn into a
    # traceback: the names of what is left on it come back. (No server needed: this one
    # refuses the connection.)
    from nest_testing import _database_postgres as postgres
    from nest_testing._database_targets import Target

    gone = Target(
        make_url("postgresql+psycopg://postgres@127.0.0.1:1/postgres"),
        False,
        "postgresql",
        "a test",
    )
    monkeypatch.setattr(postgres, "_POOL", postgres._Pool(created={"nest_testing_gone": gone}))
    assert postgres.drop_databases() == ["nest_testing_gone"]

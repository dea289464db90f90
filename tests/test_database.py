"""builder.use_database(config): the app's ORM provider talks to a test database (SQLite).

The apps are shaped as `nest generate application` writes them (tests/nt_orm_*_app): a
module-level provider, services keeping `self.config = config`, `Depends(config.get_db)`.
"""

import asyncio
import subprocess
import sys
import threading
import types

import anyio
import pytest
from db_helpers import ENV_URL, async_config, configured_file, snapshot, sync_config
from nest.core import Injectable, Module
from nt_orm_async_app.app_module import AppModule as AsyncApp
from nt_orm_async_app.entities import Item
from nt_orm_sync_app.app_module import AppModule as SyncApp
from nt_orm_sync_app.entities import Note, User
from sqlalchemy import func, inspect, select, text

from nest_testing import DatabaseError, NestTestingError, Test, UsageError


@pytest.fixture(autouse=True)
def _sqlite_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests are about the default database; the PostgreSQL variant has its own file.
    monkeypatch.delenv(ENV_URL, raising=False)


def sync_module(**options: object):
    return Test.create_testing_module(imports=[SyncApp]).use_database(sync_config, **options)


def test_every_way_the_sync_app_reaches_config_hits_the_test_database() -> None:
    with sync_module().compile() as module:
        client = module.client
        # get_session() per call (the CLI template's service)
        assert client.post("/note/", json={"title": "milk"}).json() == 1
        assert client.get("/note/").json() == [{"id": 1, "title": "milk"}]
        # Depends(config.get_db) on a route
        assert client.get("/note/count").json() == 1
        # a session made in the service's __init__ (PyNest's examples/OrmSyncApp)
        assert client.post("/user/", json={"name": "ada"}).json() == 1
        assert client.get("/user/").json() == [{"id": 1, "name": "ada"}]
        # the engine, create_all and drop_all
        assert sync_config.engine is module.database.engine
        sync_config.create_all()  # the tables exist: a no-op, on the test database
        with module.database.session() as session:
            assert session.scalar(select(func.count()).select_from(Note)) == 1
            assert session.scalar(select(User.name)) == "ada"
        assert str(sync_config.config_url) == "sqlite+pysqlite://"
    assert not configured_file(sync_config).exists()  # the configured database, untouched


def test_tables_exist_before_the_first_request_and_each_module_has_its_own() -> None:
    for _ in range(2):  # without use_database: 500 "no such table"
        with sync_module().compile() as module:
            assert module.client.get("/note/").json() == []
            assert module.client.post("/note/", json={"title": "once"}).status_code == 200
            assert set(inspect(module.database.engine).get_table_names()) >= {
                "nt_sync_note",
                "nt_sync_user",
            }


def test_one_memory_database_is_shared_by_every_thread_of_the_module() -> None:
    # One connection for every thread (StaticPool): requests from other threads, one after
    # another, see one database. (Concurrent writes share that connection: docs/database.md.)
    with sync_module().compile() as module:
        client = module.client
        for title in ("t0", "t1", "t2", "t3"):
            thread = threading.Thread(
                target=client.post, args=("/note/",), kwargs={"json": {"title": title}}
            )
            thread.start()
            thread.join()
        with module.database.session() as session:  # and the test's own thread
            assert sorted(session.scalars(select(Note.title))) == ["t0", "t1", "t2", "t3"]


def test_the_provider_is_restored_at_close() -> None:
    before = snapshot(sync_config)
    with sync_module().compile():
        during = snapshot(sync_config)
        assert during["engine"] is not before["engine"]
        assert during["session"] is not before["session"]
    after = snapshot(sync_config)
    assert after.keys() == before.keys()
    assert all(after[name] is before[name] for name in before)


def test_the_provider_is_restored_when_the_test_fails() -> None:
    before = snapshot(sync_config)

    def failing_test() -> None:
        with sync_module().compile() as module:
            module.client.post("/note/", json={"title": "x"})
            raise AssertionError("the test failed")

    with pytest.raises(AssertionError, match="the test failed"):
        failing_test()
    assert all(snapshot(sync_config)[name] is value for name, value in before.items())


@Injectable
class BrokenOnInit:
    def on_module_init(self) -> None:
        raise RuntimeError("boom at startup")


@Module(imports=[SyncApp], providers=[BrokenOnInit])
class BrokenApp:
    pass


def test_the_provider_is_restored_when_startup_fails() -> None:
    before = snapshot(sync_config)
    builder = Test.create_testing_module(imports=[BrokenApp]).use_database(sync_config)
    with pytest.raises(NestTestingError, match="boom at startup"):
        builder.compile()
    assert all(snapshot(sync_config)[name] is value for name, value in before.items())
    with sync_module().compile() as module:  # and it is free again
        assert module.client.get("/note/").json() == []


def test_a_second_open_module_on_the_same_config_is_refused_naming_the_first() -> None:
    with sync_module().compile() as first:
        first.client.post("/note/", json={"title": "kept"})
        with pytest.raises(UsageError) as refused:
            Test.create_testing_module(imports=[SyncApp]).use_database(sync_config).compile()
        message = str(refused.value)
        assert "nt_orm_sync_app.config.config" in message
        assert "the testing module of [AppModule]" in message
        assert "test_a_second_open_module_on_the_same_config_is_refused" in message
        assert "close the other module first" in message
        # the open module is unharmed
        assert first.client.get("/note/").json() == [{"id": 1, "title": "kept"}]
    with sync_module().compile() as second:
        assert second.client.get("/note/").json() == []


def test_reset_empties_the_tables_for_tests_sharing_one_module() -> None:
    with sync_module().compile() as module:
        module.client.post("/note/", json={"title": "a"})
        module.database.reset()
        assert module.client.get("/note/").json() == []
        assert module.client.get("/note/count").json() == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("app", ["sync", "async"])
async def test_areset_of_a_compiled_module_empties_the_tables(app: str) -> None:
    # From an async test, for a module on its own loop: a sync provider's reset runs
    # here, an async one's on the module's loop.
    if app == "sync":
        builder, path = sync_module(), "/note/"
        row: dict[str, str] = {"title": "a"}
    else:
        builder = Test.create_testing_module(imports=[AsyncApp]).use_database(async_config)
        path, row = "/item/", {"name": "a"}
    with builder.compile() as module:
        async with module.async_client() as client:
            await client.post(path, json=row)
            await module.database.areset()
            assert (await client.get(f"{path}count")).json() == 0


def test_a_closed_modules_database_is_gone() -> None:
    with sync_module().compile() as module:
        database = module.database
    for use in (database.session, database.reset, lambda: database.url):
        with pytest.raises(UsageError, match="closed; its test database is gone"):
            use()
    with pytest.raises(UsageError, match="closed"):
        module.database  # noqa: B018  # the property is the lookup


@pytest.mark.asyncio
async def test_areset_on_another_loop_than_the_modules_is_a_usage_error() -> None:
    builder = Test.create_testing_module(imports=[AsyncApp]).use_database(async_config)
    async with await builder.compile_async() as module:
        with pytest.raises(UsageError, match="must run on the event loop the module was"):
            await anyio.to_thread.run_sync(asyncio.run, module.database.areset())


def test_a_sqlite_file_url_gives_each_module_a_file_of_its_own(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    with sync_module(url=url).compile() as module:
        module.client.post("/note/", json={"title": "on disk"})
        files = list(tmp_path.glob("test.*.db"))
        assert len(files) == 1
        assert module.database.url.endswith(files[0].name)
    assert list(tmp_path.iterdir()) == []  # removed at close


def test_async_app_on_the_modules_own_loop() -> None:
    builder = Test.create_testing_module(imports=[AsyncApp]).use_database(async_config)
    with builder.compile() as module:
        client = module.client
        assert client.post("/item/", json={"name": "a"}).json() == 1
        assert client.get("/item/").json() == [{"id": 1, "name": "a"}]
        assert client.get("/item/count").json() == 1  # config.get_session() in the service
        assert module.database.is_async
        assert module.database.url == "sqlite+aiosqlite://"
        module.database.reset()  # on the module's loop, through its portal
        assert client.get("/item/count").json() == 0
    assert not configured_file(async_config).exists()


@pytest.mark.asyncio
async def test_async_app_on_the_tests_loop() -> None:
    builder = Test.create_testing_module(imports=[AsyncApp]).use_database(async_config)
    async with await builder.compile_async() as module:
        async with module.database.session() as session:
            session.add(Item(name="arranged"))
            await session.commit()
        async with module.async_client() as client:
            assert (await client.get("/item/")).json() == [{"id": 1, "name": "arranged"}]
            assert (await client.post("/item/", json={"name": "b"})).json() == 2
        async with module.database.session() as session:
            names = (await session.execute(text("SELECT name FROM nt_async_item"))).scalars()
            assert sorted(names) == ["arranged", "b"]
        await module.database.areset()
        async with module.async_client() as client:
            assert (await client.get("/item/count")).json() == 0
        with pytest.raises(UsageError, match="areset"):
            module.database.reset()


# ── bad input: a NestTestingError naming what was tried; the configured database untouched ──


class NotAProvider:
    pass


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (NotAProvider(), "takes the PyNest OrmProvider or AsyncOrmProvider"),
        (type(sync_config), "pass the provider instance your app uses"),
    ],
)
def test_use_database_of_something_else_is_a_usage_error(given: object, expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        Test.create_testing_module(imports=[SyncApp]).use_database(given)


def test_an_odm_provider_is_refused_with_the_reason() -> None:
    OdmProvider = type("OdmProvider", (), {})  # the name is what is checked: beanie is absent
    with pytest.raises(UsageError, match=r"OdmProvider .* not supported.*docs/database.md"):
        Test.create_testing_module(imports=[SyncApp]).use_database(OdmProvider())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", r"cannot parse 'not a url' \(url=\)"),
        ("mysql://root:secret@127.0.0.1/app", r"mysql://root:\*\*\*@127.0.0.1/app .* mysql URL"),
        ("postgresql+asyncpg://u@127.0.0.1/db", r"provider is sync \(OrmProvider\).*'asyncpg'"),
        ("sqlite+nosuchdriver://", r"no driver 'sqlite\+nosuchdriver'"),
    ],
)
def test_a_url_it_cannot_use_is_a_database_error(url: str, expected: str) -> None:
    before = snapshot(sync_config)
    with pytest.raises(DatabaseError, match=expected):
        sync_module(url=url)
    assert snapshot(sync_config) == before


def test_the_environment_variable_is_read_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_URL, "oops")
    with pytest.raises(DatabaseError, match=rf"'oops' \({ENV_URL}\)"):
        sync_module()


def test_a_refused_connection_fails_the_compile_and_leaves_config_alone() -> None:
    before = snapshot(sync_config)
    builder = sync_module(url="postgresql://postgres:pw@127.0.0.1:1/postgres")
    with pytest.raises(DatabaseError) as failed:
        builder.compile()
    message = str(failed.value)
    assert "postgresql+psycopg://postgres:***@127.0.0.1:1/postgres (url=)" in message
    assert "pw" not in message
    assert "OperationalError" in message
    assert snapshot(sync_config) == before
    with sync_module().compile() as module:  # nothing was left claimed
        assert module.client.get("/note/").json() == []


def test_module_database_without_use_database_is_a_usage_error() -> None:
    with (
        Test.create_testing_module(imports=[SyncApp]).compile() as module,
        pytest.raises(UsageError, match=r"uses no database; add builder.use_database"),
    ):
        module.database  # noqa: B018


def test_importing_the_package_and_plugin_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, nest_testing, nest_testing.plugin, nest_testing._database_plugin; "
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_provider_is_named_by_the_app_module_not_the_tests_that_import_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `from src.config import config` in a test module (or a script) binds the provider
    # there too; the message must point at src/config.py, where the user changes it.
    from nest_testing._database import provider_name

    provider = object()
    for name in ("tests.test_nt_probe", "nt_probe.conftest", "nt_probe_src.config"):
        holder = types.ModuleType(name)
        holder.config = provider  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, holder)  # the importers first, as they run
    assert provider_name(provider) == "nt_probe_src.config.config"

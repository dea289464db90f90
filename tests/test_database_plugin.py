"""The plugin's database: `nest_database` ini, `@pytest.mark.nest_db`, `nest_db_session`,
tested in real inner sessions (pytester), in random order and under xdist."""

import os
from pathlib import Path

# Imported once, here, by the outer session: pytester unloads what an in-process inner run
# imported first, and a second import would map the entities again and give the drivers
# new exception classes that SQLAlchemy's loaded dialects do not recognise.
import asyncpg  # noqa: F401
import nt_orm_async_app.app_module  # noqa: F401
import nt_orm_sync_app.app_module  # noqa: F401
import psycopg  # noqa: F401
import pytest
import sqlalchemy.dialects.postgresql.asyncpg
import sqlalchemy.dialects.postgresql.psycopg
import sqlalchemy.dialects.sqlite.aiosqlite  # noqa: F401
from db_helpers import ENV_URL, database_names, postgres_url

import nest_testing._database_backends
import nest_testing._database_postgres  # noqa: F401

TESTS = Path(__file__).resolve().parent

pytest_plugins = ["pytester"]

ISOLATION = """
import pytest

@pytest.mark.parametrize("n", range(8))
def test_each_test_starts_empty(nest_client, n):
    assert nest_client.get("/note/").json() == []
    assert nest_client.post("/note/", json={"title": f"note {n}"}).json() == 1
    assert [note["title"] for note in nest_client.get("/note/").json()] == [f"note {n}"]
"""


def inner_ini(*lines: str) -> str:
    return "\n".join(
        [
            "[pytest]",
            "asyncio_default_fixture_loop_scope = function",
            "filterwarnings =",
            "    error",
            r"    ignore:\s*on_event is deprecated:DeprecationWarning",
            *lines,
        ]
    )


@pytest.fixture(autouse=True)
def outer_url(monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The server URL this run was given; inner runs get none unless a test passes it on."""
    url = os.environ.get(ENV_URL)
    monkeypatch.delenv(ENV_URL, raising=False)
    return url


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An inner project testing tests/nt_orm_sync_app through the ini options alone."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # for subprocess (xdist) runs
    pytester.makeini(
        inner_ini(
            "nest_app_module = nt_orm_sync_app.app_module:AppModule",
            "nest_database = nt_orm_sync_app.config:config",
        )
    )
    return pytester


def test_the_ini_option_and_marker_are_registered(pytester: pytest.Pytester) -> None:
    pytester.makeini(inner_ini())
    assert "nest_database" in pytester.runpytest("--help").stdout.str()
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.nest_db(config=None, *, transaction=False, url=None)" in markers


def test_the_ini_option_gives_every_test_an_empty_database_in_random_order(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_inner_db_isolation=ISOLATION)
    project.runpytest("-p", "randomly").assert_outcomes(passed=8)


def test_isolated_under_xdist(project: pytest.Pytester) -> None:
    project.makepyfile(test_inner_db_isolation=ISOLATION)
    result = project.runpytest_subprocess("-p", "xdist", "-n", "2", "-p", "randomly")
    result.assert_outcomes(passed=8)


def test_without_use_database_the_app_cannot_serve(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The problem the option solves: the configured database has no tables. (A process of
    # its own, configured with a file here: this test writes to the configured database.)
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    monkeypatch.setenv("NT_SYNC_DB_NAME", str(pytester.path / "configured"))
    pytester.makeini(inner_ini("nest_app_module = nt_orm_sync_app.app_module:AppModule"))
    pytester.makepyfile(
        """
        def test_list(nest_client):
            response = nest_client.get("/note/")
            assert response.status_code == 500
            assert "no such table" in response.json()["detail"]
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    assert (pytester.path / "configured.db").exists()


def test_nest_db_session_arranges_data_and_sees_what_the_app_wrote(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        """
        from sqlalchemy import select
        from nt_orm_sync_app.entities import Note

        def test_arrange_then_read(nest_db_session, nest_client):
            nest_db_session.add(Note(title="arranged"))
            nest_db_session.commit()
            assert nest_client.get("/note/").json() == [{"id": 1, "title": "arranged"}]

        def test_check_what_the_app_wrote(nest_db_session, nest_client):
            nest_client.post("/note/", json={"title": "written"})
            assert nest_db_session.scalars(select(Note.title)).all() == ["written"]
        """
    )
    project.runpytest("-p", "randomly").assert_outcomes(passed=2)


def test_the_marker_names_the_provider_and_transaction(pytester: pytest.Pytester) -> None:
    pytester.makeini(inner_ini("nest_app_module = nt_orm_sync_app.app_module:AppModule"))
    pytester.makepyfile(
        """
        import pytest
        from nt_orm_sync_app.config import config

        @pytest.mark.nest_db(config)
        def test_rolled_back_by_default(nest_app, nest_client):
            assert nest_app.database.transaction is False
            assert nest_client.get("/note/").json() == []

        @pytest.mark.nest_db(config, transaction=True)
        def test_real_commits(nest_app, nest_client):
            assert nest_app.database.transaction is True
            nest_client.post("/note/", json={"title": "x"})
            with nest_app.database.engine.connect() as other:
                assert other.exec_driver_sql("SELECT title FROM nt_sync_note").scalar() == "x"

        def test_unmarked_has_no_database(nest_app):
            with pytest.raises(Exception, match="uses no database"):
                nest_app.database
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_a_marker_without_a_provider_fails_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeini(inner_ini("nest_app_module = nt_orm_sync_app.app_module:AppModule"))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.nest_db
        def test_x(nest_app):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*names no ORM provider. Set nest_database =*"])
    assert_no_traceback(result)


def assert_no_traceback(result: pytest.RunResult) -> None:
    """The failure is its message alone (`pytest.fail(..., pytrace=False)`): no frames of
    the plugin's code, which would only bury it."""
    assert "_database_plugin.py" not in result.stdout.str()


def test_a_marker_with_unknown_arguments_fails_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeini(inner_ini("nest_app_module = nt_orm_sync_app.app_module:AppModule"))
    pytester.makepyfile(
        """
        import pytest
        from nt_orm_sync_app.config import config

        @pytest.mark.nest_db(config, transactions=True)
        def test_typo(nest_app):
            pass

        @pytest.mark.nest_db(config, config)
        def test_two_providers(nest_app):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    expected = "expected nest_db(config=None, *, transaction=False, url=None)."
    result.stdout.fnmatch_lines([f"*{{'transactions': True}}: {expected}*"])
    result.stdout.fnmatch_lines([f"*(<*>, <*>) {{}}: {expected}*"])
    assert_no_traceback(result)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("nt_orm_sync_app.config:confg", "*has no attribute 'confg'*config?"),
        ("nt_orm_sync_app.config", "*expected 'package.module:config' (a module path, a colon*"),
    ],
    ids=["misspelt", "no-colon"],
)
def test_a_bad_ini_spec_fails_in_one_line(
    pytester: pytest.Pytester, spec: str, problem: str
) -> None:
    pytester.makeini(
        inner_ini(
            "nest_app_module = nt_orm_sync_app.app_module:AppModule",
            f"nest_database = {spec}",
        )
    )
    pytester.makepyfile("def test_x(nest_app):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*nest_database = {spec!r}: {problem}"])
    assert_no_traceback(result)


def test_async_provider_gets_an_async_session_in_async_tests(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        inner_ini(
            "nest_app_module = nt_orm_async_app.app_module:AppModule",
            "nest_database = nt_orm_async_app.config:config",
        )
    )
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import select
        from nt_orm_async_app.entities import Item

        @pytest.mark.asyncio
        @pytest.mark.parametrize("n", range(3))
        async def test_async(nest_db_session, nest_async_client, n):
            nest_db_session.add(Item(name=f"item {n}"))
            await nest_db_session.commit()
            response = await nest_async_client.get("/item/")
            assert response.json() == [{"id": 1, "name": f"item {n}"}]
            await nest_async_client.post("/item/", json={"name": "by the app"})
            names = (await nest_db_session.scalars(select(Item.name))).all()
            assert sorted(names) == ["by the app", f"item {n}"]

        def test_sync_test_on_the_module_loop(nest_client):
            assert nest_client.post("/item/", json={"name": "a"}).json() == 1

        def test_sync_test_asking_for_the_async_session(nest_db_session):
            pass
        """
    )
    result = pytester.runpytest("-p", "randomly")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*the provider is an AsyncOrmProvider*make the test async*"])


def test_postgresql_under_xdist_in_random_order(
    outer_url: str | None, project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_URL, outer_url or "")
    monkeypatch.setenv(ENV_URL, postgres_url())
    project.makepyfile(
        test_inner_db_isolation=ISOLATION
        + """

def test_on_postgresql(nest_app):
    assert nest_app.database.backend == "postgresql" and nest_app.database.rolls_back
"""
    )
    result = project.runpytest_subprocess("-p", "xdist", "-n", "2", "-p", "randomly")
    result.assert_outcomes(passed=9)


def test_the_databases_of_a_session_are_dropped_when_it_ends(
    outer_url: str | None, project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At the end of the pytest session, not only when the process exits (an in-process
    # inner session here: the process goes on).
    monkeypatch.setenv(ENV_URL, outer_url or "")
    url = postgres_url()
    monkeypatch.setenv(ENV_URL, url)
    project.makepyfile(test_inner_db_isolation=ISOLATION)
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=8)
    assert database_names(url) == set()

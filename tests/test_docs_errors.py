"""Error texts the docs show are what the toolkit raises.

A ```text block whose line above is ``<!-- error: NAME -->`` is made again here: NAME's
scenario below runs each failing call it lists and the block must be
``TypeName: message`` of each, one after the other (memory addresses aside). So a
changed message cannot leave a page quoting the old one.
``NEST_TESTING_WRITE_DOCS=1 pytest tests/test_docs_errors.py`` rewrites the blocks after
a change that is meant to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from unittest.mock import create_autospec

import pytest
from doubles_app import (
    DB,
    AppModule,
    AuthGuard,
    Clock,
    Database,
    DatabaseModule,
    EmailService,
    SignupErrorFilter,
    SignupService,
    UserRepository,
)
from generated_blocks import GeneratedBlock, generated_blocks, rewrite, writing
from nest.common.exceptions import ExceptionFilter
from nest.core import Module
from nest.core.decorators.guards import BaseGuard
from orm_sync_app.app_module import AppModule as OrmSyncAppModule
from orm_sync_app.config import config as orm_sync_config
from seed_app import AppModule as SeedAppModule
from seed_app import Logger as SeedLogger
from seed_depends_app import AppModule as DependsAppModule
from seed_depends_app import ItemService, Logger

from nest_testing import Test

_ADDRESS = re.compile(r"\b0x[0-9a-f]+(?:\.\.\.)?")

Scenario = Callable[[], object]


def _text(scenario: Scenario) -> str:
    try:
        scenario()
    except Exception as exc:  # any error: its text is what is under test
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError(f"{scenario.__name__} raised nothing")


def _lines(*scenarios: Scenario) -> str:
    return "\n".join(_text(s) for s in scenarios)


# ── docs/constructions.md ────────────────────────────────────────────────────


def assert_constructed() -> str:
    def audit_three_times() -> None:
        with Test.create_testing_module(imports=[DependsAppModule]).compile() as module:
            for _ in range(3):
                module.client.get("/items/audit")
            module.assert_constructed(Logger, times=1)

    return _text(audit_three_times)


def expect_constructions() -> str:
    def audit_twice() -> None:
        builder = Test.create_testing_module(imports=[DependsAppModule])
        with builder.compile() as module, module.expect_constructions({ItemService: 0, Logger: 1}):
            module.client.get("/items/audit")
            module.client.get("/items/audit")

    return _text(audit_twice)


# ── docs/doubles/*.md ────────────────────────────────────────────────────────


class AllowAll(BaseGuard):
    def can_activate(self, request: Any, credentials: Any = None) -> bool:
        return True


class RecordingFilter(ExceptionFilter):
    async def catch(self, exception: Exception, host: Any) -> Any:
        raise NotImplementedError


@Module(providers=[{"provide": DB, "useFactory": lambda: Database("memory://")}], exports=[DB])
class DbOnlyDatabaseModule:
    """Forgets Session, which UserRepository injects."""


@Module(providers=[])
class CacheModule:
    pass


def _app() -> Any:
    return Test.create_testing_module(imports=[AppModule])


_ALLOW = lambda: True  # noqa: E731 - a lambda where a guard belongs is the mistake shown


def guard_errors() -> list[str]:
    def unused() -> None:
        _app().override_guard(AllowAll, AllowAll()).compile()

    def not_a_guard() -> None:
        _app().override_guard(AuthGuard, _ALLOW).compile()

    def an_instance() -> None:
        _app().override_guard(AuthGuard(), AllowAll())  # type: ignore[arg-type]

    def unfinished() -> None:
        builder = _app()
        builder.override_guard(AuthGuard)
        builder.compile()

    return [_text(unused), _text(not_a_guard), _text(an_instance), _text(unfinished)]


def filter_unused() -> str:
    return _text(lambda: _app().override_filter(RecordingFilter, SignupErrorFilter()).compile())


def _awaited_bob() -> None:
    with _app().mock_provider(EmailService).compile() as module:
        module.client.post("/users", json={"email": "bob@example.com"})
        module.mocks[EmailService].send_welcome.assert_awaited_once_with("alice@example.com")


# unittest.mock's own text: Python 3.12 indents "Actual:" under "Expected:", 3.10 does not.
_ACTUAL = re.compile(r"^\s*Actual: ", re.MULTILINE)


def _mock_assertion(scenario: Scenario) -> str:
    return _ACTUAL.sub("  Actual: ", _text(scenario))


def mock_errors() -> list[str]:
    def unknown() -> None:
        _app().mock_provider(Database).compile()

    def factory() -> None:
        _app().mock_provider(DB).compile()

    def misspelt() -> None:
        _app().mock_provider(EmailService, **{"send_welcom.return_value": None}).compile()

    def no_mock() -> None:
        with _app().mock_provider(EmailService).compile() as module:
            module.mocks[Clock]

    return [
        _mock_assertion(_awaited_bob),
        _text(unknown),
        _text(factory),
        _text(misspelt),
        _text(no_mock),
    ]


def _all_but_clock(token: Any) -> Any:
    return None if token is Clock else create_autospec(token, instance=True)


def mocker_errors() -> list[str]:
    def strict() -> None:
        Test.create_testing_module(providers=[SignupService]).use_mocker(
            _all_but_clock
        ).strict().compile()

    def no_mocker() -> None:
        Test.create_testing_module(providers=[SignupService]).compile()

    def not_callable() -> None:
        Test.create_testing_module(providers=[SignupService]).use_mocker(3)  # type: ignore[arg-type]

    return [_text(strict), _text(no_mocker), _text(not_callable)]


def module_errors() -> list[str]:
    def loses_session() -> None:
        _app().override_module(DatabaseModule, DbOnlyDatabaseModule).compile()

    def not_imported() -> None:
        _app().override_module(CacheModule, DbOnlyDatabaseModule).compile()

    def not_a_module() -> None:
        _app().override_module(Database, DbOnlyDatabaseModule)

    def unfinished() -> None:
        builder = _app()
        builder.override_module(DatabaseModule)
        builder.compile()

    return [_text(loses_session), _text(not_imported), _text(not_a_module), _text(unfinished)]


def spy_errors() -> list[str]:
    def called_with_ann() -> None:
        with _app().spy_provider(UserRepository).compile() as module:
            module.client.post("/users", json={"email": "ann@example.com"})
            module.spies[UserRepository].find_by_email.assert_called_with("bob@example.com")

    def typo() -> None:
        with _app().spy_provider(EmailService).compile() as module:
            module.spies["EmailServce"]

    return [_mock_assertion(called_with_ann), _text(typo)]


# ── docs/testing-module.md, docs/recipes/troubleshooting.md ──────────────────


def strict_implicit() -> str:
    return _text(lambda: Test.create_testing_module(imports=[SeedAppModule]).strict().compile())


class Stray:
    pass


def strict_export() -> str:
    core = Module(exports=[Stray])(type("CoreModule", (), {}))
    app = Module(imports=[core])(type("AppModule", (), {}))
    return _text(lambda: Test.create_testing_module(imports=[app]).strict().compile())


def construction_error() -> str:
    def boom() -> object:
        raise RuntimeError("boom")

    builder = Test.create_testing_module(imports=[SeedAppModule])
    return _text(lambda: builder.override_provider(SeedLogger).use_factory(boom).compile())


def string_annotations() -> str:
    # This file has `from __future__ import annotations`: B's annotation is the string
    # "A", which the injector looks up in this module's globals, where A is not.
    class A:
        pass

    class B:
        def __init__(self, a: A) -> None:
            self.a = a

    m = Module(providers=[A, B])(type("M", (), {}))
    return _text(lambda: Test.create_testing_module(imports=[m]).compile())


# ── docs/database.md, docs/deployed-apps.md ──────────────────────────────────


# The driver's own words after "OperationalError: " change with psycopg's version.
_DRIVER_TEXT = re.compile(r"(OperationalError: ).*?(\. Is the server running)", re.DOTALL)


def database_bad_input() -> str:
    def app() -> Any:
        return Test.create_testing_module(imports=[OrmSyncAppModule])

    return _DRIVER_TEXT.sub(
        r"\1'(psycopg.OperationalError) connection failed: ...'\2",
        _lines(
            lambda: app().use_database(object()),
            lambda: app().use_database(orm_sync_config, url="not a url"),
            lambda: app().use_database(orm_sync_config, url="postgresql+asyncpg://u@127.0.0.1/db"),
            lambda: (
                app()
                .use_database(orm_sync_config, url="postgresql://postgres:pw@127.0.0.1:1/postgres")
                .compile()
            ),
        ),
    )


# FastAPI adds parameters from release to release; the start of the list is stable.
_FASTAPI_PARAMETERS = re.compile(r"(FastAPI's parameters: (?:\w+, ){6}).*")


def app_options_typo() -> str:
    text = _text(lambda: _app().app_options(titel="Signups"))
    return _FASTAPI_PARAMETERS.sub(r"\1...", text)


SCENARIOS: dict[str, Callable[[], str | list[str]]] = {
    "assert-constructed": assert_constructed,
    "expect-constructions": expect_constructions,
    "guard-errors": guard_errors,
    "filter-unused": filter_unused,
    "mock-errors": mock_errors,
    "mocker-errors": mocker_errors,
    "module-errors": module_errors,
    "spy-errors": spy_errors,
    "strict-implicit": strict_implicit,
    "strict-export": strict_export,
    "construction-error": construction_error,
    "string-annotations": string_annotations,
    "database-bad-input": database_bad_input,
    "app-options-typo": app_options_typo,
}

BLOCKS = generated_blocks("error")


def _shown(text: str) -> list[str]:
    return [_ADDRESS.sub("0x...", line.rstrip()) for line in text.splitlines()]


def _made(block: GeneratedBlock) -> str:
    """What NAME's scenario raises; a page with several blocks of one NAME gets the
    scenario's texts in order, one a block."""
    made = SCENARIOS[block.name]()
    if isinstance(made, str):
        return made
    return made[block.ordinal]


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.where} {b.name}" for b in BLOCKS])
def test_shown_error_is_what_the_toolkit_raises(block: GeneratedBlock) -> None:
    assert block.info == "text", (
        f"{block.where}: <!-- error: {block.name} --> must be directly above a ```text fence."
    )
    assert block.name in SCENARIOS, (
        f"{block.where}: no scenario named {block.name!r}; known: {', '.join(SCENARIOS)}."
    )
    actual = "\n".join(_shown(_made(block)))
    if writing():
        rewrite(block, actual)
        return
    assert _shown(block.text) == actual.splitlines(), (
        f"{block.where} shows another text than the toolkit raises; run "
        "NEST_TESTING_WRITE_DOCS=1 pytest tests/test_docs_errors.py to rewrite it."
    )


def test_every_scenario_is_shown_somewhere() -> None:
    shown = {b.name for b in BLOCKS}
    assert set(SCENARIOS) <= shown, f"scenarios no page shows: {set(SCENARIOS) - shown}"
    for name, scenario in SCENARIOS.items():
        made = scenario()
        if isinstance(made, list):
            blocks = [b for b in BLOCKS if b.name == name]
            assert len(blocks) == len(made), f"{name}: {len(made)} texts, {len(blocks)} blocks"

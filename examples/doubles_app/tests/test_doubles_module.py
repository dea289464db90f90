"""override_module: swap DatabaseModule, two imports deep, for an in-memory one."""

from datetime import datetime, timezone

import pytest
from doubles_app import (
    DB,
    AppModule,
    Database,
    DatabaseModule,
    DatabaseSettings,
    Session,
    UserRepository,
    UsersModule,
)
from doubles_app.database import open_session
from nest.core import Module

from nest_testing import ModuleOverrideError, NestTestingError, Test


def seeded_database() -> Database:
    """A fresh in-memory database per testing module, with one user already in it."""
    db = Database("memory://")
    created = datetime(2025, 1, 1, tzinfo=timezone.utc)
    db.insert("users", {"id": 1, "email": "taken@example.com", "created_at": created})
    return db


@Module(
    providers=[
        {"provide": DB, "useFactory": seeded_database},
        {"provide": Session, "useFactory": open_session, "inject": [DB]},
    ],
    exports=[DB, Session],
)
class InMemoryDatabaseModule:
    pass


@Module(
    providers=[
        {"provide": DB, "useFactory": seeded_database},
        {"provide": Session, "useFactory": open_session, "inject": [DB]},
    ],
    exports=[Session],  # nothing outside injects DB: that is enough
)
class SessionOnlyDatabaseModule:
    pass


@Module(providers=[{"provide": DB, "useFactory": seeded_database}], exports=[DB])
class DbOnlyDatabaseModule:
    """Forgets Session, which UserRepository injects."""


def test_the_in_memory_database_replaces_the_real_one_at_depth() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(DatabaseModule, InMemoryDatabaseModule)
    with builder.compile() as module:
        # AppModule -> UsersModule -> InMemoryDatabaseModule: the repository's session
        # is the in-memory one, so the seeded user is already there.
        response = module.client.post("/users", json={"email": "taken@example.com"})
        assert response.status_code == 409

        assert module.get(DB).url == "memory://"
        assert module.get(UserRepository).session.db is module.get(DB)
        assert module.select(UsersModule).get(Session) is module.get(Session)
        assert module.graph.modules["UsersModule"] == ("InMemoryDatabaseModule",)
        assert DatabaseSettings not in module.graph.nodes  # the real module is gone


def test_the_use_module_form() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(DatabaseModule).use_module(InMemoryDatabaseModule)
    with builder.compile() as module:
        assert module.get(DB).url == "memory://"


def test_each_testing_module_gets_its_own_database() -> None:
    first = Test.create_testing_module(imports=[AppModule])
    second = Test.create_testing_module(imports=[AppModule])
    first.override_module(DatabaseModule, InMemoryDatabaseModule)
    second.override_module(DatabaseModule, InMemoryDatabaseModule)
    with first.compile() as one, second.compile() as two:
        one.client.post("/users", json={"email": "ann@example.com"})

        assert one.get(DB) is not two.get(DB)
        assert len(one.get(UserRepository).all()) == 2
        assert len(two.get(UserRepository).all()) == 1


def test_without_the_override_the_real_database_is_used() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        assert module.get(DB).url == module.get(DatabaseSettings).url
        assert module.client.post("/users", json={"email": "taken@example.com"}).status_code == 201


def test_the_replacement_may_export_less_than_the_original() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(DatabaseModule, SessionOnlyDatabaseModule)
    with builder.compile() as module:
        response = module.client.post("/users", json={"email": "taken@example.com"})
        assert response.status_code == 409  # the seeded database answered


def test_the_replacement_must_export_what_consumers_inject() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(DatabaseModule, DbOnlyDatabaseModule)

    with pytest.raises(ModuleOverrideError) as info:
        builder.compile()

    assert str(info.value) == (
        "override_module(DatabaseModule, DbOnlyDatabaseModule): DbOnlyDatabaseModule does "
        "not export Session, which DatabaseModule exports and these consumers inject:\n"
        "  AppModule -> UsersModule -> UserRepository injects Session\n"
        "Add it to exports=[...] of DbOnlyDatabaseModule (or override the consumers as well)."
    )
    assert isinstance(info.value, NestTestingError)

"""The code of docs/testing-module.md, run: each block there is quoted from this file."""

from datetime import datetime, timezone

import pytest
from doubles_app import (
    DB,
    AppModule,
    Clock,
    Database,
    DatabaseSettings,
    EmailService,
    SignupErrorFilter,
    SignupService,
    UserRepository,
    UsersModule,
)
from doubles_app.database import Session, connect
from nest.core import PyNestApp
from seed_app import AppModule as SeedAppModule
from starlette.middleware.gzip import GZipMiddleware

from nest_testing import ImplicitProviderError, Test


class FakeEmail:
    async def send_welcome(self, to: str) -> str:
        return f"not sent to {to}"


class InMemoryUsers(UserRepository):
    """The real repository's code on whatever Session the module provides."""


class MemorySettings:
    url = "memory://"


frozen_clock = Clock()
memory_settings = MemorySettings()


def test_build_use_and_close() -> None:
    # fmt: off
    builder = Test.create_testing_module(imports=[AppModule])  # also providers=, controllers=
    module = builder.compile()                                 # or: await builder.compile_async()
    try:
        module.client.get("/users")
    finally:
        module.close()                                         # or: with builder.compile() as m:
    # fmt: on
    with pytest.raises(Exception, match="closed"):
        module.get(Clock)


def test_every_form_of_override() -> None:
    # fmt: off
    module = (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(EmailService, FakeEmail)                  # a class: use_class
        .override_provider(Clock, frozen_clock)                      # anything else: use_value
        .override_provider(DatabaseSettings).use_value(memory_settings)
        .override_provider(UserRepository).use_class(InMemoryUsers)  # its deps are injected
        .override_provider(DB).use_factory(connect, inject=[DatabaseSettings])
        .compile()
    )
    # fmt: on
    with module:
        assert isinstance(module.get(EmailService), FakeEmail)
        assert module.get(Clock) is frozen_clock
        assert module.get(DB).url == "memory://"
        users = module.get(UserRepository)
        assert isinstance(users, InMemoryUsers)
        assert users.session is module.get(Session)


def test_configure_app_as_main_py_does() -> None:
    def configure(app: PyNestApp) -> None:
        app.use_global_filters(SignupErrorFilter())
        app.use(GZipMiddleware)

    module = Test.create_testing_module(imports=[AppModule]).configure_app(configure).compile()

    with module:
        middleware = [m.cls for m in module.http_server.user_middleware]
        assert GZipMiddleware in middleware


def test_lookups() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        # fmt: off
        users = module.get(UserRepository)         # typed: mypy sees a UserRepository
        db = module.get(DB)                        # InjectionToken and string tokens work
        clock = module.resolve(Clock)              # a singleton: the one get() returns
        session = module.select(UsersModule).get(Session)  # what UsersModule may inject
        # fmt: on
        assert isinstance(db, Database)
        assert clock is module.get(Clock)
        assert users.session is session


def test_strict_names_every_implicit_class() -> None:
    with pytest.raises(ImplicitProviderError) as raised:
        Test.create_testing_module(imports=[SeedAppModule]).strict().compile()
    assert "ConfigService, ItemService would be built implicitly" in str(raised.value)


def test_lazy_builds_what_is_asked_for() -> None:
    module = Test.create_testing_module(imports=[AppModule]).lazy().compile()
    signup = module.get(SignupService)  # built now, with what it needs
    with module:
        assert module.constructions[SignupService] == 1
        assert module.constructions.get(EmailService) == 1
        assert signup.clock.now() <= datetime.now(timezone.utc)

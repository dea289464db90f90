"""Every form of each double, as the overview at the top of each docs/doubles page
shows it. Calls on one builder for one token: the last one wins, as documented."""

from datetime import datetime, timezone
from typing import Any
from unittest.mock import create_autospec

from doubles_app import (
    AppModule,
    AuthGuard,
    Clock,
    DatabaseModule,
    EmailService,
    SignupErrorFilter,
    SignupService,
    UserRepository,
)
from test_doubles_filter import RecordingFilter, Reraise
from test_doubles_guard import AllowAll, RecordingGuard
from test_doubles_module import InMemoryDatabaseModule

from nest_testing import Test

NEW_YEAR = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_mock_provider_forms() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    # fmt: off
    builder.mock_provider(EmailService)                             # a plain autospec mock
    builder.mock_provider(Clock, **{"now.return_value": NEW_YEAR})  # as Mock.configure_mock
    builder.mock_provider(EmailService, **{"send_welcome.side_effect": ConnectionError("smtp")})
    # fmt: on
    with builder.compile() as module:
        # fmt: off
        module.mocks[EmailService]      # the mock (module.get(EmailService) returns it too)
        list(module.mocks)              # the tokens that have one
        # fmt: on
        assert module.get(EmailService) is module.mocks[EmailService]
        assert set(module.mocks) == {EmailService, Clock}
        assert module.get(Clock).now() == NEW_YEAR
        assert module.mocks[EmailService].send_welcome.side_effect.args == ("smtp",)


def test_spy_provider_forms() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.spy_provider(UserRepository)
    with builder.compile() as module:
        module.client.post("/users", json={"email": "ann@example.com"})
        # fmt: off
        users = module.spies[UserRepository]      # what consumers hold (module.get returns it)
        users.find_by_email.assert_called_with("ann@example.com")
        assert users.add.call_count == 1
        # fmt: on
        assert module.get(UserRepository) is users


def test_use_mocker_forms() -> None:
    # fmt: off
    def mocker(token: Any) -> Any:     # return the double, or None to decline
        return create_autospec(token, instance=True) if isinstance(token, type) else None

    builder = Test.create_testing_module(providers=[SignupService]).use_mocker(mocker)
    builder.use_mocker(mocker).strict()    # and fail on anything the mocker declines
    # fmt: on
    with builder.compile() as module:
        assert set(module.mocks) == {UserRepository, EmailService, Clock}


def test_override_module_forms() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    # fmt: off
    builder.override_module(DatabaseModule, InMemoryDatabaseModule)
    builder.override_module(DatabaseModule).use_module(InMemoryDatabaseModule)   # the same
    # fmt: on
    with builder.compile() as module:
        assert module.graph.modules["UsersModule"] == ("InMemoryDatabaseModule",)


def make_guard(clock: Clock) -> AllowAll:
    return AllowAll()


def test_override_guard_forms() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    # fmt: off
    builder.override_guard(AuthGuard, AllowAll)          # a class: built per request, as in PyNest
    builder.override_guard(AuthGuard, RecordingGuard())  # an instance: it guards every request
    builder.override_guard(AuthGuard).use_class(AllowAll)
    builder.override_guard(AuthGuard).use_value(AllowAll())
    builder.override_guard(AuthGuard).use_factory(make_guard, inject=[Clock])
    # fmt: on
    with builder.compile() as module:
        assert module.client.get("/users").status_code == 200


def test_override_filter_forms() -> None:
    recorder = RecordingFilter()
    builder = Test.create_testing_module(imports=[AppModule])
    # fmt: off
    builder.override_filter(SignupErrorFilter, Reraise)           # a class: built per exception
    builder.override_filter(SignupErrorFilter, RecordingFilter())  # an instance: that one object
    builder.override_filter(SignupErrorFilter).use_class(Reraise)
    builder.override_filter(SignupErrorFilter).use_value(recorder)
    # fmt: on
    with builder.compile() as module:
        module.client.post("/users", json={"email": "bob@example.com"})
        response = module.client.post("/users", json={"email": "bob@example.com"})
        assert response.status_code == 409
        assert len(recorder.caught) == 1


def test_use_auto_mock_forms() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.use_auto_mock(exclude=[SignupService])
    builder.override_module(DatabaseModule, InMemoryDatabaseModule)  # its factories read settings
    with builder.compile() as module:
        assert type(module.get(SignupService)) is SignupService  # excluded: real
        assert EmailService in module.mocks
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(DatabaseModule, InMemoryDatabaseModule)
    # fmt: off
    builder.use_auto_mock(factory=lambda cls: create_autospec(cls, instance=True))  # your doubles
    # fmt: on
    with builder.compile() as module:
        assert set(module.mocks) >= {EmailService, SignupService}

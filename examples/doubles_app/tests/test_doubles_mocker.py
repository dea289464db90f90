"""use_mocker: test one provider alone; the mocker fills whatever the graph lacks."""

from datetime import datetime, timezone
from typing import Any
from unittest.mock import create_autospec

import pytest
from doubles_app import AppModule, Clock, EmailService, SignupService, User, UserRepository

from nest_testing import ImplicitProviderError, Test

NEW_YEAR = datetime(2025, 1, 1, tzinfo=timezone.utc)


def autospec_classes(token: Any) -> Any:
    """Mock every class the graph lacks; decline anything else (``None``)."""
    if isinstance(token, type):
        return create_autospec(token, instance=True)
    return None


def all_but_clock(token: Any) -> Any:
    return None if token is Clock else autospec_classes(token)


@pytest.mark.asyncio
async def test_signup_service_alone_with_its_dependencies_mocked() -> None:
    builder = Test.create_testing_module(providers=[SignupService]).use_mocker(autospec_classes)
    async with await builder.compile_async() as module:
        users = module.mocks[UserRepository]
        users.find_by_email.return_value = None
        users.add.return_value = User(1, "bob@example.com", NEW_YEAR)

        user, welcome_sent = await module.get(SignupService).sign_up("bob@example.com")

        assert user.email == "bob@example.com"
        assert welcome_sent
        users.add.assert_called_once_with("bob@example.com", module.mocks[Clock].now())
        module.mocks[EmailService].send_welcome.assert_awaited_once_with("bob@example.com")


def test_the_mocker_is_asked_once_for_each_missing_token() -> None:
    asked: list[Any] = []

    def mocker(token: Any) -> Any:
        asked.append(token)
        return autospec_classes(token)

    builder = Test.create_testing_module(providers=[SignupService]).use_mocker(mocker)
    with builder.compile() as module:
        module.get(SignupService)
        module.resolve(SignupService)

        assert sorted(token.__name__ for token in asked) == [
            "Clock",
            "EmailService",
            "UserRepository",
        ]  # not Session: the mock UserRepository needs none
        assert set(module.mocks) == set(asked)


def test_registered_providers_never_reach_the_mocker() -> None:
    asked: list[Any] = []

    def mocker(token: Any) -> Any:
        asked.append(token)
        return autospec_classes(token)

    builder = Test.create_testing_module(imports=[AppModule]).use_mocker(mocker)
    with builder.compile() as module:
        assert module.client.post("/users", json={"email": "bob@example.com"}).status_code == 201

        assert asked == []
        assert len(module.mocks) == 0


def test_what_the_mocker_declines_is_built_implicitly() -> None:
    builder = Test.create_testing_module(providers=[SignupService]).use_mocker(all_but_clock)
    with builder.compile() as module:
        clock = module.get(SignupService).clock

        assert type(clock) is Clock  # the real class, built by the injector
        assert Clock not in module.mocks
        assert module.graph.node(Clock).kind == "implicit"


def test_strict_refuses_what_the_mocker_declines() -> None:
    builder = Test.create_testing_module(providers=[SignupService]).use_mocker(all_but_clock)

    with pytest.raises(ImplicitProviderError) as info:
        builder.strict().compile()

    assert "SignupService -> Clock: add Clock to providers=[...]" in str(info.value)
    assert "UserRepository" not in str(info.value)  # the mocker supplied that one


def test_strict_passes_when_the_mocker_fills_every_hole() -> None:
    builder = Test.create_testing_module(providers=[SignupService]).use_mocker(autospec_classes)
    with builder.strict().compile() as module:
        assert set(module.mocks) == {UserRepository, EmailService, Clock}

"""mock_provider: every consumer gets an autospec'd mock; module.mocks hands it to the test."""

from datetime import datetime, timezone
from unittest.mock import AsyncMock

import pytest
from doubles_app import DB, AppModule, Clock, Database, EmailService, SignupService

from nest_testing import Test, UnknownOverrideError, UnknownTokenError, UsageError

NEW_YEAR = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_signup_sends_the_welcome_mail() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).mock_provider(EmailService)
    with builder.compile() as module:
        response = module.client.post("/users", json={"email": "bob@example.com"})

        assert response.status_code == 201
        email = module.mocks[EmailService]
        email.send_welcome.assert_awaited_once_with("bob@example.com")


def test_attrs_preconfigure_return_values_and_failures() -> None:
    builder = (
        Test.create_testing_module(imports=[AppModule])
        .mock_provider(Clock, **{"now.return_value": NEW_YEAR})
        .mock_provider(EmailService, **{"send_welcome.side_effect": ConnectionError("smtp")})
    )
    with builder.compile() as module:
        response = module.client.post("/users", json={"email": "bob@example.com"})

        assert response.status_code == 201  # a mail failure does not undo the signup
        assert response.json() == {
            "id": 1,
            "email": "bob@example.com",
            "created_at": "2025-01-01T00:00:00+00:00",
            "welcome_sent": False,
        }
        module.mocks[Clock].now.assert_called_once_with()


def test_every_consumer_holds_the_one_mock() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).mock_provider(EmailService)
    with builder.compile() as module:
        email = module.mocks[EmailService]

        assert module.get(EmailService) is email
        assert module.get(SignupService).email is email
        assert isinstance(email, EmailService)  # autospec: isinstance checks still pass
        assert isinstance(email.send_welcome, AsyncMock)  # async def -> AsyncMock
        assert module.constructions[EmailService] == 0  # the real one is never built
        assert module.graph.node(EmailService).status == "mocked"
        assert list(module.mocks) == [EmailService]


def test_the_mock_keeps_the_real_class_shape() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).mock_provider(EmailService)
    with builder.compile() as module:
        email = module.mocks[EmailService]

        with pytest.raises(AttributeError, match="send_welcom"):
            email.send_welcom  # noqa: B018 - a typo fails instead of passing silently
        with pytest.raises(TypeError, match="too many positional arguments"):
            email.send_welcome("bob@example.com", "extra")
        assert not hasattr(email, "on_module_init")  # no lifecycle hook faked into being


def test_a_failed_await_assertion_says_what_was_awaited() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).mock_provider(EmailService)
    with builder.compile() as module:
        module.client.post("/users", json={"email": "bob@example.com"})
        send_welcome = module.mocks[EmailService].send_welcome

        with pytest.raises(AssertionError, match=r"Actual: send_welcome\('bob@example.com'\)"):
            send_welcome.assert_awaited_once_with("alice@example.com")


def test_looking_up_a_token_that_has_no_mock() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).mock_provider(EmailService)
    with builder.compile() as module, pytest.raises(UnknownTokenError) as info:
        module.mocks[Clock]

    assert str(info.value) == (
        "Clock has no mock in this testing module (tokens with one: EmailService)."
    )


def test_mocking_a_class_no_module_provides() -> None:
    # DatabaseModule provides the token DB, not the class Database.
    builder = Test.create_testing_module(imports=[AppModule]).mock_provider(Database)

    with pytest.raises(UnknownOverrideError, match="Did you mean: DatabaseSettings"):
        builder.compile()


def test_mocking_a_factory_token_asks_for_a_mock_you_make() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).mock_provider(DB)

    with pytest.raises(UsageError, match="provided by a factory or an alias"):
        builder.compile()

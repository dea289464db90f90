"""The CLI app: module.invoke([...]) with the module's overrides."""

import pytest
from cli_app.app_module import AppModule
from cli_app.user.user_service import UserService

from nest_testing import Test, TestingModule


class FakeUsers(UserService):
    def __init__(self) -> None:
        self.users = {"7": "test user"}


def test_commands_run_against_the_testing_module() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    with builder.override_provider(UserService, FakeUsers).compile() as module:
        assert module.invoke(["user", "list"]).output == "test user\n"
        assert module.invoke(["user", "rename", "-u", "7", "-n", "renamed"]).output == "renamed\n"
        assert module.invoke(["user", "show", "--user", "7"]).output == "renamed\n"


@pytest.mark.nest_mock(UserService, **{"get_user.return_value": "mocked"})
def test_the_plugin_builds_the_cli_too(nest_app: TestingModule) -> None:
    assert nest_app.invoke(["user", "show", "-u", "1"]).output == "mocked\n"
    nest_app.mocks[UserService].get_user.assert_called_once_with("1")

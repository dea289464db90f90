"""module.cli / module.invoke(): PyNest CLI apps (CLIAppFactory, @CliController)."""

from __future__ import annotations

import asyncio

import click
import pytest
from cli_app.app_module import AppModule
from cli_app.user.user_service import UserService

from nest_testing import Test, UsageError


class FakeUsers:
    def get_users(self) -> list[str]:
        return ["fake"]

    def get_user(self, user_id: str) -> str | None:
        return "fake" if user_id == "1" else None

    async def rename(self, user_id: str, name: str) -> str:
        return f"fake {name} on {id(asyncio.get_running_loop())}"


def test_the_cli_is_the_group_pynests_factory_builds() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        assert isinstance(module.cli, click.Group)
        assert module.cli is module.cli
        assert sorted(module.cli.commands) == ["app", "user"]
        assert sorted(module.cli.commands["user"].commands) == ["list", "rename", "show"]  # type: ignore[attr-defined]
        result = module.invoke(["user", "show", "--user", "2"])
        assert (result.exit_code, result.output) == (0, "bob\n")
        assert "1.0.0" in module.invoke(["app", "version"]).output


def test_overrides_reach_the_commands_and_the_production_cli_is_untouched() -> None:
    from cli_app.app_module import cli_app
    from click.testing import CliRunner

    with (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(UserService, FakeUsers)
        .compile() as module
    ):
        assert module.invoke(["user", "list"]).output == "fake\n"
    assert CliRunner().invoke(cli_app, ["user", "show", "-u", "1"]).output == "alice\n"


def test_an_async_command_runs_on_the_modules_loop() -> None:
    with (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(UserService, FakeUsers)
        .compile() as module
    ):
        loop = module._runtime.portal.call(asyncio.get_running_loop)  # type: ignore[union-attr]
        result = module.invoke(["user", "rename", "-u", "1", "-n", "zed"])
        assert result.output == f"fake zed on {id(loop)}\n"


def test_mocks_spies_and_counts_apply() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).spy_provider(UserService)
    with builder.compile() as module:
        module.invoke(["user", "rename", "-u", "2", "-n", "bea"])
        assert module.invoke(["user", "list"]).output == "alice\nbea\n"
        module.spies[UserService].rename.assert_called_once_with("2", "bea")
        module.assert_singleton(UserService)
        with module.expect_constructions({UserService: 0}):
            module.invoke(["user", "list"])


def test_a_click_usage_error_is_the_result_click_gives() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        result = module.invoke(["user", "show"])
        assert result.exit_code == 2
        assert "Missing option '-u' / '--user'" in result.output


def test_arguments_as_one_string_are_a_usage_error() -> None:
    module = Test.create_testing_module(imports=[AppModule]).compile()
    with module, pytest.raises(UsageError, match=r"\['user', 'list'\]"):
        module.invoke("user list")  # type: ignore[arg-type]


def test_an_app_without_cli_controllers_says_so() -> None:
    from nt_sample_app import AppModule as HttpAppModule

    module = Test.create_testing_module(imports=[HttpAppModule]).compile()
    message = "no module of this testing module declares a @CliController"
    with module, pytest.raises(UsageError, match=message):
        _ = module.cli


@pytest.mark.asyncio
async def test_an_async_command_of_a_module_on_the_tests_loop_is_refused_clearly() -> None:
    module = await Test.create_testing_module(imports=[AppModule]).compile_async()
    try:
        assert module.invoke(["user", "list"]).output == "alice\nbob\n"
        result = module.invoke(["user", "rename", "-u", "1", "-n", "x"])
        assert isinstance(result.exception, UsageError)
        assert "Compile the module with `compile()`" in str(result.exception)
    finally:
        await module.aclose()

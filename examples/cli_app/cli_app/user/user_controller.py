import click
from nest.core.decorators.cli.cli_decorators import CliCommand, CliController

from .user_service import UserService


class ListOptions:
    USER = click.Option(["-u", "--user"], help="user id to show", required=True, type=str)
    NAME = click.Option(["-n", "--name"], help="the new name", required=True, type=str)


@CliController("user")
class UserController:
    def __init__(self, user_service: UserService):
        self.user_service = user_service

    @CliCommand("list", help="List all users")
    def list_users(self) -> None:
        for name in self.user_service.get_users():
            click.echo(name)

    @CliCommand("show", help="Show a user by id")
    def show_user(self, user: ListOptions.USER) -> None:  # type: ignore[valid-type]
        click.echo(self.user_service.get_user(user) or f"no user {user}")

    @CliCommand("rename", help="Rename a user (an async command)")
    async def rename(
        self,
        user: ListOptions.USER,  # type: ignore[valid-type]
        name: ListOptions.NAME,  # type: ignore[valid-type]
    ) -> None:
        click.echo(await self.user_service.rename(user, name))

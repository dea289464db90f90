from nest.core.decorators.cli.cli_decorators import CliCommand, CliController

from .app_service import AppService


@CliController("app")
class AppController:
    def __init__(self, app_service: AppService):
        self.app_service = app_service

    @CliCommand("version")
    def version(self) -> None:
        self.app_service.version()

    @CliCommand("info")
    def info(self) -> None:
        self.app_service.info()

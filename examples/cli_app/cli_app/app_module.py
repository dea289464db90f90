from nest.core import Module
from nest.core.cli_factory import CLIAppFactory

from .app_controller import AppController
from .app_service import AppService
from .user.user_module import UserModule


@Module(imports=[UserModule], controllers=[AppController], providers=[AppService])
class AppModule:
    pass


cli_app = CLIAppFactory().create(AppModule)

if __name__ == "__main__":
    cli_app()

"""The modules: ``AppModule -> UsersModule -> DatabaseModule``.

Run it with ``python -m doubles_app.app_module`` (needs ``uvicorn``).
"""

from nest.core import Module, PyNestApp, PyNestFactory

from doubles_app.database import DatabaseModule
from doubles_app.services import Clock, EmailService, SignupService, UserRepository
from doubles_app.web import UsersController


@Module(
    imports=[DatabaseModule],
    controllers=[UsersController],
    providers=[Clock, EmailService, UserRepository, SignupService],
)
class UsersModule:
    pass


@Module(imports=[UsersModule])
class AppModule:
    pass


def create_app() -> PyNestApp:
    return PyNestFactory.create(AppModule)


if __name__ == "__main__":  # pragma: no cover
    import uvicorn

    uvicorn.run(create_app().http_server, host="127.0.0.1", port=8624)

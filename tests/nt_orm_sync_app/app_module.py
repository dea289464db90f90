from nest.core import Module, PyNestFactory

from .config import config
from .controllers import NoteController, UserController
from .services import NoteService, UserService


@Module(
    imports=[], controllers=[NoteController, UserController], providers=[NoteService, UserService]
)
class AppModule:
    pass


app = PyNestFactory.create(
    AppModule,
    description="This is my PyNest app.",
    title="PyNest Application",
    version="1.0.0",
    debug=True,
)

http_server = app.get_server()


@http_server.on_event("startup")
def startup():
    config.create_all()

from nest.core import Module, PyNestFactory

from .config import config
from .controllers import ItemController
from .services import ItemService


@Module(imports=[], controllers=[ItemController], providers=[ItemService])
class AppModule:
    pass


app = PyNestFactory.create(
    AppModule,
    description="This is my Async PyNest app.",
    title="PyNest Application",
    version="1.0.0",
    debug=True,
)

http_server = app.get_server()


@http_server.on_event("startup")
async def startup():
    await config.create_all()

"""The root module, with every provider registered as it should be.

Run it with ``python -m plugin_app.app_module`` (needs ``uvicorn``).
"""

from nest.core import Module, PyNestApp, PyNestFactory

from plugin_app.controllers import ItemController
from plugin_app.services import ConfigService, ItemService, Logger


@Module(
    controllers=[ItemController],
    providers=[ConfigService, Logger, ItemService],
)
class AppModule:
    pass


def create_app(module: type = AppModule) -> PyNestApp:
    return PyNestFactory.create(module)


if __name__ == "__main__":  # pragma: no cover
    import uvicorn

    uvicorn.run(create_app().http_server, host="127.0.0.1", port=8623)

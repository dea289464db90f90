"""The root modules: the article's ``AppModule`` as published, and ``WiredAppModule``.

Run it with ``python -m seed_app.app_module`` (needs ``uvicorn``).
"""

from nest.core import Module, PyNestApp, PyNestFactory

from seed_app.controllers import ItemController
from seed_app.services import ConfigService, ItemService, Logger


@Module(
    controllers=[ItemController],
    providers=[Logger],
)
class AppModule:
    """Exactly as the article lists it: only ``Logger`` is registered.

    ``ItemService`` and ``ConfigService`` still get built, implicitly, by the injector's
    auto-binding, but they are not singletons: every ``container.get(ItemService)``
    returns a new object, with its own item list.
    """


@Module(
    controllers=[ItemController],
    providers=[ConfigService, Logger, ItemService],
)
class WiredAppModule:
    """The same app with every provider registered: one instance of each, shared."""


def create_app(module: type = WiredAppModule) -> PyNestApp:
    return PyNestFactory.create(module)


if __name__ == "__main__":  # pragma: no cover
    import uvicorn

    uvicorn.run(create_app().http_server, host="127.0.0.1", port=8623)

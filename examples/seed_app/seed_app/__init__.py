"""The seed article's PyNest app ("This is Why FastAPI is NOT(!) Production-Ready Yet").

``ConfigService -> Logger -> ItemService -> ItemController``, each built once by the
PyNest container and injected through constructors ("inject once, use many"). Two root
modules are provided:

- :class:`~seed_app.app_module.AppModule` is the article's module verbatim: it registers
  only ``Logger``, so ``ItemService`` and ``ConfigService`` are auto-built by the injector,
  unscoped. The tests show what that costs.
- :class:`~seed_app.app_module.WiredAppModule` registers every provider, which is what
  an application should write.
"""

from seed_app.app_module import AppModule, WiredAppModule, create_app
from seed_app.controllers import ItemController
from seed_app.services import ConfigService, ItemService, Logger

__all__ = [
    "AppModule",
    "ConfigService",
    "ItemController",
    "ItemService",
    "Logger",
    "WiredAppModule",
    "create_app",
]

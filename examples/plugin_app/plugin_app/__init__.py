"""The seed app, tested through the nest-testing pytest plugin.

``ConfigService -> Logger -> ItemService -> ItemController``, plus ``GET /items/audit``,
which takes ``logger: Logger = Depends(Logger)``: FastAPI builds that Logger (and its
ConfigService) on every request. The tests in ``tests/`` use only the plugin's fixtures
and markers; ``tests/test_plugin_app_strict_guard.py`` shows ``--nest-strict-singletons``
failing a test that calls the audit route.
"""

from plugin_app.app_module import AppModule, create_app
from plugin_app.controllers import ItemController
from plugin_app.services import ConfigService, ItemService, Logger

__all__ = ["AppModule", "ConfigService", "ItemController", "ItemService", "Logger", "create_app"]

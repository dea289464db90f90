"""The seed app with one route written the FastAPI way: ``Depends(Logger)``.

``GET /items/audit`` takes ``logger: Logger = Depends(Logger)``. FastAPI builds that
argument itself, on every request, next to the container's singleton: exactly the
per-request construction the seed article set out to get rid of. The container never sees
it, so nothing breaks and nothing shows; this example is the regression a CI run must
catch (see ``tests/test_depends_regression.py``).
"""

from seed_depends_app.app_module import AppModule, create_app
from seed_depends_app.controllers import ItemController
from seed_depends_app.services import ConfigService, ItemService, Logger

__all__ = ["AppModule", "ConfigService", "ItemController", "ItemService", "Logger", "create_app"]

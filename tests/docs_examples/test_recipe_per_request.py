"""docs/recipes/per-request-construction.md, the fix: the controller takes the Logger the
container built, so nothing is constructed per request."""

from nest.core import Controller, Get, Module
from seed_depends_app import ConfigService, ItemService, Logger

from nest_testing import Test


@Controller("items")
class ItemController:
    def __init__(self, item_service: ItemService, logger: Logger) -> None:
        self.item_service = item_service
        self.logger = logger

    @Get("/audit")
    def audit(self) -> dict:
        self.logger.log.info("audit: %d items", len(self.item_service.items))
        return {
            "items": len(self.item_service.items),
            "shared_logger": self.logger is self.item_service.logger,
        }


@Module(controllers=[ItemController], providers=[ConfigService, Logger, ItemService])
class FixedAppModule:
    pass


def test_the_fixed_route_builds_nothing_per_request() -> None:
    with Test.create_testing_module(imports=[FixedAppModule]).compile() as module:
        with module.expect_constructions({ConfigService: 0, Logger: 0, ItemService: 0}):
            for _ in range(2):
                response = module.client.get("/items/audit")
                assert response.json() == {"items": 3, "shared_logger": True}
        for token in (ConfigService, Logger, ItemService):
            module.assert_singleton(token)  # what --nest-strict-singletons checks

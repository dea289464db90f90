from seed_depends_app import AppModule, ConfigService, ItemService, Logger

from nest_testing import Test


def test_no_construction_per_request() -> None:
    with (
        Test.create_testing_module(imports=[AppModule]).compile() as module,
        module.expect_constructions({ConfigService: 0, Logger: 0, ItemService: 0}),
    ):
        module.client.get("/items")
        module.client.get("/items/audit")


def test_logger_is_one_shared_object() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        module.client.get("/items")
        module.client.get("/items/audit")
        module.assert_singleton(Logger)

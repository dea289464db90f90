"""override_provider in all its forms: every consumer, HTTP included, gets the replacement."""

import pytest
from nest.core import Injectable, InjectionToken, Module
from nt_sample_app import (
    DB_URL,
    GREETING,
    AppModule,
    ConfigService,
    ItemController,
    ItemService,
    Logger,
)

from nest_testing import Test, UsageError


class FakeLogger:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)


@Injectable
class ConfiguredFakeLogger(FakeLogger):
    """A replacement class with its own injected dependency."""

    def __init__(self, config: ConfigService) -> None:
        super().__init__()
        self.config = config


class FakeConfig:
    def __init__(self, db: str = "sqlite://memory") -> None:
        self.values = {"db": db}

    def get(self, key: str) -> str:
        return self.values[key]


def test_class_shorthand_reaches_every_consumer_and_http() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).override_provider(Logger, FakeLogger)
    with builder.compile() as module:
        fake = module.get(Logger)
        assert type(fake) is FakeLogger
        assert module.get(ItemService).logger is fake
        assert module.get(ItemController).logger is fake
        assert module.client.get("/items").json() == ["apple", "pear"]
        assert fake.lines == ["items listed"]
        module.assert_singleton(Logger)


def test_use_class_gets_its_own_dependencies_injected() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_provider(Logger).use_class(ConfiguredFakeLogger)
    with builder.compile() as module:
        logger = module.get(Logger)
        assert isinstance(logger, ConfiguredFakeLogger)
        assert logger.config is module.get(ConfigService)
        assert module.constructions[Logger] == 1


def test_instance_shorthand_is_use_value() -> None:
    fake = FakeLogger()
    with (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(Logger, fake)
        .compile() as m
    ):
        assert m.get(Logger) is fake
        assert m.get(ItemService).logger is fake
        assert m.constructions[Logger] == 0  # a value is never constructed


@pytest.mark.parametrize("value", [None, 0, "", False, []])
def test_none_and_falsy_values_are_real_values(value: object) -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_provider(GREETING).use_value(value)
    builder.override_provider(DB_URL, value)
    with builder.compile() as module:
        assert module.get(GREETING) is value
        assert module.get(DB_URL) is value


def test_none_override_of_a_class_token_is_not_replaced_by_the_real_class() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_provider(Logger, None)
    with builder.compile() as module:
        assert module.get(Logger) is None
        assert module.get(ItemService).logger is None
        assert module.constructions[Logger] == 0


def test_use_factory_with_inject_runs_once_with_resolved_dependencies() -> None:
    calls: list[object] = []

    def url(config: ConfigService) -> str:
        calls.append(config)
        return "test://" + config.get("db")

    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_provider(DB_URL).use_factory(url, inject=[ConfigService])
    with builder.compile() as module:
        assert module.get(DB_URL) == "test://postgres://prod"
        assert calls == [module.get(ConfigService)]
        assert module.constructions[DB_URL] == 1


def test_async_factory_is_awaited() -> None:
    async def url() -> str:
        return "async://db"

    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_provider(DB_URL).use_factory(url)
    with builder.compile() as module:
        assert module.get(DB_URL) == "async://db"


def test_string_and_injection_tokens() -> None:
    builder = (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(GREETING, "bonjour")
        .override_provider(InjectionToken("DB_URL"), "equal-token://db")  # equal by name
    )
    with builder.compile() as module:
        assert module.get("greeting") == "bonjour"
        assert module.get(DB_URL) == "equal-token://db"


def test_override_deep_in_the_import_graph_with_use_value() -> None:
    config = FakeConfig("memory://")
    builder = Test.create_testing_module(imports=[AppModule]).override_provider(
        ConfigService, config
    )
    with builder.compile() as module:
        assert module.get(Logger).config is config
        assert module.get(DB_URL) == "memory://"  # the app's own factory saw the fake


def test_last_override_of_a_token_wins() -> None:
    first, second = FakeLogger(), FakeLogger()
    builder = (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(Logger, first)
        .override_provider(Logger, second)
    )
    with builder.compile() as module:
        assert module.get(Logger) is second


def test_providers_and_controllers_without_an_app_module() -> None:
    builder = Test.create_testing_module(
        providers=[ConfigService, Logger, ItemService], controllers=[ItemController]
    ).override_provider(ConfigService, FakeConfig())
    with builder.compile() as module:
        assert module.client.get("/items").json() == ["apple", "pear"]
        assert module.get(ItemService).logger is module.get(Logger)


def test_provider_added_on_the_testing_module_is_resolvable() -> None:
    @Module(providers=[{"provide": "flag", "useValue": True}], exports=["flag"])
    class FlagModule:
        pass

    extra = {"provide": "extra", "useValue": 41}
    with Test.create_testing_module(imports=[FlagModule], providers=[extra]).compile() as m:
        assert m.get("flag") is True
        assert m.get("extra") == 41


def test_builder_is_single_use_and_closed_after_compile() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    with builder.compile():
        pass
    with pytest.raises(UsageError, match="already compiled"):
        builder.compile()
    with pytest.raises(UsageError, match="already compiled"):
        builder.override_provider(Logger, FakeLogger)


def test_use_class_rejects_an_instance() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    with pytest.raises(UsageError, match=r"use_value\(\) for an instance"):
        builder.override_provider(Logger).use_class(FakeLogger())  # type: ignore[arg-type]

"""get / resolve / select: what a test can look up, and what it is refused."""

import re

import pytest
from nest.core import Injectable, Module
from nt_sample_app import (
    DB_URL,
    AppModule,
    ConfigService,
    CoreModule,
    ItemModule,
    ItemService,
    Logger,
    LoopModule,
    RequestContext,
    Ticker,
)

from nest_testing import (
    EncapsulationError,
    MissingProviderError,
    NestTestingError,
    ScopeError,
    Test,
    TestingModule,
    UnknownTokenError,
    UsageError,
)


@pytest.fixture
def module() -> "TestingModule":
    with Test.create_testing_module(imports=[AppModule]).compile() as compiled:
        yield compiled


def test_get_returns_the_shared_instance(module: TestingModule) -> None:
    logger = module.get(Logger)
    assert isinstance(logger, Logger)
    assert module.get(Logger) is logger
    assert module.get(ItemService).logger is logger
    assert module.get(DB_URL) == "postgres://prod"
    assert module.get("greeting") == "hello"


def test_get_of_a_transient_provider_points_to_resolve(module: TestingModule) -> None:
    with pytest.raises(ScopeError, match=r"module\.resolve\(RequestContext\)"):
        module.get(RequestContext)


def test_resolve_builds_fresh_transients_and_returns_singletons(module: TestingModule) -> None:
    first, second = module.resolve(RequestContext), module.resolve(RequestContext)
    assert isinstance(first, RequestContext)
    assert first is not second
    assert module.resolve(Logger) is module.get(Logger)


def test_get_of_an_unregistered_token_explains_and_suggests(module: TestingModule) -> None:
    class Loger:
        pass

    with pytest.raises(UnknownTokenError, match="Did you mean: Logger") as info:
        module.get(Loger)
    assert isinstance(info.value, NestTestingError)
    assert isinstance(info.value, KeyError)


def test_assert_singleton_of_a_typo_suggests_the_provider(module: TestingModule) -> None:
    class Loger:
        pass

    with pytest.raises(UnknownTokenError, match=r"registers Loger\. Did you mean: Logger\?"):
        module.assert_singleton(Loger)
    with pytest.raises(UnknownTokenError, match=r"Did you mean: 'greeting'\?"):
        module.assert_singleton("greting")


def test_at_most_three_suggestions() -> None:
    names = ["shard_a", "shard_b", "shard_c", "shard_d"]

    @Module(providers=[{"provide": n, "useValue": n} for n in names])
    class ShardModule:
        pass

    with (
        Test.create_testing_module(imports=[ShardModule]).compile() as module,
        pytest.raises(UnknownTokenError) as info,
    ):
        module.get("shard_x")
    assert re.search(r"Did you mean: 'shard_.', 'shard_.', 'shard_.'\? ", str(info.value))


def test_int_and_function_tokens_are_named_as_written(module: TestingModule) -> None:
    def make_pool() -> None:
        pass

    with pytest.raises(UnknownTokenError) as info:
        module.get(404)
    assert "registers 404." in str(info.value)
    with pytest.raises(UnknownTokenError) as info:
        module.get(make_pool)
    message = str(info.value)
    assert (
        "registers test_int_and_function_tokens_are_named_as_written.<locals>.make_pool."
        in message
    )
    assert "<function" not in message


def test_strict_resolve_of_an_unregistered_class_is_refused_by_name() -> None:
    class Stranger:
        def __init__(self, logger: Logger) -> None:
            self.logger = logger

    with (
        Test.create_testing_module(imports=[AppModule]).strict().compile() as strict,
        pytest.raises(MissingProviderError) as info,
    ):
        strict.resolve(Stranger)  # nothing injects it: no consumer to name
    assert "no module provides Stranger" in str(info.value)
    assert info.value.token is Stranger
    assert info.value.path == ("Stranger",)


def test_select_sees_own_imported_and_exported_tokens(module: TestingModule) -> None:
    items = module.select(ItemModule)
    assert items.get(ItemService) is module.get(ItemService)
    assert items.get(Logger) is module.get(Logger)  # exported by CoreModule, imported
    assert items.get(DB_URL) == "postgres://prod"
    assert module.select(CoreModule).get(ConfigService) is module.get(ConfigService)


def test_select_resolves_transients_fresh_and_singletons_shared(module: TestingModule) -> None:
    core = module.select(CoreModule)
    first, second = core.resolve(RequestContext), core.resolve(RequestContext)
    assert isinstance(first, RequestContext)
    assert first is not second
    assert core.resolve(Logger) is module.get(Logger)


def test_select_refuses_what_the_module_cannot_see(module: TestingModule) -> None:
    with pytest.raises(EncapsulationError, match="not visible to LoopModule") as info:
        module.select(LoopModule).get(ItemService)
    assert info.value.path[-1] == "ItemService"
    assert "ItemModule" in str(info.value)
    with pytest.raises(EncapsulationError, match="not visible to CoreModule"):
        module.select(CoreModule).resolve(Ticker)


class Loger:
    """A typo of Logger, registered nowhere."""


def test_select_of_a_token_no_module_registers_says_so(module: TestingModule) -> None:
    # Not an EncapsulationError, nor a lookup that goes on to build it.
    with pytest.raises(UnknownTokenError, match="Did you mean: Logger") as info:
        module.select(ItemModule).resolve(Loger)
    assert type(info.value) is UnknownTokenError


@Injectable
class GlobalClock:
    pass


@Module(providers=[GlobalClock], exports=[GlobalClock], is_global=True)
class ClockModule:
    pass


@Module(providers=[ConfigService])
class LonelyModule:
    pass


def test_select_sees_global_providers() -> None:
    builder = Test.create_testing_module(imports=[ClockModule, LonelyModule])
    with builder.compile() as module:
        assert module.select(LonelyModule).get(GlobalClock) is module.get(GlobalClock)


def test_select_of_a_module_outside_the_graph(module: TestingModule) -> None:
    with pytest.raises(UnknownTokenError, match="LonelyModule is not a module"):
        module.select(LonelyModule)


def test_a_closed_module_refuses_lookups() -> None:
    module = Test.create_testing_module(imports=[AppModule]).compile()
    module.close()
    with pytest.raises(UsageError, match="closed"):
        module.get(Logger)
    with pytest.raises(UsageError, match="closed"):
        _ = module.client

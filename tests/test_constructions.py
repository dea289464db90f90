"""Construction counts, by phase, and the assertions built on them."""

import re

import pytest
from fastapi import Depends
from nest.core import Controller, Get, Injectable, Module
from nt_sample_app import (
    DB_URL,
    AppModule,
    Audit,
    ConfigService,
    ItemController,
    ItemService,
    Logger,
    RequestContext,
)

from nest_testing import Phase, Test, TestingModule, UnknownTokenError


@pytest.fixture
def module() -> TestingModule:
    with Test.create_testing_module(imports=[AppModule]).compile() as compiled:
        yield compiled


def test_every_singleton_is_built_once_at_startup(module: TestingModule) -> None:
    for _ in range(5):
        module.client.get("/items")
    for token in (ConfigService, Logger, ItemService, ItemController):
        assert module.constructions[token] == 1
        module.assert_singleton(token)
    for token in (Logger, ItemService, ItemController):
        assert module.constructions.by_phase["startup"][token] == 1
    assert module.constructions.by_phase["request"] == {}
    # PyNest runs factories while the container is built: the app's DB_URL factory, and
    # the ConfigService it injects, are built in the compile phase.
    assert module.constructions.by_phase["compile"] == {ConfigService: 1, DB_URL: 1}


def test_transients_are_counted_per_resolution(module: TestingModule) -> None:
    startup = module.constructions[RequestContext]
    assert startup >= 1  # PyNest's startup hooks resolve every provider once per module
    with module.expect_constructions({RequestContext: 2, Logger: 0}):
        module.resolve(RequestContext)
        module.resolve(RequestContext)
    assert module.constructions.by_phase[Phase.REQUEST.value][RequestContext] == 2


def test_depends_class_is_counted_per_request_with_its_route(module: TestingModule) -> None:
    with module.track_constructions() as delta:
        for _ in range(3):
            assert module.client.get("/items/audit").json() == {"audited": True}
    assert delta == {Audit: 3}
    with pytest.raises(AssertionError) as info:
        module.assert_constructed(Audit, times=1)
    message = str(info.value)
    assert "Audit: expected 1 construction(s), got 3." in message
    assert message.count("(request, Depends on GET /items/audit)") == 3


def test_a_class_never_built_is_reported_with_no_construction_listed(
    module: TestingModule,
) -> None:
    with pytest.raises(AssertionError) as info:
        module.assert_constructed(Audit, times=1)  # no request asked for it yet
    assert str(info.value) == "Audit: expected 1 construction(s), got 0."


def test_track_constructions_is_empty_when_nothing_is_built(module: TestingModule) -> None:
    with module.track_constructions() as delta:
        module.client.get("/items")
    assert delta == {}


def test_expect_constructions_reports_expected_and_actual(module: TestingModule) -> None:
    def two_audits() -> None:
        with module.expect_constructions({ItemService: 0, Audit: 1}):
            module.client.get("/items/audit")
            module.client.get("/items/audit")

    with pytest.raises(AssertionError) as info:
        two_audits()
    text = str(info.value)
    assert re.search(r"ItemService\s+0\s+0\n", text)
    assert re.search(r"Audit\s+1\s+2\s+<-- differs", text)


def test_unknown_tokens_fail_loudly_not_as_zero(module: TestingModule) -> None:
    class Nobody:
        pass

    with pytest.raises(UnknownTokenError, match="Nobody is not a provider"):
        module.constructions[Nobody]
    assert Nobody not in module.constructions
    assert module.constructions.get(Nobody) is None
    assert module.constructions[Audit] == 0  # known (a Depends class), not built yet
    with pytest.raises(UnknownTokenError), module.expect_constructions({Nobody: 0}):
        pass


def test_constructions_reads_like_a_counter(module: TestingModule) -> None:
    assert module.constructions[Logger] == 1
    assert Logger in module.constructions  # built once is in it
    assert Audit not in module.constructions  # known, never built
    assert [] not in module.constructions  # unhashable: never a token
    assert Logger in list(module.constructions)
    assert Audit not in dict(module.constructions)
    assert len(module.constructions) == len(dict(module.constructions)) > 0


def test_assert_constructed_passes_and_fails(module: TestingModule) -> None:
    module.assert_constructed(Logger, times=1)
    with pytest.raises(AssertionError, match=r"Logger: expected 2 construction\(s\), got 1\."):
        module.assert_constructed(Logger, times=2)


def test_assert_singleton_fails_for_a_transient(module: TestingModule) -> None:
    with pytest.raises(AssertionError, match="registered with scope TRANSIENT"):
        module.assert_singleton(RequestContext)


def test_assert_singleton_fails_when_a_depends_route_builds_it_again() -> None:
    @Controller("cfg")
    class ConfigController:
        def __init__(self, config: ConfigService) -> None:
            self.config = config

        @Get("/")
        def read(self, config: ConfigService = Depends(ConfigService)) -> dict[str, bool]:
            return {"same": config is self.config}

    @Module(controllers=[ConfigController], providers=[ConfigService])
    class ConfigAppModule:
        pass

    with Test.create_testing_module(imports=[ConfigAppModule]).compile() as module:
        module.assert_singleton(ConfigService)
        assert module.client.get("/cfg").json() == {"same": False}
        with pytest.raises(AssertionError) as info:
            module.assert_singleton(ConfigService)
    assert "ConfigService: expected 1 construction(s), got 2." in str(info.value)
    assert "(request, Depends on GET /cfg)" in str(info.value)


@Injectable
class Implicit:
    pass


@Injectable
class NeedsImplicit:
    def __init__(self, dep: Implicit) -> None:
        self.dep = dep


@Injectable
class AlsoNeedsImplicit:
    def __init__(self, dep: Implicit) -> None:
        self.dep = dep


@Module(providers=[NeedsImplicit, AlsoNeedsImplicit])
class ImplicitModule:
    pass


def test_assert_singleton_explains_an_implicitly_built_class() -> None:
    with Test.create_testing_module(imports=[ImplicitModule]).compile() as module:
        assert module.get(NeedsImplicit).dep is not module.get(AlsoNeedsImplicit).dep
        with pytest.raises(AssertionError) as info:
            module.assert_singleton(Implicit)
    text = str(info.value)
    assert "Implicit is not a singleton: it is not registered as a provider" in text
    assert "Fix: add Implicit to providers=[...] of ImplicitModule" in text


class FirstLogger:
    pass


class SecondLogger:
    pass


@Injectable
class HoldsLogger:
    def __init__(self, logger: FirstLogger) -> None:
        self.logger = logger


def test_assert_singleton_names_consumers_holding_another_object() -> None:
    # A token provided twice: PyNest binds the value, a factory builds HoldsLogger with
    # it, then the later useExisting re-binds the token. HoldsLogger keeps the first
    # object; get() returns the second. Nothing was constructed twice, so only the
    # identity check can catch it.
    first, second = FirstLogger(), SecondLogger()
    providers = [
        {"provide": FirstLogger, "useValue": first},
        {"provide": SecondLogger, "useValue": second},
        HoldsLogger,
        {"provide": "early", "useFactory": lambda held: held, "inject": [HoldsLogger]},
        {"provide": FirstLogger, "useExisting": SecondLogger},
    ]
    with Test.create_testing_module(providers=providers).compile() as module:
        assert module.get(FirstLogger) is second
        assert module.get(HoldsLogger).logger is first
        with pytest.raises(AssertionError) as info:
            module.assert_singleton(FirstLogger)
    text = str(info.value)
    assert "1 of 1 consumer(s) do not hold the instance module.get(FirstLogger) returns" in text
    assert "HoldsLogger #" in text
    assert "holds FirstLogger at" in text
    assert "(A DIFFERENT OBJECT)" in text

"""override_module(Old, New) when New exports less than Old: allowed unless a consumer
of Old's exports loses a token it injects (NestJS's rule); global modules; replacements
with imports of their own."""

import pytest
from nest.core import Controller, Get, Injectable, InjectionToken, Module

from nest_testing import ModuleOverrideError, Test, UnknownOverrideError

URL = InjectionToken("URL")


class Pool:
    def __init__(self) -> None:
        self.kind = "real pool"


class FakePool(Pool):
    def __init__(self) -> None:
        self.kind = "fake pool"


@Module(
    providers=[{"provide": URL, "useValue": "postgres://"}, Pool],
    exports=[URL, Pool],
)
class DbModule:
    pass


@Module(providers=[{"provide": Pool, "useClass": FakePool}], exports=[Pool])
class PoolOnlyDbModule:
    """Exports Pool but not URL."""


@Module(providers=[{"provide": URL, "useValue": "memory://"}], exports=[URL])
class UrlOnlyDbModule:
    """Exports URL but not Pool."""


@Injectable
class Repo:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


MIGRATOR = "migrator"
"""A factory provider that injects URL (an InjectionToken)."""
migrator = {"provide": MIGRATOR, "useFactory": lambda url: f"migrating {url}", "inject": [URL]}


@Module(imports=[DbModule], providers=[Repo], exports=[Repo])
class RepoModule:
    pass


@Module(imports=[RepoModule])
class AppModule:
    pass


def test_a_replacement_may_export_less_when_nobody_needs_the_rest() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(DbModule, PoolOnlyDbModule)
    with builder.compile() as module:
        assert module.get(Repo).pool.kind == "fake pool"
        assert URL not in module.graph.nodes


def test_refused_naming_the_consumer_its_module_and_the_token() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(DbModule, UrlOnlyDbModule)
    with pytest.raises(ModuleOverrideError) as raised:
        builder.compile()
    assert str(raised.value) == (
        "override_module(DbModule, UrlOnlyDbModule): UrlOnlyDbModule does not export Pool, "
        "which DbModule exports and these consumers inject:\n"
        "  AppModule -> RepoModule -> Repo injects Pool\n"
        "Add it to exports=[...] of UrlOnlyDbModule (or override the consumers as well)."
    )
    assert raised.value.path == ("AppModule", "RepoModule", "Repo")
    assert raised.value.token is Pool


@Controller("pool")
class PoolController:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    @Get("/")
    def kind(self) -> str:
        return self.pool.kind


@Module(imports=[DbModule], controllers=[PoolController])
class PoolApiModule:
    pass


def test_a_controller_that_loses_a_token_is_named_too() -> None:
    builder = Test.create_testing_module(imports=[PoolApiModule])
    builder.override_module(DbModule, UrlOnlyDbModule)
    with pytest.raises(ModuleOverrideError) as raised:
        builder.compile()
    assert "  PoolApiModule -> PoolController injects Pool\n" in str(raised.value)
    assert raised.value.token is Pool


class Clock:
    """Registered nowhere: the injector builds it for whoever injects it."""


@Injectable
class Stamper:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


@Module(imports=[DbModule], providers=[Stamper])
class StampModule:
    pass


def test_only_lost_tokens_count_not_every_token_the_module_cannot_see() -> None:
    builder = Test.create_testing_module(imports=[StampModule])
    builder.override_module(DbModule, PoolOnlyDbModule)  # URL lost; Stamper needs Clock
    with builder.compile() as module:
        assert isinstance(module.get(Stamper).clock, Clock)


@Module(imports=[DbModule], exports=[DbModule])
class ReexportingModule:
    pass


@Module(imports=[ReexportingModule], providers=[migrator])
class MigrationsModule:
    pass


def test_consumers_behind_a_re_export_count_too() -> None:
    builder = Test.create_testing_module(imports=[MigrationsModule])
    builder.override_module(DbModule, PoolOnlyDbModule)
    with pytest.raises(
        ModuleOverrideError,
        match="MigrationsModule -> 'migrator' injects InjectionToken\\('URL'\\)",
    ):
        builder.compile()

    allowed = Test.create_testing_module(imports=[MigrationsModule])
    with allowed.override_module(DbModule, UrlOnlyDbModule).compile() as module:
        assert module.get(MIGRATOR) == "migrating memory://"


@Module(providers=[{"provide": URL, "useValue": "postgres://"}, Pool], exports=[URL, Pool])
class GlobalDbModule:
    pass


GlobalDbModule.__is_global__ = True  # type: ignore[attr-defined]  # as @Module(is_global=True)


@Module(providers=[{"provide": URL, "useValue": "memory://"}], exports=[URL])
class GlobalUrlModule:
    pass


GlobalUrlModule.__is_global__ = True  # type: ignore[attr-defined]


@Module(providers=[migrator])
class UsesGlobalUrl:
    pass


@Module(imports=[GlobalDbModule, UsesGlobalUrl])
class GlobalApp:
    pass


def test_replacing_a_global_module() -> None:
    builder = Test.create_testing_module(imports=[GlobalApp])
    with builder.override_module(GlobalDbModule, GlobalUrlModule).compile() as module:
        assert module.get(MIGRATOR) == "migrating memory://"


@Injectable
class NeedsPoolGlobally:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


@Module(providers=[NeedsPoolGlobally])
class UsesGlobalPool:
    pass


@Module(imports=[GlobalDbModule, UsesGlobalPool])
class GlobalPoolApp:
    pass


def test_replacing_a_global_module_that_a_consumer_anywhere_needs() -> None:
    builder = Test.create_testing_module(imports=[GlobalPoolApp])
    builder.override_module(GlobalDbModule, GlobalUrlModule)
    with pytest.raises(ModuleOverrideError, match="UsesGlobalPool -> NeedsPoolGlobally injects"):
        builder.compile()


@Module(providers=[{"provide": Pool, "useClass": FakePool}], exports=[Pool])
class FakePoolModule:
    pass


@Module(
    imports=[FakePoolModule],
    providers=[{"provide": URL, "useValue": "memory://"}],
    exports=[URL, FakePoolModule],
)
class ComposedDbModule:
    """A replacement with an import of its own, re-exported."""


@Controller("db")
class DbController:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    @Get("/")
    def kind(self) -> dict[str, str]:
        return {"pool": self.repo.pool.kind}


@Module(imports=[RepoModule], controllers=[DbController])
class WebApp:
    pass


def test_a_replacement_that_imports_a_module_of_its_own() -> None:
    builder = Test.create_testing_module(imports=[WebApp])
    with builder.override_module(DbModule, ComposedDbModule).compile() as module:
        assert module.client.get("/db").json() == {"pool": "fake pool"}
        assert module.graph.modules["ComposedDbModule"] == ("FakePoolModule",)


@Module(providers=[])
class CacheModule:
    pass


@Module(providers=[])
class RepModule:
    pass


@pytest.mark.parametrize(
    ("missing", "suggestion"),
    [
        # Every name ends in "Module": only what comes before it may look alike.
        (CacheModule, ""),
        (RepModule, " Did you mean: RepoModule?"),
    ],
)
def test_a_module_nothing_imports_is_unknown_with_a_did_you_mean_that_means_it(
    missing: type, suggestion: str
) -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_module(missing, PoolOnlyDbModule)
    with pytest.raises(UnknownOverrideError) as refused:
        builder.compile()
    assert str(refused.value) == (
        f"override_module({missing.__name__}): no module in this testing module imports it."
        f"{suggestion} Modules in the graph: AppModule, RepoModule, DbModule"
    )

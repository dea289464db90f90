"""Graph errors surface as ``NestTestingError`` subclasses that name the path from the root
module to the failing node, with the original exception chained (``exc.__cause__``).

Every app below is defined at module level (PyNest's injector needs real annotation
objects), and every class carries the ``Err`` prefix so messages are unambiguous.
"""

import asyncio
from collections.abc import Callable

import pytest
from injector import CallError, CircularDependency, UnknownProvider
from nest.common.exceptions import CircularDependencyException, ProviderNotExportedException
from nest.core import Controller, Get, Injectable, InjectionToken, Module

from nest_testing import (
    CircularDependencyError,
    EncapsulationError,
    ImplicitProviderError,
    LifecycleHookError,
    MissingProviderError,
    NestTestingError,
    ProviderConstructionError,
    Test,
    TestingModuleBuilder,
    UnknownOverrideError,
    UsageError,
)


def compile_error(builder: TestingModuleBuilder, kind: type[NestTestingError]) -> NestTestingError:
    """Compile ``builder``, expecting it to fail with exactly ``kind`` (a NestTestingError)."""
    with pytest.raises(NestTestingError) as info:
        builder.compile().close()
    exc = info.value
    assert type(exc) is kind, f"expected {kind.__name__}, got {type(exc).__name__}: {exc}"
    return exc


# ── a constructor that raises ─────────────────────────────────────────────────


@Injectable
class ErrLogger:
    def __init__(self) -> None:
        raise RuntimeError("boom")


@Injectable
class ErrItemService:
    def __init__(self, logger: ErrLogger) -> None:
        self.logger = logger


@Controller("err-items")
class ErrItemController:
    def __init__(self, service: ErrItemService) -> None:
        self.service = service

    @Get("/")
    def list_items(self) -> list[str]:
        return []


# The controller is the only thing declared: ItemService and Logger are built (implicitly)
# when PyNest resolves the controller to register its routes, so the path goes through it.
@Module(controllers=[ErrItemController])
class ErrAppModule:
    pass


# Declared providers: PyNest's startup (initialize_lifecycle) resolves every provider, in
# declaration order, before any controller is built. The failing Logger is therefore first
# reached through ItemService, and the path is AppModule -> ItemService -> Logger.
@Module(controllers=[ErrItemController], providers=[ErrItemService, ErrLogger])
class ErrDeclaredAppModule:
    pass


# Same app with Logger declared first: startup builds Logger directly.
@Module(controllers=[ErrItemController], providers=[ErrLogger, ErrItemService])
class ErrLoggerFirstAppModule:
    pass


@Module(imports=[ErrDeclaredAppModule])
class ErrRootModule:
    pass


@pytest.mark.parametrize(
    ("app", "path"),
    [
        (ErrAppModule, ("ErrAppModule", "ErrItemController", "ErrItemService", "ErrLogger")),
        (ErrDeclaredAppModule, ("ErrDeclaredAppModule", "ErrItemService", "ErrLogger")),
        (ErrLoggerFirstAppModule, ("ErrLoggerFirstAppModule", "ErrLogger")),
        (ErrRootModule, ("ErrRootModule", "ErrDeclaredAppModule", "ErrItemService", "ErrLogger")),
    ],
    ids=["through-controller", "declared-providers", "logger-first", "nested-module"],
)
def test_constructor_raising_names_the_path_and_chains_the_original(
    app: type, path: tuple[str, ...]
) -> None:
    exc = compile_error(Test.create_testing_module(imports=[app]), ProviderConstructionError)

    assert exc.path == path
    assert f"{' -> '.join(path)}: RuntimeError('boom')" in str(exc)
    assert type(exc.__cause__) is RuntimeError
    assert exc.__cause__.args == ("boom",)
    assert exc.token is ErrLogger


def test_the_contract_example_message_verbatim() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrAppModule]), ProviderConstructionError
    )

    assert str(exc) == "ErrAppModule -> ErrItemController -> ErrItemService -> ErrLogger: " + repr(
        RuntimeError("boom")
    )


class ErrBadConfigError(TypeError):
    """A user TypeError subclass, so the chained exception is recognisably the user's."""


@Injectable
class ErrTypeLogger:
    def __init__(self) -> None:
        raise ErrBadConfigError("bad config")


@Injectable
class ErrTypeService:
    def __init__(self, logger: ErrTypeLogger) -> None:
        self.logger = logger


@Module(providers=[ErrTypeService, ErrTypeLogger])
class ErrTypeModule:
    pass


@Module(providers=[ErrTypeLogger])
class ErrTypeAloneModule:
    pass


@pytest.mark.parametrize(
    ("app", "path"),
    [
        (ErrTypeModule, ("ErrTypeModule", "ErrTypeService", "ErrTypeLogger")),
        (ErrTypeAloneModule, ("ErrTypeAloneModule", "ErrTypeLogger")),
    ],
    ids=["nested", "direct"],
)
@pytest.mark.parametrize("planned", [True, False], ids=["constructor-plans", "injector"])
def test_constructor_type_error_chains_the_users_exception_not_callerror(
    app: type, path: tuple[str, ...], planned: bool
) -> None:
    # injector wraps a TypeError from a constructor in CallError; the user must see theirs.
    # (Built from constructor plans with the blueprint cache on, by the injector with it off.)
    builder = Test.create_testing_module(imports=[app]).use_blueprint_cache(planned)
    exc = compile_error(builder, ProviderConstructionError)

    assert exc.path == path
    assert type(exc.__cause__) is ErrBadConfigError
    assert not isinstance(exc.__cause__, CallError)
    assert str(exc) == f"{' -> '.join(path)}: ErrBadConfigError('bad config')"
    assert "CallError" not in str(exc)


class ErrUpstreamError(Exception):
    """A user exception with six arguments, one of them an exception (as CallError has)."""

    def __init__(self, host: str, port: int, method: str, url: str, cause: Exception) -> None:
        super().__init__(host, port, method, url, cause, "retried 3 times")


@Injectable
class ErrUpstreamClient:
    def __init__(self) -> None:
        raise ErrUpstreamError("db", 5432, "GET", "/health", TimeoutError("slow"))


@Module(providers=[ErrUpstreamClient])
class ErrUpstreamModule:
    pass


@pytest.mark.parametrize("planned", [True, False], ids=["constructor-plans", "injector"])
def test_a_users_exception_shaped_like_callerror_is_reported_as_raised(planned: bool) -> None:
    # Only the injector's own CallError is unwrapped; the user's exception is what they
    # raised, whatever its arguments hold.
    builder = Test.create_testing_module(imports=[ErrUpstreamModule]).use_blueprint_cache(planned)
    exc = compile_error(builder, ProviderConstructionError)

    assert type(exc.__cause__) is ErrUpstreamError
    assert str(exc).startswith("ErrUpstreamModule -> ErrUpstreamClient: ErrUpstreamError('db', ")


# ── factories ─────────────────────────────────────────────────────────────────

ERR_DB_URL = InjectionToken("ERR_DB_URL")
ERR_NOBODY = InjectionToken("ERR_NOBODY")


@Injectable
class ErrConfig:
    def __init__(self) -> None:
        self.url = "postgres://prod"


def err_failing_factory(config: ErrConfig) -> str:
    raise ConnectionError(f"cannot reach {config.url}")


def err_type_error_factory(config: ErrConfig) -> str:
    raise TypeError("factory got the wrong thing")


def err_identity_factory(value: object) -> object:
    return value


@Module(
    providers=[
        ErrConfig,
        {"provide": ERR_DB_URL, "useFactory": err_failing_factory, "inject": [ErrConfig]},
    ]
)
class ErrFactoryModule:
    pass


@Module(
    providers=[
        ErrConfig,
        {"provide": "err_db_url", "useFactory": err_type_error_factory, "inject": [ErrConfig]},
    ]
)
class ErrStringFactoryModule:
    pass


@Module(imports=[ErrFactoryModule])
class ErrFactoryAppModule:
    pass


def test_factory_that_raises_is_a_provider_construction_error() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrFactoryAppModule]), ProviderConstructionError
    )

    assert exc.path == ("ErrFactoryAppModule", "ErrFactoryModule", "InjectionToken('ERR_DB_URL')")
    assert (
        "ErrFactoryAppModule -> ErrFactoryModule -> InjectionToken('ERR_DB_URL'): "
        "ConnectionError('cannot reach postgres://prod')"
    ) in str(exc)
    assert type(exc.__cause__) is ConnectionError
    assert exc.token == ERR_DB_URL


def test_factory_type_error_under_a_string_token_chains_the_users_exception() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrStringFactoryModule]), ProviderConstructionError
    )

    assert exc.path == ("ErrStringFactoryModule", "'err_db_url'")
    assert "TypeError('factory got the wrong thing')" in str(exc)
    assert type(exc.__cause__) is TypeError
    assert exc.token == "err_db_url"


# ── missing providers ─────────────────────────────────────────────────────────


@Module(
    providers=[
        {"provide": ERR_DB_URL, "useFactory": err_identity_factory, "inject": [ERR_NOBODY]},
    ]
)
class ErrMissingTokenModule:
    pass


@Module(
    providers=[
        {"provide": "err_alias", "useExisting": ERR_NOBODY},
    ]
)
class ErrMissingAliasModule:
    pass


@Module(imports=[ErrMissingTokenModule])
class ErrMissingAppModule:
    pass


@pytest.mark.parametrize(
    ("app", "module_path"),
    [
        (ErrMissingAppModule, ("ErrMissingAppModule", "ErrMissingTokenModule")),
        (ErrMissingAliasModule, ("ErrMissingAliasModule",)),
    ],
    ids=["factory-inject", "use-existing"],
)
def test_missing_injection_token_names_the_token(app: type, module_path: tuple[str, ...]) -> None:
    exc = compile_error(Test.create_testing_module(imports=[app]), MissingProviderError)

    assert exc.token == ERR_NOBODY
    assert exc.path[: len(module_path)] == module_path
    assert exc.path[-1] == "InjectionToken('ERR_NOBODY')"
    assert "no module provides InjectionToken('ERR_NOBODY')" in str(exc)
    assert " -> ".join(module_path) in str(exc)
    assert isinstance(exc.__cause__, UnknownProvider)


def test_missing_token_path_names_the_factory_that_needs_it() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrMissingAppModule]), MissingProviderError
    )

    assert exc.path == (
        "ErrMissingAppModule",
        "ErrMissingTokenModule",
        "InjectionToken('ERR_DB_URL')",
        "InjectionToken('ERR_NOBODY')",
    )


@Module(
    providers=[
        {"provide": "err_needs_logger", "useFactory": err_identity_factory, "inject": [ErrLogger]},
        ErrLogger,
    ]
)
class ErrFactoryOfBrokenModule:
    pass


def test_constructor_raising_under_a_factory_names_the_factory() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrFactoryOfBrokenModule]), ProviderConstructionError
    )

    assert type(exc.__cause__) is RuntimeError
    assert exc.path == ("ErrFactoryOfBrokenModule", "'err_needs_logger'", "ErrLogger")


# ── cycles ────────────────────────────────────────────────────────────────────


@Injectable
class ErrCycleA:
    def __init__(self, b: "ErrCycleB") -> None:
        self.b = b


@Injectable
class ErrCycleB:
    def __init__(self, a: ErrCycleA) -> None:
        self.a = a


@Module(providers=[ErrCycleA, ErrCycleB])
class ErrCycleModule:
    pass


@Module(imports=[ErrCycleModule])
class ErrCycleAppModule:
    pass


def test_cycle_between_registered_providers() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrCycleAppModule]), CircularDependencyError
    )

    assert exc.path == (
        "ErrCycleAppModule",
        "ErrCycleModule",
        "ErrCycleA",
        "ErrCycleB",
        "ErrCycleA",
    )
    assert "ErrCycleAppModule -> ErrCycleModule -> ErrCycleA -> ErrCycleB -> ErrCycleA" in str(exc)
    assert isinstance(exc.__cause__, CircularDependencyException)


@Injectable
class ErrLoopA:
    def __init__(self, b: "ErrLoopB") -> None:
        self.b = b


@Injectable
class ErrLoopB:
    def __init__(self, a: ErrLoopA) -> None:
        self.a = a


# Only ErrLoopA is registered: PyNest's static check does not see ErrLoopB's edge back, so
# the cycle is found by the injector while building.
@Module(providers=[ErrLoopA])
class ErrLoopModule:
    pass


@pytest.mark.parametrize("planned", [True, False], ids=["constructor-plans", "injector"])
def test_cycle_found_only_at_resolution_time(planned: bool) -> None:
    builder = Test.create_testing_module(imports=[ErrLoopModule]).use_blueprint_cache(planned)
    exc = compile_error(builder, CircularDependencyError)

    assert exc.path == ("ErrLoopModule", "ErrLoopA", "ErrLoopB", "ErrLoopA")
    assert "ErrLoopModule -> ErrLoopA -> ErrLoopB -> ErrLoopA" in str(exc)
    assert isinstance(exc.__cause__, CircularDependency)


# ── encapsulation ─────────────────────────────────────────────────────────────


@Injectable
class ErrEncLogger:
    pass


@Injectable
class ErrEncItemService:
    def __init__(self, logger: ErrEncLogger) -> None:
        self.logger = logger


@Module(providers=[ErrEncLogger])
class ErrEncLoggerModule:
    pass


@Module(providers=[ErrEncItemService])
class ErrEncItemModule:
    """Does not import ErrEncLoggerModule."""


@Module(imports=[ErrEncItemModule, ErrEncLoggerModule])
class ErrEncAppModule:
    pass


@Module(imports=[ErrEncLoggerModule], providers=[ErrEncItemService])
class ErrEncImportingItemModule:
    """Imports ErrEncLoggerModule, which does not export the logger."""


@Module(imports=[ErrEncImportingItemModule])
class ErrEncImportingAppModule:
    pass


@pytest.mark.parametrize(
    ("app", "item_module"),
    [
        (ErrEncAppModule, "ErrEncItemModule"),
        (ErrEncImportingAppModule, "ErrEncImportingItemModule"),
    ],
    ids=["not-imported", "not-exported"],
)
def test_encapsulation_violation_names_module_consumer_and_dependency(
    app: type, item_module: str
) -> None:
    exc = compile_error(Test.create_testing_module(imports=[app]), EncapsulationError)
    message = str(exc)

    assert exc.path == (app.__name__, item_module, "ErrEncItemService", "ErrEncLogger")
    assert f"{app.__name__} -> {item_module} -> ErrEncItemService -> ErrEncLogger" in message
    assert f"ErrEncLogger is not visible to {item_module}" in message
    # PyNest's own explanation and fix are kept, less its advice to add an import the
    # module already has.
    assert isinstance(exc.__cause__, ProviderNotExportedException)
    assert "add 'exports=[ErrEncLogger]'   to ErrEncLoggerModule" in message
    if item_module == "ErrEncItemModule":
        assert str(exc.__cause__) in message
        assert "To fix, do BOTH" in message
        assert f"add 'imports=[ErrEncLoggerModule]'   to {item_module}" in message
    else:
        assert "add 'imports=" not in message
        assert "To fix (ErrEncLoggerModule is imported already): add 'exports=" in message


# ── lifecycle hooks ───────────────────────────────────────────────────────────


@Injectable
class ErrDatabase:
    def on_module_init(self) -> None:
        raise ConnectionError("refused")


@Injectable
class ErrAsyncDatabase:
    async def on_module_init(self) -> None:
        await asyncio.sleep(0)
        raise ConnectionError("async refused")


@Injectable
class ErrBootstrapper:
    def on_application_bootstrap(self) -> None:
        raise ValueError("cannot bootstrap")


@Module(providers=[ErrDatabase])
class ErrDbModule:
    pass


@Module(imports=[ErrDbModule])
class ErrHookAppModule:
    pass


@Module(providers=[ErrAsyncDatabase])
class ErrAsyncDbModule:
    pass


@Module(providers=[ErrBootstrapper])
class ErrBootstrapModule:
    pass


@pytest.mark.parametrize(
    ("app", "path", "original"),
    [
        (
            ErrHookAppModule,
            ("ErrHookAppModule", "ErrDbModule", "ErrDatabase.on_module_init"),
            ConnectionError("refused"),
        ),
        (
            ErrAsyncDbModule,
            ("ErrAsyncDbModule", "ErrAsyncDatabase.on_module_init"),
            ConnectionError("async refused"),
        ),
        (
            ErrBootstrapModule,
            ("ErrBootstrapModule", "ErrBootstrapper.on_application_bootstrap"),
            ValueError("cannot bootstrap"),
        ),
    ],
    ids=["on_module_init", "async-on_module_init", "on_application_bootstrap"],
)
def test_hook_raising_is_a_lifecycle_hook_error(
    app: type, path: tuple[str, ...], original: Exception
) -> None:
    exc = compile_error(Test.create_testing_module(imports=[app]), LifecycleHookError)

    assert exc.path == path
    assert str(exc) == f"{' -> '.join(path)}: {original!r}"
    assert type(exc.__cause__) is type(original)
    assert exc.__cause__.args == original.args


class ErrPoolBase:
    pass


class ErrPool(ErrPoolBase):
    def on_module_init(self) -> None:
        raise ConnectionError("pool down")


ERR_POOL_ALIAS = InjectionToken("ERR_POOL_ALIAS")


# The alias comes first, so PyNest reaches the pool through it before its own token.
@Module(
    providers=[
        {"provide": ERR_POOL_ALIAS, "useExisting": ErrPoolBase},
        {"provide": ErrPoolBase, "useClass": ErrPool},
    ]
)
class ErrAliasHookModule:
    pass


@pytest.mark.parametrize("planned", [True, False], ids=["blueprints", "pynest"])
def test_hook_raising_is_named_after_the_provider_not_an_alias_of_it(planned: bool) -> None:
    builder = Test.create_testing_module(imports=[ErrAliasHookModule])
    exc = compile_error(builder.use_blueprint_cache(planned), LifecycleHookError)

    assert exc.path == ("ErrAliasHookModule", "ErrPoolBase.on_module_init")


@Module(providers=[])
class ErrSelfHookModule:
    def on_module_init(self) -> None:
        raise ConnectionError("module refused")


@Module(imports=[ErrSelfHookModule])
class ErrSelfHookAppModule:
    pass


def test_hook_on_a_module_class_is_a_lifecycle_hook_error() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrSelfHookAppModule]), LifecycleHookError
    )

    assert exc.path[-1] == "ErrSelfHookModule.on_module_init"
    assert "ConnectionError('module refused')" in str(exc)
    assert type(exc.__cause__) is ConnectionError


def test_hook_on_a_module_class_names_the_path_from_the_root() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrSelfHookAppModule]), LifecycleHookError
    )

    assert exc.path == ("ErrSelfHookAppModule", "ErrSelfHookModule.on_module_init")


# ── strict mode ───────────────────────────────────────────────────────────────


class ErrUnregisteredClock:
    """Registered nowhere: the injector would build it implicitly."""


@Injectable
class ErrScheduler:
    def __init__(self, clock: ErrUnregisteredClock) -> None:
        self.clock = clock


@Module(providers=[ErrScheduler], exports=[ErrScheduler])
class ErrSchedulerModule:
    pass


@Module(imports=[ErrSchedulerModule])
class ErrStrictAppModule:
    pass


def test_strict_mode_refuses_an_implicit_provider() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrStrictAppModule]).strict(), ImplicitProviderError
    )
    message = str(exc)

    assert isinstance(exc, MissingProviderError)
    assert exc.path == (
        "ErrStrictAppModule",
        "ErrSchedulerModule",
        "ErrScheduler",
        "ErrUnregisteredClock",
    )
    assert exc.token is ErrUnregisteredClock
    # the consumer (in its path), the dependency, and the module that should provide it
    assert (
        "ErrStrictAppModule -> ErrSchedulerModule -> ErrScheduler -> ErrUnregisteredClock: "
        "add ErrUnregisteredClock to providers=[...] of ErrSchedulerModule"
    ) in message
    assert "implicitly" in message


def err_clock_factory(clock: ErrUnregisteredClock) -> str:
    return "12:00"


@Module(
    providers=[
        {"provide": "err_now", "useFactory": err_clock_factory, "inject": [ErrUnregisteredClock]}
    ]
)
class ErrStrictFactoryModule:
    pass


def test_strict_mode_refuses_an_implicit_factory_dependency() -> None:
    builder = Test.create_testing_module(imports=[ErrStrictFactoryModule]).strict()
    with pytest.raises(MissingProviderError) as info:
        builder.compile().close()
    exc = info.value

    assert exc.token is ErrUnregisteredClock
    assert exc.path[0] == "ErrStrictFactoryModule"
    assert exc.path[-1] == "ErrUnregisteredClock"
    assert "ErrUnregisteredClock" in str(exc)


def test_strict_mode_names_the_factory_that_would_build_implicitly() -> None:
    exc = compile_error(
        Test.create_testing_module(imports=[ErrStrictFactoryModule]).strict(),
        ImplicitProviderError,
    )

    assert exc.path == ("ErrStrictFactoryModule", "'err_now'", "ErrUnregisteredClock")


def test_the_same_app_compiles_without_strict() -> None:
    with Test.create_testing_module(imports=[ErrStrictAppModule]).compile() as module:
        scheduler = module.get(ErrScheduler)
        assert isinstance(scheduler.clock, ErrUnregisteredClock)


# ── unknown overrides ─────────────────────────────────────────────────────────

ERR_OV_DB_URL = InjectionToken("ERR_OV_DB_URL")


@Injectable
class ErrOvLogger:
    pass


@Injectable
class ErrOvItemService:
    def __init__(self, logger: ErrOvLogger) -> None:
        self.logger = logger


@Module(
    providers=[
        ErrOvLogger,
        {"provide": ERR_OV_DB_URL, "useValue": "postgres://prod"},
        {"provide": "err_ov_greeting", "useValue": "hello"},
    ],
    exports=[ErrOvLogger, ERR_OV_DB_URL, "err_ov_greeting"],
)
class ErrOvCoreModule:
    pass


@Module(imports=[ErrOvCoreModule], providers=[ErrOvItemService])
class ErrOvItemModule:
    pass


@Module(imports=[ErrOvItemModule])
class ErrOvAppModule:
    pass


class ErrOvLoger:
    """A typo of ErrOvLogger, provided nowhere."""


class ErrOvFake:
    pass


@pytest.mark.parametrize(
    ("typo", "typo_name", "suggestion"),
    [
        (ErrOvLoger, "ErrOvLoger", "ErrOvLogger"),
        (
            InjectionToken("ERR_OV_DB_UR"),
            "InjectionToken('ERR_OV_DB_UR')",
            "InjectionToken('ERR_OV_DB_URL')",
        ),
        ("err_ov_greting", "'err_ov_greting'", "'err_ov_greeting'"),
    ],
    ids=["class", "injection-token", "string"],
)
@pytest.mark.parametrize(
    "override",
    [
        lambda builder, token: builder.override_provider(token, ErrOvFake),
        lambda builder, token: builder.override_provider(token).use_value(ErrOvFake()),
    ],
    ids=["shorthand", "use_value"],
)
def test_unknown_override_suggests_the_closest_name_and_lists_modules(
    typo: object,
    typo_name: str,
    suggestion: str,
    override: Callable[[TestingModuleBuilder, object], TestingModuleBuilder],
) -> None:
    builder = override(Test.create_testing_module(imports=[ErrOvAppModule]), typo)
    exc = compile_error(builder, UnknownOverrideError)
    message = str(exc)

    assert exc.token == typo
    assert f"{typo_name}: no module in this testing module provides it." in message
    assert f"Did you mean: {suggestion}?" in message
    searched = next(line for line in message.splitlines() if line.startswith("Modules searched:"))
    listed = searched.removeprefix("Modules searched:").strip(" .").split(", ")
    assert sorted(listed) == ["ErrOvAppModule", "ErrOvCoreModule", "ErrOvItemModule"]


def test_unknown_override_lists_every_unknown_token() -> None:
    builder = (
        Test.create_testing_module(imports=[ErrOvAppModule])
        .override_provider(ErrOvLogger, ErrOvFake)  # a real one: fine
        .override_provider(ErrOvLoger, ErrOvFake)
        .override_provider("err_ov_greting", "hi")
    )
    exc = compile_error(builder, UnknownOverrideError)

    assert "ErrOvLoger: no module" in str(exc)
    assert "'err_ov_greting': no module" in str(exc)
    assert "ErrOvLogger: no module" not in str(exc)


def test_overriding_a_controller_does_not_suggest_itself() -> None:
    builder = Test.create_testing_module(imports=[ErrAppModule]).override_provider(
        ErrItemController, ErrOvFake
    )
    with pytest.raises(NestTestingError) as info:
        builder.compile().close()

    assert "Did you mean: ErrItemController?" not in str(info.value)
    assert "ErrItemController is a controller of ErrAppModule" in str(info.value)
    assert "Override the providers it injects instead." in str(info.value)


def test_unknown_override_on_root_providers_searches_the_testing_module() -> None:
    builder = Test.create_testing_module(providers=[ErrPlainService])
    builder.override_provider(ErrPlainServce, ErrOvFake)
    with pytest.raises(UnknownOverrideError) as info:
        builder.compile()

    assert "Modules searched: the testing module itself." in str(info.value)
    assert "Did you mean: ErrPlainService?" in str(info.value)


# ── usage errors ──────────────────────────────────────────────────────────────


@Injectable
class ErrPlainService:
    pass


@Module(providers=[ErrPlainService])
class ErrPlainModule:
    pass


class ErrPlainServce:
    """A typo of ErrPlainService."""


class ErrNotAModule:
    """No @Module decorator."""


def test_compile_twice_is_a_usage_error() -> None:
    builder = Test.create_testing_module(imports=[ErrPlainModule])
    with builder.compile() as module:
        assert isinstance(module.get(ErrPlainService), ErrPlainService)
        with pytest.raises(UsageError, match=r"already compiled"):
            builder.compile()
    with pytest.raises(UsageError, match=r"already compiled"):
        builder.compile()


def test_compile_after_a_failed_compile_is_a_usage_error() -> None:
    builder = Test.create_testing_module(imports=[ErrAppModule])
    compile_error(builder, ProviderConstructionError)
    with pytest.raises(UsageError, match=r"already compiled"):
        builder.compile()


def _keep(value: object) -> object:
    return value


CONFIGURING: dict[str, Callable[[TestingModuleBuilder], object]] = {
    "override_provider": lambda b: b.override_provider(ErrPlainService, ErrPlainService),
    "strict": lambda b: b.strict(),
    "mock_provider": lambda b: b.mock_provider(ErrPlainService),
    "spy_provider": lambda b: b.spy_provider(ErrPlainService),
    "use_auto_mock": lambda b: b.use_auto_mock(),
    "use_mocker": lambda b: b.use_mocker(_keep),
    "override_module": lambda b: b.override_module(ErrPlainModule, ErrPlainModule),
    "override_guard": lambda b: b.override_guard(ErrPlainService, ErrPlainService),
    "override_filter": lambda b: b.override_filter(ErrPlainService, ErrPlainService),
    "override_pipe": lambda b: b.override_pipe(ErrPlainService, ErrPlainService),
    "hook_timeout": lambda b: b.hook_timeout(5),
    "lazy": lambda b: b.lazy(),
    "use_blueprint_cache": lambda b: b.use_blueprint_cache(False),
    "configure_app": lambda b: b.configure_app(_keep),
    "app_options": lambda b: b.app_options(title="Late"),
    "override_dependency": lambda b: b.override_dependency(_keep, _keep),
    "use_database": lambda b: b.use_database(object()),
}


@pytest.mark.parametrize("configure", CONFIGURING.values(), ids=CONFIGURING.keys())
def test_configuring_a_compiled_builder_is_a_usage_error(
    configure: Callable[[TestingModuleBuilder], object],
) -> None:
    # It would configure nothing: the module was built from what the builder held then.
    builder = Test.create_testing_module(imports=[ErrPlainModule])
    with builder.compile(), pytest.raises(UsageError, match="already compiled"):
        configure(builder)
    with pytest.raises(UsageError, match="already compiled"):
        configure(builder)


def test_override_never_completed_is_a_usage_error() -> None:
    builder = Test.create_testing_module(imports=[ErrPlainModule])
    builder.override_provider(ErrPlainService)  # no .use_value / .use_class / .use_factory
    exc = compile_error(builder, UsageError)

    assert "never completed:\n  override_provider(ErrPlainService): follow it with" in str(exc)


def test_imports_of_a_non_module_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"ErrNotAModule") as info:
        Test.create_testing_module(imports=[ErrNotAModule])

    assert isinstance(info.value, NestTestingError)


def test_use_class_with_an_instance_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"use_value"):
        Test.create_testing_module(imports=[ErrPlainModule]).override_provider(
            ErrPlainService
        ).use_class(ErrPlainService())  # type: ignore[arg-type]


# ── one hierarchy ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "kind",
    [
        CircularDependencyError,
        EncapsulationError,
        ImplicitProviderError,
        LifecycleHookError,
        MissingProviderError,
        ProviderConstructionError,
        UnknownOverrideError,
        UsageError,
    ],
)
def test_every_graph_error_is_a_nest_testing_error(kind: type[Exception]) -> None:
    assert issubclass(kind, NestTestingError)
    assert kind is not NestTestingError

"""`Test.create_testing_module(...)` and the builder that collects a testing module's plan.

The builder is the user's configuration API: every method checks its input and records
it; `compile()` / `compile_async()` turn what was recorded into one immutable
`nest_testing._plan.Plan` and hand it to the container and the runtime. The
builder must not apply anything itself: a new kind of override is a new entry in the
plan (or a `nest_testing._extensions.ModuleExtension`), not a branch here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nest.core.decorators.module import Module
from nest.core.pynest_application import PyNestApp

from nest_testing._app_options import AppOptions
from nest_testing._blueprints import enabled_by_default
from nest_testing._container import TestingContainer
from nest_testing._deployed import DeployedApp, root_module_of
from nest_testing._extensions import ModuleExtension
from nest_testing._gc_pause import gc_paused
from nest_testing._ledger import Ledger
from nest_testing._override_recorder import OverrideRecorder
from nest_testing._override_steps import OverrideBy, OverrideModuleBy, OverrideStepBy
from nest_testing._plan import DEFAULT_HOOK_TIMEOUT, AppPlan, Plan
from nest_testing._runtime import Runtime
from nest_testing._testing_module import TestingModule
from nest_testing._usage import (
    require_controller,
    require_list,
    require_module,
)
from nest_testing.errors import NestTestingError, UsageError

if TYPE_CHECKING:
    from typing_extensions import Self


class TestingModuleBuilder(OverrideRecorder):
    """Collects the testing module's configuration; `compile` builds it.

    Every method returns the builder (or, for the one-argument
    `override_provider(token)`, an `OverrideBy` whose `use_*` returns it), so
    calls chain. `compile()` / `compile_async()` may be called once.

    Example:
        ```python
        module = (
            Test.create_testing_module(imports=[AppModule])
            .override_provider(Logger, FakeLogger)
            .compile()
        )
        ```
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        imports: Sequence[type] = (),
        providers: Sequence[Any] = (),
        controllers: Sequence[type] = (),
        exports: Sequence[Any] = (),
    ) -> None:
        for module in require_list(imports, "imports"):
            require_module(module, "create_testing_module(imports=[...])")
        for controller in require_list(controllers, "controllers"):
            require_controller(controller)
        self._metadata = Module(
            imports=list(imports),
            providers=list(require_list(providers, "providers")),
            controllers=list(controllers),
            exports=list(require_list(exports, "exports")),
        )
        super().__init__()
        self._configure: list[Callable[[PyNestApp], object]] = []
        self._extensions: list[ModuleExtension] = [self._dependencies]
        self._app_options = AppOptions()  # applied after every extension's, so it wins
        self._strict = False
        self._blueprint_cache = enabled_by_default()
        self._lazy = False
        self._hook_timeout: float | None = DEFAULT_HOOK_TIMEOUT

    # ── configuration ────────────────────────────────────────────────────────

    def strict(self) -> Self:
        """Fail compilation (or a later resolution) when the injector would build a class
        that no module registers, naming the consumer and the module that should
        provide it.

        Example:
            ```python
            Test.create_testing_module(imports=[AppModule]).strict().compile()
            ```
        """
        self._check_open()
        self._strict = True
        return self

    def hook_timeout(self, seconds: float | None) -> Self:
        """How long each lifecycle hook (`on_module_init` ... `on_application_shutdown`)
        and the app's lifespan startup and shutdown may take: 60 s by default, `None`
        for no limit. A hook over the limit fails `compile()` / `close()` with a
        `LifecycleHookError` naming it, and what had started is still shut down.

        Example:
            ```python
            builder.hook_timeout(5)   # a hook that takes 5 s in a test is stuck
            ```
        """
        self._check_open()
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0
        ):
            raise UsageError(
                f"hook_timeout() takes a number of seconds > 0, or None for no limit; "
                f"got {seconds!r}."
            )
        self._hook_timeout = seconds
        return self

    def lazy(self) -> Self:
        """Build providers on first use instead of at compile time: for unit tests that
        need a few services of a large app.

        What changes: a provider is constructed when something first asks for it (so its
        constructor's side effects happen later, or never); startup hooks run only for
        providers that define a hook (and what those need); the HTTP app, controllers
        included, is built and its lifespan started when a client (or `module.app` /
        `module.http_server`) is first asked for; at shutdown, hooks run for the
        singletons that were built. Counts are exact as always, in the phase where the
        construction happened.

        Example:
            ```python
            module = Test.create_testing_module(imports=[AppModule]).lazy().compile()
            service = module.get(PricingService)   # built now, with what it needs
            ```
        """
        self._check_open()
        self._lazy = True
        return self

    def use_blueprint_cache(self, enabled: bool = True) -> Self:
        """Reuse (the default) or not what earlier compiles learnt without instances:
        PyNest's compile of unchanged module classes, its cycle and encapsulation checks
        of the same graph, constructor plans and FastAPI route templates. Instances are
        always fresh. Off for the whole process with `NEST_TESTING_BLUEPRINT_CACHE=0`.

        Example:
            ```python
            builder.use_blueprint_cache(False)  # validate this graph from scratch
            ```
        """
        self._check_open()
        self._blueprint_cache = enabled
        return self

    def configure_app(self, configure: Callable[[PyNestApp], object]) -> Self:
        """Call `configure(app)` with the `PyNestApp` after its routes are registered
        and before its lifespan starts: do here what your `main.py` does after
        `PyNestFactory.create` (global filters, middleware, event handlers). Callbacks
        run in the order given.

        Example:
            ```python
            builder.configure_app(lambda app: app.use_global_filters(AllExceptionsFilter()))
            ```
        """
        self._check_open()
        if not callable(configure):
            raise UsageError(f"configure_app() expects a callable, got {configure!r}.")
        self._configure.append(configure)
        return self

    def app_options(self, **options: Any) -> Self:
        """Keyword arguments for the module's `FastAPI(...)`: exactly those of
        `PyNestFactory.create(AppModule, **kwargs)`. They win over what
        `Test.from_app` carried over; a keyword `FastAPI` does not take is a
        `UsageError`. Calls add up; the last value of a keyword wins.

        Example:
            ```python
            builder.app_options(title="Items API", version="2.0.0", debug=True)
            ```
        """
        self._check_open()
        self._app_options.update(options)
        return self

    def use_database(
        self, config: object, *, url: str | None = None, transaction: bool = False
    ) -> Self:
        """For this module's lifetime, the app's ORM provider `config` (`OrmProvider` /
        `AsyncOrmProvider`) talks to a test database with `config.Base`'s tables:
        SQLite in memory by default, or the PostgreSQL server of `url` (else
        `NEST_TESTING_DATABASE_URL`), in a database of its own. Restored at close.
        `transaction=True`: real commits, for tests that need them. See docs/database.md.

        Example:
            ```python
            from src.config import config

            module = Test.create_testing_module(imports=[AppModule]).use_database(config).compile()
            ```
        """
        from nest_testing._database import DatabaseExtension, owner_of, resolve

        self._check_open()
        is_async, target = resolve(config, url)
        owner = owner_of(self._metadata.imports)
        return self._extend(
            DatabaseExtension(
                config, target, is_async=is_async, transaction=transaction, owner=owner
            )
        )

    def _extend(self, extension: ModuleExtension) -> Self:
        """Wire a feature into the module's life (see `nest_testing._extensions`)."""
        self._check_open()
        self._extensions.append(extension)
        return self

    # ── compiling ────────────────────────────────────────────────────────────

    def compile(self, *, init: bool = True) -> TestingModule:
        """Build the testing module on an event loop of its own (in a background thread):
        lifecycle hooks, requests through `module.client` and shutdown hooks all run on
        that one loop. With `init=False` the providers are built but no lifecycle hook
        runs and no app is served until `module.init()` (arrange mocks in between, as
        with NestJS's `app.init()`); closed without `init()`, no shutdown hook runs.

        Example:
            ```python
            module = Test.create_testing_module(imports=[AppModule]).compile()
            ```
        """
        try:
            with gc_paused():  # see nest_testing._gc_pause
                module = self._prepare()
                module._runtime.open_in_thread(init=init)
        except NestTestingError:
            raise
        except Exception as exc:
            raise NestTestingError(f"Compiling the testing module failed: {exc!r}") from exc
        return module

    async def compile_async(self, *, init: bool = True) -> TestingModule:
        """Build the testing module on the running event loop (the test's own), served by
        `module.async_client()`; close it with `await module.aclose()`. With
        `init=False`, as for `compile`; then `await module.ainit()`.

        Example:
            ```python
            module = await Test.create_testing_module(imports=[AppModule]).compile_async()
            ```
        """
        try:
            with gc_paused():
                module = self._prepare()
                await module._runtime.open_on_loop(init=init)
        except NestTestingError:
            raise
        except Exception as exc:
            raise NestTestingError(f"Compiling the testing module failed: {exc!r}") from exc
        return module

    def _prepare(self) -> TestingModule:
        self._check_open()
        if self._pending:
            raise UsageError(
                "An override was started but never completed:\n"
                + "\n".join(f"  {hint}." for hint in self._pending.values())
            )
        self._compiled = True
        # A fresh class per testing module: nothing user-defined is decorated or mutated.
        root = self._metadata(
            type("RootTestingModule", (), {"__nest_testing_root__": True, "__module__": __name__})
        )
        ledger = Ledger()
        plan = Plan(
            replacements=dict(self._replacements),
            modules=dict(self._modules),
            strict=self._strict,
            mocker=self._mocker,
            blueprint_cache=self._blueprint_cache,
            lazy=self._lazy,
            hook_timeout=self._hook_timeout,
            auto_mock=self._auto_mock,
            app=AppPlan(
                guards=dict(self._guards),
                filters=dict(self._filters),
                pipes=dict(self._pipes),
                configure=tuple(self._configure),
                extensions=(*self._extensions, self._app_options),
            ),
        )
        container = TestingContainer(ledger=ledger, plan=plan)
        container.add_root(root)
        return TestingModule(container, ledger, Runtime(container, ledger, plan))


class Test:
    """Entry point, as in `@nestjs/testing`.

    Example:
        ```python
        from nest_testing import Test

        module = Test.create_testing_module(imports=[AppModule]).compile()
        ```
    """

    __test__ = False  # not a pytest test class

    @staticmethod
    def create_testing_module(
        *,
        imports: Sequence[type] = (),
        providers: Sequence[Any] = (),
        controllers: Sequence[type] = (),
        exports: Sequence[Any] = (),
    ) -> TestingModuleBuilder:
        """Start a testing module whose root imports, provides and declares what is given
        (the same keys as `@Module`).

        Example:
            ```python
            builder = Test.create_testing_module(imports=[AppModule])
            ```
        """
        return TestingModuleBuilder(
            imports=imports, providers=providers, controllers=controllers, exports=exports
        )

    @staticmethod
    def from_app(app: PyNestApp) -> TestingModuleBuilder:
        """Start a testing module of the deployed `PyNestApp` (the `app` your
        `app_module.py` made with `PyNestFactory.create`): built from its root module,
        with every override the builder offers, and with what its `http_server` was
        given outside the modules (settings, middleware, exception handlers, event
        handlers, lifespan, extra routes). The production app is not changed.

        Example:
            ```python
            from src.app_module import app

            module = Test.from_app(app).override_dependency(config.get_db, fake_db).compile()
            ```
        """
        builder = TestingModuleBuilder(imports=[root_module_of(app)])
        return builder._extend(DeployedApp(app))


__all__ = ["OverrideBy", "OverrideModuleBy", "OverrideStepBy", "Test", "TestingModuleBuilder"]

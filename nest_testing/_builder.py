"""``Test.create_testing_module(...)`` and the builder that collects overrides."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, overload

from nest.common.module import ModuleCompiler
from nest.common.provider import ProviderDescriptor
from nest.core.decorators.module import Module
from nest.core.pynest_application import PyNestApp

from nest_testing._blueprints import enabled_by_default
from nest_testing._container import TestingContainer
from nest_testing._extensions import ModuleExtension
from nest_testing._ledger import Ledger
from nest_testing._plan import Plan, Replacement
from nest_testing._testing_module import TestingModule
from nest_testing._tokens import token_name
from nest_testing.errors import NestTestingError, UsageError

if TYPE_CHECKING:
    from typing_extensions import Self

_UNSET: Any = object()


class OverrideBy:
    """The second half of ``builder.override_provider(token)``: say what replaces it.

    Example::

        builder.override_provider(ConfigService).use_value(FakeConfig())
        builder.override_provider(Repo).use_class(InMemoryRepo)
        builder.override_provider(DB_URL).use_factory(make_url, inject=[ConfigService])
    """

    def __init__(self, builder: TestingModuleBuilder, token: Hashable) -> None:
        self._builder = builder
        self._token = token

    def use_value(self, value: object) -> TestingModuleBuilder:
        """Every consumer receives ``value`` itself (``None`` and falsy values included)."""
        return self._builder._replace(
            self._token,
            Replacement(
                "override",
                ProviderDescriptor(provide=self._token, use_value=value),
                value_is_none=value is None,
            ),
        )

    def use_class(self, cls: type) -> TestingModuleBuilder:
        """``cls`` is built by the injector (its constructor dependencies injected) in
        place of the original, with the original's scope."""
        if not isinstance(cls, type):
            raise UsageError(
                f"override_provider({token_name(self._token)}).use_class() expects a class, "
                f"got {cls!r}; use .use_value() for an instance."
            )
        return self._builder._replace(
            self._token,
            Replacement("override", ProviderDescriptor(provide=self._token, use_class=cls)),
        )

    def use_factory(
        self, factory: Callable[..., Any], *, inject: Sequence[Hashable] = ()
    ) -> TestingModuleBuilder:
        """``factory(*resolved inject tokens)`` builds the value once, at compile time; an
        async factory is awaited on the module's loop."""
        if not callable(factory):
            raise UsageError(
                f"override_provider({token_name(self._token)}).use_factory() expects a "
                f"callable, got {factory!r}."
            )
        return self._builder._replace(
            self._token,
            Replacement(
                "override",
                ProviderDescriptor(provide=self._token, use_factory=factory, inject=list(inject)),
                await_factory=True,
            ),
        )


class OverrideModuleBy:
    """The second half of ``builder.override_module(Old)``.

    Example::

        builder.override_module(DatabaseModule).use_module(InMemoryDatabaseModule)
    """

    def __init__(self, builder: TestingModuleBuilder, module: type) -> None:
        self._builder = builder
        self._module = module

    def use_module(self, replacement: type) -> TestingModuleBuilder:
        """Import ``replacement`` wherever the module was imported."""
        return self._builder.override_module(self._module, replacement)


class OverrideStepBy:
    """The second half of ``builder.override_guard(G)`` / ``override_filter(F)``.

    Example::

        builder.override_guard(AuthGuard).use_class(AllowAllGuard)
    """

    def __init__(
        self, builder: TestingModuleBuilder, table: dict[type, object], target: type
    ) -> None:
        self._builder = builder
        self._table = table
        self._target = target

    def use_class(self, cls: type) -> TestingModuleBuilder:
        """Instantiate ``cls`` where the original class was used."""
        return self._set(cls)

    def use_value(self, value: object) -> TestingModuleBuilder:
        """Use the instance ``value`` where the original class was used."""
        return self._set(value)

    def _set(self, replacement: object) -> TestingModuleBuilder:
        self._builder._check_open()
        self._builder._pending.pop(self._target, None)
        self._table[self._target] = replacement
        return self._builder


def _require_module(module: object, method: str) -> None:
    if not (isinstance(module, type) and ModuleCompiler.has_module_metadata(module)):
        raise UsageError(f"{method}() takes PyNest @Module classes; {module!r} is not one.")


class TestingModuleBuilder:
    """Collects the testing module's configuration; :meth:`compile` builds it.

    Every method returns the builder (or, for the one-argument
    ``override_provider(token)``, an :class:`OverrideBy` whose ``use_*`` returns it), so
    calls chain. ``compile()`` / ``compile_async()`` may be called once.

    Example::

        module = (
            Test.create_testing_module(imports=[AppModule])
            .override_provider(Logger, FakeLogger)
            .compile()
        )
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
        for module in imports:
            _require_module(module, "create_testing_module(imports=[...])")
        self._metadata = Module(
            imports=list(imports),
            providers=list(providers),
            controllers=list(controllers),
            exports=list(exports),
        )
        self._replacements: dict[Hashable, Replacement] = {}
        self._modules: dict[type, type] = {}
        self._guards: dict[type, object] = {}
        self._filters: dict[type, object] = {}
        self._mocker: Callable[[Any], Any] | None = None
        self._configure: list[Callable[[PyNestApp], object]] = []
        self._extensions: list[ModuleExtension] = []
        self._pending: dict[Hashable, str] = {}
        self._strict = False
        self._blueprint_cache = enabled_by_default()
        self._lazy = False
        self._compiled = False

    # ── configuration ────────────────────────────────────────────────────────

    @overload
    def override_provider(self, token: Hashable) -> OverrideBy: ...
    @overload
    def override_provider(self, token: Hashable, replacement: object) -> Self: ...

    def override_provider(self, token: Hashable, replacement: object = _UNSET) -> Any:
        """Replace the provider of ``token`` wherever it is provided in the graph.

        With a second argument: a class means ``use_class``, anything else (``None``
        included) ``use_value``. With one argument, finish with ``.use_value(v)``,
        ``.use_class(C)`` or ``.use_factory(f, inject=[...])``. The last override of a
        token wins.

        Example::

            builder.override_provider(Logger, FakeLogger)
            builder.override_provider(ConfigService).use_value(FakeConfig())
        """
        self._check_open()
        by = OverrideBy(self, token)
        if replacement is _UNSET:
            self._pending[token] = (
                f"override_provider({token_name(token)}): follow it with .use_value(...), "
                ".use_class(...) or .use_factory(...)"
            )
            return by
        if isinstance(replacement, type):
            return by.use_class(replacement)
        return by.use_value(replacement)

    def strict(self) -> Self:
        """Fail compilation (or a later resolution) when the injector would build a class
        that no module registers, naming the consumer and the module that should
        provide it.

        Example::

            Test.create_testing_module(imports=[AppModule]).strict().compile()
        """
        self._check_open()
        self._strict = True
        return self

    def mock_provider(self, token: Hashable, **attrs: Any) -> Self:
        """Serve every consumer an autospec'd instance mock of the provider's class: async
        methods are ``AsyncMock``, unknown attributes raise ``AttributeError``, and
        lifecycle hooks the class lacks are not faked into existence. ``attrs``
        preconfigure it as ``Mock.configure_mock`` does. The mock is ``module.mocks[token]``
        and ``module.get(token)``.

        Example::

            builder.mock_provider(EmailService, **{"send.return_value": True})
            module.mocks[EmailService].send.assert_awaited_once_with("bob@example.com")
        """
        return self._replace(token, Replacement("mock", attrs=dict(attrs)))

    def spy_provider(self, token: Hashable) -> Self:
        """Build the real provider as usual (once), and serve consumers a spy that behaves
        exactly like it while recording every method call: ``module.spies[token]``.

        Example::

            builder.spy_provider(Logger)
            module.spies[Logger].log.assert_called_with("items listed")
        """
        return self._replace(token, Replacement("spy"))

    def use_mocker(self, mocker: Callable[[Any], Any]) -> Self:
        """Call ``mocker(token)`` once for each token no module registers, and inject what
        it returns (listed in ``module.mocks``). Returning ``None`` declines: the injector
        then builds the class implicitly, or, under ``.strict()``, refuses it.

        Example::

            builder.use_mocker(lambda token: create_autospec(token, instance=True)
                               if isinstance(token, type) else None)
        """
        self._check_open()
        if not callable(mocker):
            raise UsageError(f"use_mocker() expects a callable, got {mocker!r}.")
        self._mocker = mocker
        return self

    @overload
    def override_module(self, module: type) -> OverrideModuleBy: ...
    @overload
    def override_module(self, module: type, replacement: type) -> Self: ...

    def override_module(self, module: type, replacement: type | None = None) -> Any:
        """Replace ``module`` with ``replacement`` wherever it is imported, at any depth.
        ``replacement`` must export every token ``module`` exports.

        Example::

            builder.override_module(DatabaseModule, InMemoryDatabaseModule)
            builder.override_module(DatabaseModule).use_module(InMemoryDatabaseModule)
        """
        self._check_open()
        _require_module(module, "override_module")
        if replacement is None:
            self._pending[module] = (
                f"override_module({module.__name__}): follow it with .use_module(...)"
            )
            return OverrideModuleBy(self, module)
        _require_module(replacement, "override_module")
        self._pending.pop(module, None)
        self._modules[module] = replacement
        return self

    @overload
    def override_guard(self, guard: type) -> OverrideStepBy: ...
    @overload
    def override_guard(self, guard: type, replacement: object) -> Self: ...

    def override_guard(self, guard: type, replacement: object = _UNSET) -> Any:
        """Run ``replacement`` (a guard class or instance) instead of ``guard`` on this
        testing module's routes. No class is patched: other apps keep the real guard.

        Example::

            builder.override_guard(AuthGuard, AllowAllGuard)
            builder.override_guard(AuthGuard).use_value(AllowAllGuard())
        """
        return self._route_override(self._guards, "override_guard", guard, replacement)

    @overload
    def override_filter(self, filter: type) -> OverrideStepBy: ...
    @overload
    def override_filter(self, filter: type, replacement: object) -> Self: ...

    def override_filter(self, filter: type, replacement: object = _UNSET) -> Any:
        """Use ``replacement`` (an exception filter class or instance) instead of
        ``filter`` on this testing module's routes. No class is patched.

        Example::

            builder.override_filter(HttpErrorFilter, RecordingFilter)
        """
        return self._route_override(self._filters, "override_filter", filter, replacement)

    def lazy(self) -> Self:
        """Build providers on first use instead of at compile time: for unit tests that
        need a few services of a large app.

        What changes: a provider is constructed when something first asks for it (so its
        constructor's side effects happen later, or never); startup hooks run only for
        providers that define a hook (and what those need); the HTTP app, controllers
        included, is built and its lifespan started when a client (or ``module.app`` /
        ``module.http_server``) is first asked for; at shutdown, hooks run for the
        singletons that were built. Counts are exact as always, in the phase where the
        construction happened.

        Example::

            module = Test.create_testing_module(imports=[AppModule]).lazy().compile()
            service = module.get(PricingService)   # built now, with what it needs
        """
        self._check_open()
        self._lazy = True
        return self

    def use_blueprint_cache(self, enabled: bool = True) -> Self:
        """Reuse (the default) or not what earlier compiles learnt without instances:
        PyNest's compile of unchanged module classes, its cycle and encapsulation checks
        of the same graph, constructor plans and FastAPI route templates. Instances are
        always fresh. Off for the whole process with ``NEST_TESTING_BLUEPRINT_CACHE=0``.

        Example::

            builder.use_blueprint_cache(False)  # validate this graph from scratch
        """
        self._check_open()
        self._blueprint_cache = enabled
        return self

    def configure_app(self, configure: Callable[[PyNestApp], object]) -> Self:
        """Call ``configure(app)`` with the ``PyNestApp`` after its routes are registered
        and before its lifespan starts: do here what your ``main.py`` does after
        ``PyNestFactory.create`` (global filters, middleware, event handlers). Callbacks
        run in the order given.

        Example::

            builder.configure_app(lambda app: app.use_global_filters(AllExceptionsFilter()))
        """
        self._check_open()
        if not callable(configure):
            raise UsageError(f"configure_app() expects a callable, got {configure!r}.")
        self._configure.append(configure)
        return self

    def use_database(
        self, config: object, *, url: str | None = None, transaction: bool = False
    ) -> Self:
        """For this module's lifetime, the app's ORM provider ``config`` (``OrmProvider`` /
        ``AsyncOrmProvider``) talks to a test database with ``config.Base``'s tables:
        SQLite in memory by default, or the PostgreSQL server of ``url`` (else
        ``NEST_TESTING_DATABASE_URL``), in a database of its own. Restored at close.
        ``transaction=True``: real commits, for tests that need them. See docs/database.md.

        Example::

            from src.config import config

            module = Test.create_testing_module(imports=[AppModule]).use_database(config).compile()
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

    def _route_override(
        self, table: dict[type, object], method: str, target: type, replacement: object
    ) -> Any:
        self._check_open()
        if not isinstance(target, type):
            raise UsageError(f"{method}() expects the class used on the routes, got {target!r}.")
        if replacement is _UNSET:
            self._pending[target] = (
                f"{method}({target.__name__}): follow it with .use_class(...) or .use_value(...)"
            )
            return OverrideStepBy(self, table, target)
        self._pending.pop(target, None)
        table[target] = replacement
        return self

    def _extend(self, extension: ModuleExtension) -> Self:
        """Wire a feature into the module's life (see :mod:`nest_testing._extensions`)."""
        self._check_open()
        self._extensions.append(extension)
        return self

    def _replace(self, token: Hashable, replacement: Replacement) -> Self:
        self._check_open()
        self._pending.pop(token, None)
        self._replacements[token] = replacement
        return self

    def _check_open(self) -> None:
        if self._compiled:
            raise UsageError(
                "This builder was already compiled; configure a new one with "
                "Test.create_testing_module(...)."
            )

    # ── compiling ────────────────────────────────────────────────────────────

    def compile(self) -> TestingModule:
        """Build the testing module on an event loop of its own (in a background thread):
        lifecycle hooks, requests through ``module.client`` and shutdown hooks all run on
        that one loop.

        Example::

            module = Test.create_testing_module(imports=[AppModule]).compile()
        """
        try:
            module = self._prepare()
            module._open_in_thread()
        except NestTestingError:
            raise
        except Exception as exc:
            raise NestTestingError(f"Compiling the testing module failed: {exc!r}") from exc
        return module

    async def compile_async(self) -> TestingModule:
        """Build the testing module on the running event loop (the test's own), served by
        ``module.async_client()``; close it with ``await module.aclose()``.

        Example::

            module = await Test.create_testing_module(imports=[AppModule]).compile_async()
        """
        try:
            module = self._prepare()
            await module._open_on_loop()
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
        )
        container = TestingContainer(ledger=ledger, plan=plan)
        container.add_root(root)
        return TestingModule(
            container,
            ledger,
            root,
            guards=dict(self._guards),
            filters=dict(self._filters),
            configure=list(self._configure),
            extensions=list(self._extensions),
            lazy=self._lazy,
        )


class Test:
    """Entry point, as in ``@nestjs/testing``.

    Example::

        from nest_testing import Test

        module = Test.create_testing_module(imports=[AppModule]).compile()
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
        (the same keys as ``@Module``).

        Example::

            builder = Test.create_testing_module(imports=[AppModule])
        """
        return TestingModuleBuilder(
            imports=imports, providers=providers, controllers=controllers, exports=exports
        )


__all__ = ["OverrideBy", "OverrideModuleBy", "OverrideStepBy", "Test", "TestingModuleBuilder"]

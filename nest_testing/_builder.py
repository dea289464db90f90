"""``Test.create_testing_module(...)`` and the builder that collects overrides."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, overload

from nest.common.module import ModuleCompiler
from nest.common.provider import ProviderDescriptor
from nest.core.decorators.module import Module

from nest_testing._container import Replacement, TestingContainer
from nest_testing._ledger import Ledger
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
            self._token, Replacement(ProviderDescriptor(provide=self._token, use_class=cls))
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
                ProviderDescriptor(provide=self._token, use_factory=factory, inject=list(inject)),
                await_factory=True,
            ),
        )


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
            if not (isinstance(module, type) and ModuleCompiler.has_module_metadata(module)):
                raise UsageError(
                    f"create_testing_module(imports=[...]) takes PyNest @Module classes; "
                    f"{module!r} is not one."
                )
        self._metadata = Module(
            imports=list(imports),
            providers=list(providers),
            controllers=list(controllers),
            exports=list(exports),
        )
        self._replacements: dict[Hashable, Replacement] = {}
        self._pending: dict[Hashable, None] = {}
        self._strict = False
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
            self._pending[token] = None
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
            names = ", ".join(token_name(t) for t in self._pending)
            raise UsageError(
                f"override_provider({names}) was never completed: follow it with "
                ".use_value(...), .use_class(...) or .use_factory(...)."
            )
        self._compiled = True
        # A fresh class per testing module: nothing user-defined is decorated or mutated.
        root = self._metadata(
            type("RootTestingModule", (), {"__nest_testing_root__": True, "__module__": __name__})
        )
        ledger = Ledger()
        container = TestingContainer(
            ledger=ledger, replacements=dict(self._replacements), strict=self._strict
        )
        container.add_root(root)
        return TestingModule(container, ledger, root)


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


__all__ = ["OverrideBy", "Test", "TestingModuleBuilder"]

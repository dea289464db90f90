"""The builder's override methods: what replaces providers, modules, guards, filters,
pipes and route dependencies, recorded for the plan.

`OverrideRecorder` is the base of `TestingModuleBuilder`, as NestJS's builder has its
`override*` family beside its settings: each method checks its input and records it
in the builder's tables; nothing is applied before `compile()` turns them into the
`nest_testing._plan.Plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, overload

from nest_testing._dependency_overrides import DependencyOverrides
from nest_testing._override_steps import OverrideBy, OverrideModuleBy, OverrideStepBy
from nest_testing._plan import AutoMock, Replacement
from nest_testing._tokens import token_name
from nest_testing._usage import require_module, require_token
from nest_testing.errors import UsageError

if TYPE_CHECKING:
    from typing_extensions import Self

_UNSET: Any = object()


_METHODS = {"override": "override_provider", "mock": "mock_provider", "spy": "spy_provider"}


class OverrideRecorder:
    """The override methods of `TestingModuleBuilder` (its base): `override_provider`,
    `mock_provider`, `spy_provider`, `use_auto_mock`, `use_mocker`, `override_module`,
    `override_guard`, `override_filter`, `override_pipe` and `override_dependency`.

    Example:
        ```python
        builder.override_provider(Logger, FakeLogger).mock_provider(Mailer)
        ```
    """

    def __init__(self) -> None:
        self._replacements: dict[Hashable, Replacement] = {}
        self._modules: dict[type, type] = {}
        self._guards: dict[type, object] = {}
        self._filters: dict[type, object] = {}
        self._pipes: dict[type, object] = {}
        self._mocker: Callable[[Any], Any] | None = None
        self._auto_mock: AutoMock | None = None
        self._dependencies = DependencyOverrides()
        self._pending: dict[Hashable, str] = {}
        self._compiled = False

    @overload
    def override_provider(self, token: Hashable) -> OverrideBy[Self]: ...

    @overload
    def override_provider(self, token: Hashable, replacement: object) -> Self: ...

    def override_provider(self, token: Hashable, replacement: object = _UNSET) -> Any:
        """Replace the provider of `token` wherever it is provided in the graph.

        With a second argument: a class means `use_class`, anything else (`None`
        included) `use_value`. With one argument, finish with `.use_value(v)`,
        `.use_class(C)` or `.use_factory(f, inject=[...])`. The last override of a
        token wins.

        Example:
            ```python
            builder.override_provider(Logger, FakeLogger)
            builder.override_provider(ConfigService).use_value(FakeConfig())
            ```
        """
        self._check_open()
        require_token(token, "override_provider()")
        by = OverrideBy(token, self._replace)
        if replacement is _UNSET:
            self._pending[token] = (
                f"override_provider({token_name(token)}): follow it with .use_value(...), "
                ".use_class(...) or .use_factory(...)"
            )
            return by
        if isinstance(replacement, type):
            return by.use_class(replacement)
        return by.use_value(replacement)

    def mock_provider(self, token: Hashable, **attrs: Any) -> Self:
        """Serve every consumer an autospec'd instance mock of the provider's class: async
        methods are `AsyncMock`, unknown attributes raise `AttributeError`, and
        lifecycle hooks the class lacks are not faked into existence. `attrs`
        preconfigure it as `Mock.configure_mock` does. The mock is `module.mocks[token]`
        and `module.get(token)`.

        Example:
            ```python
            builder.mock_provider(EmailService, **{"send.return_value": True})
            module.mocks[EmailService].send.assert_awaited_once_with("bob@example.com")
            ```
        """
        return self._replace(token, Replacement("mock", attrs=dict(attrs)))

    def spy_provider(self, token: Hashable) -> Self:
        """Build the real provider as usual (once), and serve consumers a spy that behaves
        exactly like it while recording every method call: `module.spies[token]`.

        Example:
            ```python
            builder.spy_provider(Logger)
            module.spies[Logger].log.assert_called_with("items listed")
            ```
        """
        return self._replace(token, Replacement("spy"))

    def use_auto_mock(
        self, exclude: Sequence[Hashable] = (), factory: Callable[[type], Any] | None = None
    ) -> Self:
        """Serve every class provider of the graph as a mock (an autospec of its class,
        async methods `AsyncMock`; or `factory(cls)`, which may return `None` to
        keep that one real), except the tokens or classes in `exclude`. Values,
        factories, aliases, controllers and websocket gateways stay real; an explicit
        `override_provider` / `mock_provider` / `spy_provider` wins. The mocks are
        in `module.mocks`.

        Example:
            ```python
            builder.use_auto_mock(exclude=[SignupService])
            module.mocks[UserRepository].find_by_email.return_value = None
            ```
        """
        self._check_open()
        if factory is not None and not callable(factory):
            raise UsageError(f"use_auto_mock(factory=...) expects a callable, got {factory!r}.")
        if isinstance(exclude, (str, type)) or not isinstance(exclude, Sequence | set):
            raise UsageError(
                f"use_auto_mock(exclude=...) expects a list of tokens, got {exclude!r}: "
                "write exclude=[Token]."
            )
        self._auto_mock = AutoMock(tuple(exclude), factory)
        return self

    def use_mocker(self, mocker: Callable[[Any], Any]) -> Self:
        """Call `mocker(token)` once for each token no module registers, and inject what
        it returns (listed in `module.mocks`). Returning `None` declines: the injector
        then builds the class implicitly, or, under `.strict()`, refuses it.

        Example:
            ```python
            builder.use_mocker(lambda token: create_autospec(token, instance=True)
                               if isinstance(token, type) else None)
            ```
        """
        self._check_open()
        if not callable(mocker):
            raise UsageError(f"use_mocker() expects a callable, got {mocker!r}.")
        self._mocker = mocker
        return self

    @overload
    def override_module(self, module: type) -> OverrideModuleBy[Self]: ...

    @overload
    def override_module(self, module: type, replacement: type) -> Self: ...

    def override_module(self, module: type, replacement: type | None = None) -> Any:
        """Replace `module` with `replacement` wherever it is imported, at any depth.
        `replacement` must export every token of `module`'s that a consumer injects.

        Example:
            ```python
            builder.override_module(DatabaseModule, InMemoryDatabaseModule)
            builder.override_module(DatabaseModule).use_module(InMemoryDatabaseModule)
            ```
        """
        self._check_open()
        require_module(module, "override_module()")
        if replacement is None:
            self._pending[module] = (
                f"override_module({module.__name__}): follow it with .use_module(...)"
            )
            return OverrideModuleBy(lambda replacement: self.override_module(module, replacement))
        require_module(replacement, "override_module()")
        self._pending.pop(module, None)
        self._modules[module] = replacement
        return self

    @overload
    def override_guard(self, guard: type) -> OverrideStepBy[Self]: ...

    @overload
    def override_guard(self, guard: type, replacement: object) -> Self: ...

    def override_guard(self, guard: type, replacement: object = _UNSET) -> Any:
        """Run `replacement` (a guard class or instance) instead of `guard` on this
        testing module's routes. No class is patched: other apps keep the real guard.

        Example:
            ```python
            builder.override_guard(AuthGuard, AllowAllGuard)
            builder.override_guard(AuthGuard).use_value(AllowAllGuard())
            ```
        """
        return self._route_override(self._guards, "override_guard", guard, replacement)

    @overload
    def override_filter(self, filter: type) -> OverrideStepBy[Self]: ...

    @overload
    def override_filter(self, filter: type, replacement: object) -> Self: ...

    def override_filter(self, filter: type, replacement: object = _UNSET) -> Any:
        """Use `replacement` (an exception filter class or instance) instead of
        `filter` on this testing module's routes. No class is patched.

        Example:
            ```python
            builder.override_filter(HttpErrorFilter, RecordingFilter)
            ```
        """
        return self._route_override(self._filters, "override_filter", filter, replacement)

    @overload
    def override_pipe(self, pipe: type) -> OverrideStepBy[Self]: ...

    @overload
    def override_pipe(self, pipe: type, replacement: object) -> Self: ...

    def override_pipe(self, pipe: type, replacement: object = _UNSET) -> Any:
        """Use `replacement` (a pipe class, built per request as PyNest does, or a pipe
        object or callable) instead of the pipe class `pipe` given to `Param` /
        `Query` / `Body` / ... on this testing module's routes. No class is patched.

        Example:
            ```python
            builder.override_pipe(ParseIntPipe, LenientIntPipe)
            builder.override_pipe(ParseIntPipe).use_value(lambda value: 7)
            ```
        """
        return self._route_override(self._pipes, "override_pipe", pipe, replacement)

    def override_dependency(
        self, dependency: Callable[..., Any], replacement: Callable[..., Any]
    ) -> Self:
        """Call `replacement` wherever this module's routes `Depends(dependency)`
        (a function, a class, a bound method such as `config.get_db`, a generator),
        through this module's FastAPI `dependency_overrides`; other apps keep the real
        one. A dependency no route uses is an `UnknownOverrideError` at compile
        time. A replacement class is counted in `module.constructions`.

        Example:
            ```python
            builder.override_dependency(config.get_db, fake_get_db)
            ```
        """
        self._check_open()
        self._dependencies.add(dependency, replacement)
        return self

    def _route_override(
        self, table: dict[type, object], method: str, target: type, replacement: object
    ) -> Any:
        self._check_open()
        if not isinstance(target, type):
            raise UsageError(f"{method}() expects the class used on the routes, got {target!r}.")
        if replacement is _UNSET:
            self._pending[target] = (
                f"{method}({target.__name__}): follow it with .use_class(...), "
                ".use_value(...) or .use_factory(...)"
            )
            return OverrideStepBy(
                lambda chosen: self._route_override(table, method, target, chosen), method
            )
        self._pending.pop(target, None)
        table[target] = replacement
        return self

    def _replace(self, token: Hashable, replacement: Replacement) -> Self:
        self._check_open()
        require_token(token, f"{_METHODS[replacement.kind]}()")
        self._pending.pop(token, None)
        self._replacements[token] = replacement
        return self

    def _check_open(self) -> None:
        if self._compiled:
            raise UsageError(
                "This builder was already compiled; configure a new one with "
                "Test.create_testing_module(...)."
            )

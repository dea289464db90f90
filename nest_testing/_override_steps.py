"""The second halves of the builder's two-step overrides: `override_provider(T).use_*`.

Each step class only turns the user's `use_value` / `use_class` / `use_factory` /
`use_module` into the builder's one-argument form; the builder records it in the plan.
Nothing here knows how a replacement is applied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from nest.common.provider import ProviderDescriptor

from nest_testing._plan import Replacement
from nest_testing._tokens import token_name
from nest_testing._usage import is_module
from nest_testing.errors import UsageError

B = TypeVar("B")
"""The builder a step returns, so calls chain (a `TestingModuleBuilder`)."""


class _Unfinished:
    """A step that is used as if it were the builder says what is missing."""

    _forms = ".use_value(...)"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probe for these
            raise AttributeError(name)
        raise UsageError(
            f"This override is not finished: follow it with {self._forms}, which returns "
            f"the builder; then call .{name}(...) on that."
        )


class OverrideBy(_Unfinished, Generic[B]):
    """The second half of `builder.override_provider(token)`: say what replaces it.

    Example:
        ```python
        builder.override_provider(ConfigService).use_value(FakeConfig())
        builder.override_provider(Repo).use_class(InMemoryRepo)
        builder.override_provider(DB_URL).use_factory(make_url, inject=[ConfigService])
        ```
    """

    _forms = ".use_value(...), .use_class(...) or .use_factory(...)"

    def __init__(self, token: Hashable, replace: Callable[[Hashable, Replacement], B]) -> None:
        self._token = token
        self._replace = replace

    def use_value(self, value: object) -> B:
        """Every consumer receives `value` itself (`None` and falsy values included)."""
        return self._replace(
            self._token,
            Replacement(
                "override",
                ProviderDescriptor(provide=self._token, use_value=value),
                value_is_none=value is None,
            ),
        )

    def use_class(self, cls: type) -> B:
        """`cls` is built by the injector (its constructor dependencies injected) in
        place of the original, with the original's scope."""
        if not isinstance(cls, type):
            raise UsageError(
                f"override_provider({token_name(self._token)}).use_class() expects a class, "
                f"got {cls!r}; use .use_value() for an instance."
            )
        if is_module(cls):
            raise UsageError(
                f"override_provider({token_name(self._token)}, {cls.__name__}): "
                f"{cls.__name__} is a @Module, not a provider class. To swap a module, use "
                f"override_module(TheModule, {cls.__name__})."
            )
        return self._replace(
            self._token,
            Replacement("override", ProviderDescriptor(provide=self._token, use_class=cls)),
        )

    def use_factory(self, factory: Callable[..., Any], *, inject: Sequence[Hashable] = ()) -> B:
        """`factory(*resolved inject tokens)` builds the value once, at compile time; an
        async factory is awaited on the module's loop."""
        if not callable(factory):
            raise UsageError(
                f"override_provider({token_name(self._token)}).use_factory() expects a "
                f"callable, got {factory!r}."
            )
        return self._replace(
            self._token,
            Replacement(
                "override",
                ProviderDescriptor(provide=self._token, use_factory=factory, inject=list(inject)),
                await_factory=True,
            ),
        )


class OverrideModuleBy(_Unfinished, Generic[B]):
    """The second half of `builder.override_module(Old)`.

    Example:
        ```python
        builder.override_module(DatabaseModule).use_module(InMemoryDatabaseModule)
        ```
    """

    _forms = ".use_module(...)"

    def __init__(self, use_module: Callable[[type], B]) -> None:
        self._use_module = use_module

    def use_module(self, replacement: type) -> B:
        """Import `replacement` wherever the module was imported."""
        return self._use_module(replacement)


@dataclasses.dataclass(frozen=True)
class RouteFactory:
    """`override_guard(G).use_factory(factory, inject=[...])` (and for filters and
    pipes): the replacement is `factory(*resolved inject tokens)`, made once when the
    module's app is assembled."""

    factory: Callable[..., Any]
    inject: tuple[Hashable, ...] = ()


class OverrideStepBy(_Unfinished, Generic[B]):
    """The second half of `builder.override_guard(G)` / `override_filter(F)` /
    `override_pipe(P)`.

    Example:
        ```python
        builder.override_guard(AuthGuard).use_class(AllowAllGuard)
        builder.override_guard(AuthGuard).use_factory(make_guard, inject=[ConfigService])
        ```
    """

    _forms = ".use_class(...), .use_value(...) or .use_factory(...)"

    def __init__(self, use: Callable[[object], B], method: str = "override_guard") -> None:
        self._use = use
        self._method = method

    def use_factory(self, factory: Callable[..., Any], *, inject: Sequence[Hashable] = ()) -> B:
        """Use `factory(*inject)` (the tokens resolved from this testing module's
        container, once, when its app is assembled) where the original class was used.
        The factory must be synchronous."""
        if not callable(factory):
            raise UsageError(
                f"{self._method}().use_factory() expects a callable, got {factory!r}."
            )
        return self._use(RouteFactory(factory, tuple(inject)))

    def use_class(self, cls: type) -> B:
        """Instantiate `cls` where the original class was used."""
        return self._use(cls)

    def use_value(self, value: object) -> B:
        """Use the instance `value` where the original class was used."""
        return self._use(value)

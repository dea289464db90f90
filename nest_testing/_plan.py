"""The testing module's plan, and PyNest's module compiler applying it.

A `Plan` is everything a builder collected: what changes how the module graph is
compiled (replaced providers: overrides, mocks, spies; replaced modules; strict mode; the
mocker; lazy building) and, in its `AppPlan`, what changes the app (guard and
filter overrides, `configure_app` callbacks, extensions). The builder makes one; the
container, the app assembly and the runtime read it; nobody changes it.
`OverridingCompiler` applies it to each `CompiledModule` of one
container, so every change lands in that container's own copies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from typing import Any, cast

from nest.common.module import CompiledModule, ModuleCompiler, ModuleTokenFactory
from nest.common.provider import ProviderDescriptor
from nest.core.pynest_application import PyNestApp

from nest_testing._doubles import autospec
from nest_testing._extensions import ModuleExtension
from nest_testing._tokens import token_name
from nest_testing.errors import UsageError


@dataclasses.dataclass(frozen=True)
class Replacement:
    """What the builder asked for in place of a token's provider.

    `kind` is `"override"` (`descriptor` replaces the original), `"mock"` (an
    autospec of the original's class, configured with `attrs`) or `"spy"` (the
    original, wrapped once built).
    """

    kind: str
    descriptor: ProviderDescriptor | None = None
    value_is_none: bool = False
    await_factory: bool = False
    attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)


DEFAULT_HOOK_TIMEOUT = 60.0


def backstop(timeout: float) -> float:
    """How long a wait that backs the hook timeout up waits (the loop watchdog, the
    lifespan's shutdown): long enough that a hook's own timeout, which starts a little
    later, always fires first and names the hook."""
    return timeout + max(1.0, timeout / 10)


"""Generous: a hook that takes a minute in a test is stuck, not slow."""


@dataclasses.dataclass(frozen=True)
class AppPlan:
    """What a builder collected that changes the module's app (see
    `nest_testing._app_assembly` for the order it is applied in). A guard, filter or
    pipe replacement is a class, a value, or a `RouteFactory` (`use_factory`)."""

    guards: Mapping[type, object] = dataclasses.field(default_factory=dict)
    filters: Mapping[type, object] = dataclasses.field(default_factory=dict)
    pipes: Mapping[type, object] = dataclasses.field(default_factory=dict)
    configure: tuple[Callable[[PyNestApp], object], ...] = ()
    extensions: tuple[ModuleExtension, ...] = ()
    """Features wired into the module's life (see `nest_testing._extensions`)."""


@dataclasses.dataclass(frozen=True)
class AutoMock:
    """`use_auto_mock(exclude=..., factory=...)`: every class provider not excluded
    (by token or by class) is served as `factory(cls)`, or an autospec of its class;
    a factory that returns `None` keeps that provider real."""

    exclude: tuple[Hashable, ...] = ()
    factory: Callable[[type], Any] | None = None


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything a builder collected: how the graph is compiled, and the app."""

    replacements: Mapping[Hashable, Replacement] = dataclasses.field(default_factory=dict)
    modules: Mapping[type, type] = dataclasses.field(default_factory=dict)
    strict: bool = False
    mocker: Callable[[Any], Any] | None = None
    blueprint_cache: bool = True
    lazy: bool = False
    hook_timeout: float | None = DEFAULT_HOOK_TIMEOUT
    """Seconds each lifecycle hook (and the app's lifespan startup/shutdown) may take."""
    auto_mock: AutoMock | None = None
    app: AppPlan = dataclasses.field(default_factory=AppPlan)


def _spec_class(descriptor: ProviderDescriptor) -> type:
    if descriptor.use_class is not None:
        return cast(type, descriptor.use_class)
    if isinstance(descriptor.provide, type):
        return descriptor.provide
    if descriptor.use_value is not None:
        return type(descriptor.use_value)
    name = token_name(descriptor.provide)
    raise UsageError(
        f"mock_provider({name}): {name} is provided by a factory or an alias, so its class "
        "is unknown until it runs. Override it with a mock you make: "
        f"override_provider({name}, create_autospec(TheClass, instance=True))."
    )


def _mock_of(descriptor: ProviderDescriptor, attrs: Mapping[str, Any]) -> Any:
    cls = _spec_class(descriptor)
    try:
        return autospec(cls, dict(attrs))
    except AttributeError as exc:
        name = token_name(descriptor.provide)
        raise UsageError(
            f"mock_provider({name}, {', '.join(attrs)}): {exc}. The mock follows "
            f"{cls.__name__}'s attributes; check the spelling."
        ) from exc


class OverridingCompiler(ModuleCompiler):  # type: ignore[misc]  # PyNest is untyped
    """PyNest's module compiler, with the plan applied to each compiled module: replaced
    descriptors, mocks, replaced imported modules. Every change lands in this container's
    own `CompiledModule` copies; nothing shared is mutated."""

    def __init__(self, token_factory: ModuleTokenFactory, plan: Plan) -> None:
        super().__init__(token_factory)
        self._plan = plan
        self.applied: set[Hashable] = set()
        self.replaced_modules: set[type] = set()
        self.importers: dict[type, set[type]] = {}
        """Each replaced module class -> the module classes that import it."""
        self.mocks: dict[Hashable, Any] = {}
        self.auto_mocked: set[Hashable] = set()
        """Tokens `use_auto_mock` replaced with a mock."""

    def compile(self, metatype: type[Any]) -> CompiledModule:
        compiled = super().compile(metatype)
        plan = self._plan
        if plan.modules:
            for imported in compiled.imports:
                if imported in plan.modules:
                    self.importers.setdefault(imported, set()).add(metatype)
            compiled = dataclasses.replace(
                compiled,
                imports=[self._module(m) for m in compiled.imports],
                exports=[self._module(e) if isinstance(e, type) else e for e in compiled.exports],
            )
        if not plan.replacements and plan.auto_mock is None:
            return compiled
        descriptors = [self._descriptor(d) for d in compiled.provider_descriptors]
        return dataclasses.replace(compiled, provider_descriptors=descriptors)

    def _module(self, module: type) -> type:
        replacement = self._plan.modules.get(module)
        if replacement is None:
            return module
        self.replaced_modules.add(module)
        return replacement

    def _descriptor(self, descriptor: ProviderDescriptor) -> ProviderDescriptor:
        token = descriptor.provide
        replacement = self._plan.replacements.get(token)
        if replacement is None:
            return self._auto_mocked(descriptor)
        self.applied.add(token)
        if replacement.kind == "spy":
            return descriptor
        if replacement.kind == "mock":
            if token not in self.mocks:
                self.mocks[token] = _mock_of(descriptor, replacement.attrs)
            return ProviderDescriptor(provide=token, use_value=self.mocks[token])
        assert replacement.descriptor is not None
        # A fresh descriptor keeps the original's scope; the original is never touched.
        return dataclasses.replace(replacement.descriptor, scope=descriptor.scope)

    def _auto_mocked(self, descriptor: ProviderDescriptor) -> ProviderDescriptor:
        """`use_auto_mock`: a class provider (not a websocket gateway, which PyNest
        registers routes for) becomes a mock, unless excluded by token or class."""
        auto, token, cls = self._plan.auto_mock, descriptor.provide, descriptor.use_class
        if (
            auto is None
            or cls is None
            or hasattr(cls, "__websocket_gateway__")
            or token in auto.exclude
            or cls in auto.exclude
        ):
            return descriptor
        if token not in self.mocks:
            double = auto.factory(cls) if auto.factory is not None else autospec(cls, {})
            if double is None:  # the factory keeps this one real
                return descriptor
            self.mocks[token] = double
            self.auto_mocked.add(token)
        return ProviderDescriptor(provide=token, use_value=self.mocks[token])


def exported_tokens(module: type, seen: frozenset[type] = frozenset()) -> set[Hashable]:
    """What a module class exports, following re-exported modules (as PyNest resolves
    exports for encapsulation)."""
    tokens: set[Hashable] = set()
    for export in getattr(module, "exports", None) or []:
        if getattr(export, "__is_module__", False):
            if export not in seen:
                tokens |= exported_tokens(export, seen | {module})
        else:
            tokens.add(export)
    return tokens

"""Binding a testing module's providers into its injector, as PyNest's build does.

PyNest's `build` installs every descriptor with `PyNestInjectorModule` and then runs
factories and aliases in declaration order. The steps here are those, with what a test
adds: lazy binding on first lookup, spies around real instances, async override
factories awaited on the module's loop, and every factory counted and named. The order
of the steps is the container's (`build_async`); nothing here validates the graph.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Sequence
from functools import partial
from typing import Any

from injector import Binder, Binding, Injector, InstanceProvider, Provider
from nest.common.module import CompiledModule
from nest.common.provider import ProviderDescriptor
from nest.core.injector_module import PyNestInjectorModule

from nest_testing._blueprints import BLUEPRINTS
from nest_testing._doubles import spy_on
from nest_testing._injector import TestingInjector, planned_binding
from nest_testing._ledger import Ledger
from nest_testing._plan import Replacement
from nest_testing._tokens import token_name
from nest_testing.errors import ProviderConstructionError, UsageError


class _SpyingProvider(Provider[Any]):
    def __init__(self, inner: Provider[Any], token: Hashable, spies: dict[Hashable, Any]) -> None:
        self._inner = inner
        self._token = token
        self._spies = spies

    def get(self, injector: Injector) -> Any:
        spy = spy_on(self._inner.get(injector))
        self._spies[self._token] = spy
        return spy


def _bind_one(binder: Binder, descriptor: ProviderDescriptor) -> None:
    PyNestInjectorModule([descriptor]).configure(binder)


def bind(injector: TestingInjector, descriptors: list[ProviderDescriptor], *, lazy: bool) -> None:
    """Class and value providers through PyNest's own injector module: all at once,
    or, in lazy mode, each when first looked up."""
    if not lazy:
        injector.binder.install(PyNestInjectorModule(descriptors))
        return
    binder = injector.binder
    # The last descriptor of a token wins, as when PyNest binds them all in order.
    pending = {
        d.provide: d for d in descriptors if d.use_factory is None and d.use_existing is None
    }
    injector.defer(pending, lambda descriptor: _bind_one(binder, descriptor))


def bind_modules(
    injector: TestingInjector, modules: Sequence[CompiledModule], rest: list[ProviderDescriptor]
) -> None:
    """`bind(injector, descriptors, lazy=False)` with constructor plans, where
    `descriptors` are the providers of `modules`, in order, then `rest`. The bindings
    PyNest's injector module makes of a kept module's providers are kept with it
    (they hold classes and plans, no instance, nothing of one injector), so a warm
    compile copies them instead of binding thousands of providers one by one. When
    `rest` are the modules' controllers, in order (PyNest's controller descriptors),
    each module's are kept with it too."""
    binder = injector.binder
    pending: list[ProviderDescriptor] = []  # bound together, in order, PyNest's way
    for compiled in modules:
        descriptors = compiled.provider_descriptors
        kept = BLUEPRINTS.derived(compiled, "bindings", partial(_planned_bindings, descriptors))
        if kept is None:
            pending.extend(descriptors)
            continue
        if pending:
            binder.install(PyNestInjectorModule(pending))
            pending = []
        binder.bind_all(kept)
    start = 0
    for compiled in modules if not pending else ():
        controllers = compiled.controllers
        if not controllers:
            continue
        here = rest[start : start + len(controllers)]
        if len(here) < len(controllers) or any(
            d.provide is not c for d, c in zip(here, controllers, strict=True)
        ):
            break  # not the modules' controllers: bound PyNest's way
        kept = BLUEPRINTS.derived(
            compiled, "controller_bindings", partial(_planned_bindings, here)
        )
        if kept is None:
            break
        binder.bind_all(kept)
        start += len(controllers)
    pending.extend(rest[start:])
    if pending:
        binder.install(PyNestInjectorModule(pending))


class _Recorder:
    """Takes the `bind` calls of PyNest's injector module, keeping the planned
    bindings they make (see `planned_binding`), in call order."""

    def __init__(self) -> None:
        self.bindings: dict[Any, Binding] = {}
        self.planned = True

    def bind(self, interface: Any, to: Any = None, scope: Any = None) -> None:
        binding = planned_binding(interface, to, scope)
        if binding is None:
            self.planned = False
        else:
            self.bindings[interface] = binding


def _planned_bindings(descriptors: list[ProviderDescriptor]) -> dict[Any, Binding] | None:
    """What PyNest's injector module binds of `descriptors`, as planned bindings;
    `None` when some binding is not one (a value, a transient: bound every time)."""
    recorder = _Recorder()
    PyNestInjectorModule(descriptors).configure(recorder)
    return recorder.bindings if recorder.planned else None


def install_spies(
    injector: TestingInjector, tokens: Sequence[Hashable], spies: dict[Hashable, Any]
) -> None:
    """Consumers of a spied token receive a spy around the real instance, which is
    still built (and counted) by its own provider, in its own scope."""
    for token in tokens:
        binding, _ = injector.binder.get_binding(token)  # type: ignore[arg-type]
        if isinstance(binding.provider, InstanceProvider):
            _refuse_plain_value(token, binding.provider.get(injector))
        provider = _SpyingProvider(binding.provider, token, spies)
        injector.binder.bind(token, to=provider, scope=binding.scope)  # type: ignore[arg-type]


# Values with no methods worth recording, that a stand-in would break (arithmetic,
# comparisons, hashing).
_NOT_SPIABLE = (bool, int, float, complex, str, bytes, tuple, frozenset, type(None))


def _refuse_plain_value(token: Hashable, value: object) -> None:
    if isinstance(value, _NOT_SPIABLE):
        name = token_name(token)
        raise UsageError(
            f"spy_provider({name}): {name} is the value {value!r}, which has no methods to "
            "spy on, and a spy standing in for it would break arithmetic and comparisons "
            f"in its consumers. Assert on module.get({name}) instead, or replace it with "
            f"override_provider({name}, ...)."
        )


async def run_factory(
    injector: TestingInjector,
    ledger: Ledger,
    descriptor: ProviderDescriptor,
    replacement: Replacement | None,
    owner_path: tuple[str, ...],
) -> None:
    """PyNest's factory step for one descriptor, counted; an async factory given to
    `override_provider().use_factory()` is awaited."""
    token = descriptor.provide
    with injector.origin(owner_path):
        path = injector.path_to(token)
        with injector.building(token, "factory") as serial:
            args = [injector.get(dependency) for dependency in descriptor.inject]
    try:
        value = descriptor.use_factory(*args)
        if replacement is not None and replacement.await_factory and inspect.isawaitable(value):
            value = await value
    except Exception as exc:
        raise ProviderConstructionError(
            f"{' -> '.join(path)}: {exc!r}", path=path, token=token
        ) from exc
    ledger.commit(serial)
    injector.binder.bind(token, to=InstanceProvider(value))


def bind_alias(
    injector: TestingInjector, descriptor: ProviderDescriptor, owner_path: tuple[str, ...]
) -> None:
    """PyNest's `useExisting` step: the alias is bound to the instance it names."""
    with injector.origin(owner_path), injector.building(descriptor.provide, "alias"):
        existing = injector.get(descriptor.use_existing)
    injector.binder.bind(descriptor.provide, to=InstanceProvider(existing))

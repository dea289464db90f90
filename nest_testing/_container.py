"""PyNest's container, subclassed for testing.

A :class:`TestingContainer` is a ``PyNestContainer`` that

- compiles modules with the testing module's overrides applied to the descriptors of
  the module that owns each token (a per-container copy; nothing shared is mutated);
- builds its injector as a :class:`~nest_testing._injector.TestingInjector` (counting,
  strict mode, path-naming errors) and awaits async override factories on the module's
  own event loop;
- names the module path in every error from the graph and from lifecycle hooks.

Everything else, module registration order, the cycle and encapsulation checks,
lifecycle hook order and concurrency, is PyNest's own code.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections import deque
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from injector import Binder, Injector, InstanceProvider, get_bindings
from nest.common.exceptions import CircularDependencyException, ProviderNotExportedException
from nest.common.module import CompiledModule, ModuleCompiler, ModuleTokenFactory
from nest.common.provider import ProviderDescriptor
from nest.core.encapsulation import validate_module_encapsulation
from nest.core.injector_module import PyNestInjectorModule
from nest.core.pynest_container import ModuleRef, PyNestContainer

from nest_testing._injector import TestingInjector
from nest_testing._ledger import Ledger
from nest_testing._tokens import did_you_mean, token_name
from nest_testing.errors import (
    CircularDependencyError,
    EncapsulationError,
    ImplicitProviderError,
    LifecycleHookError,
    NestTestingError,
    ProviderConstructionError,
    UnknownOverrideError,
)

_VIOLATION = re.compile(r"✗ (\S+) \(in module (\S+)\) depends on ([^,\n]+),")


@dataclasses.dataclass(frozen=True)
class Replacement:
    """What an override puts in place of a token's descriptor."""

    descriptor: ProviderDescriptor
    value_is_none: bool = False
    await_factory: bool = False


class _OverridingCompiler(ModuleCompiler):  # type: ignore[misc]  # PyNest is untyped
    """PyNest's module compiler, with overridden descriptors swapped in per container."""

    def __init__(
        self, token_factory: ModuleTokenFactory, replacements: Mapping[Hashable, Replacement]
    ) -> None:
        super().__init__(token_factory)
        self._replacements = replacements
        self.applied: set[Hashable] = set()

    def compile(self, metatype: type[Any]) -> CompiledModule:
        compiled = super().compile(metatype)
        if not self._replacements:
            return compiled
        descriptors = []
        for descriptor in compiled.provider_descriptors:
            replacement = self._replacements.get(descriptor.provide)
            if replacement is None:
                descriptors.append(descriptor)
                continue
            self.applied.add(descriptor.provide)
            # A fresh descriptor keeps the original's scope; the original is never touched.
            descriptors.append(dataclasses.replace(replacement.descriptor, scope=descriptor.scope))
        return dataclasses.replace(compiled, provider_descriptors=descriptors)


class TestingContainer(PyNestContainer):  # type: ignore[misc]  # PyNest is untyped
    """``PyNestContainer`` with overrides, counting, strict mode and path-naming errors."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        ledger: Ledger,
        replacements: Mapping[Hashable, Replacement],
        strict: bool,
    ) -> None:
        super().__init__()
        self._ledger = ledger
        self._replacements = replacements
        self._strict = strict
        self._compiler = _OverridingCompiler(self._module_token_factory, replacements)
        self._module_compiler = self._compiler
        self._root: ModuleRef | None = None
        self._paths: dict[str, tuple[str, ...]] = {}
        self._hook_owners: dict[int, tuple[str, ...]] = {}
        self._collecting: tuple[str, ...] | None = None

    # ── the module graph ──────────────────────────────────────────────────────

    def add_root(self, root: type) -> None:
        """Register the testing root module and everything it imports; check overrides."""
        self.add_module(root)
        self._root = self._ref_of(root)
        self._paths = self._module_paths(self._root)
        missing = [t for t in self._replacements if t not in self._compiler.applied]
        if missing:
            raise self._unknown_override(missing)

    @property
    def known_tokens(self) -> set[Hashable]:
        """Every token a module provides, and every controller."""
        known: set[Hashable] = set()
        for ref in self._modules.values():
            known.update(d.provide for d in ref.compiled.provider_descriptors)
            known.update(ref.compiled.controllers)
        return known

    def module_refs(self) -> list[ModuleRef]:
        return list(self._modules.values())

    def ref_of(self, module: type) -> ModuleRef | None:
        """The registered module for a module class, if it is in the graph."""
        for ref in self._modules.values():
            if ref.metatype is module:
                return ref
        return None

    def _ref_of(self, module: type) -> ModuleRef:
        ref = self.ref_of(module)
        assert ref is not None, module
        return ref

    def path_of(self, ref: ModuleRef) -> tuple[str, ...]:
        """Module names from the testing root to ``ref`` (the root is left out when it is
        the synthetic testing root, so paths start at the user's ``AppModule``)."""
        return self._paths.get(ref.token, (ref.name,))

    def descriptors_for(self, token: object) -> list[ProviderDescriptor]:
        """Every descriptor that provides ``token``, in module registration order;
        controllers included, as the singletons PyNest binds them as."""
        descriptors = [*self._all_descriptors, *self._make_controller_descriptors()]
        return [d for d in descriptors if d.provide == token]

    def visible_from(self, ref: ModuleRef) -> set[Hashable]:
        """What ``ref`` may inject: its own providers and controllers, what its imports
        export (following re-exported modules), and global providers. PyNest computes
        the same sets inside ``validate_module_encapsulation`` but does not expose them."""
        by_class = {r.metatype: r for r in self._modules.values()}

        def exported(module: ModuleRef, seen: frozenset[str]) -> set[Hashable]:
            tokens: set[Hashable] = set()
            for export in module.compiled.exports:
                child = by_class.get(export) if getattr(export, "__is_module__", False) else None
                if child is None:
                    tokens.add(export)
                elif child.token not in seen:
                    tokens |= exported(child, seen | {child.token})
            return tokens

        visible: set[Hashable] = {d.provide for d in ref.compiled.provider_descriptors}
        visible.update(ref.compiled.controllers)
        for imported in ref.compiled.imports:
            child = by_class.get(imported)
            if child is not None:
                visible |= exported(child, frozenset({child.token}))
        for module in self._modules.values():
            if getattr(module.metatype, "__is_global__", False):
                visible.update(d.provide for d in module.compiled.provider_descriptors)
        return visible

    def owner_of(self, token: object) -> ModuleRef | None:
        """The module nearest the root that provides ``token`` (or declares it as a
        controller)."""
        for ref in self._modules_by_depth():
            compiled = ref.compiled
            if token in compiled.controllers or any(
                d.provide == token for d in compiled.provider_descriptors
            ):
                return ref
        return None

    def owner_path(self, token: object) -> tuple[str, ...]:
        ref = self.owner_of(token)
        return self.path_of(ref) if ref is not None else self._root_path()

    def _root_path(self) -> tuple[str, ...]:
        return self.path_of(self._root) if self._root is not None else ()

    def _modules_by_depth(self) -> list[ModuleRef]:
        return sorted(self._modules.values(), key=lambda ref: len(self.path_of(ref)))

    def _module_paths(self, root: ModuleRef) -> dict[str, tuple[str, ...]]:
        by_class = {ref.metatype: ref for ref in self._modules.values()}
        start: tuple[str, ...] = (
            () if getattr(root.metatype, "__nest_testing_root__", False) else (root.name,)
        )
        paths = {root.token: start}
        queue = deque([root])
        while queue:
            ref = queue.popleft()
            for imported in ref.compiled.imports:
                child = by_class.get(imported)
                if child is not None and child.token not in paths:
                    paths[child.token] = (*paths[ref.token], child.name)
                    queue.append(child)
        return paths

    def _unknown_override(self, tokens: list[Hashable]) -> UnknownOverrideError:
        modules = ", ".join(
            ref.name
            for ref in self._modules_by_depth()
            if not getattr(ref.metatype, "__nest_testing_root__", False)
        )
        provided = self.known_tokens
        lines = [
            f"  {token_name(t)}: no module in this testing module provides it."
            + did_you_mean(t, provided)
            for t in tokens
        ]
        return UnknownOverrideError(
            "Cannot override what the graph does not provide:\n"
            + "\n".join(lines)
            + f"\nModules searched: {modules or 'none (the testing module imports none)'}.\n"
            "Override the token a module lists in providers=[...] (the 'provide' key for "
            "dict providers), or add the provider with providers=[...] on the testing module.",
            token=tokens[0],
        )

    # ── building ──────────────────────────────────────────────────────────────

    def build(self) -> None:
        raise NestTestingError(
            "TestingContainer is built with `await build_async()`, on the module's loop."
        )

    async def build_async(self) -> None:
        """Validate the graph with PyNest's own checks, then bind and run factories."""
        self._validate()
        descriptors = self._all_descriptors + self._make_controller_descriptors()
        if self._strict:
            self._refuse_implicit(descriptors)
        injector = TestingInjector(
            self._ledger,
            auto_bind=not self._strict,
            owner_module=lambda token: ref.name if (ref := self.owner_of(token)) else None,
        )
        injector.binder.install(PyNestInjectorModule(descriptors))
        for token, replacement in self._replacements.items():
            if replacement.value_is_none:  # PyNest drops useValue None; an override keeps it
                injector.binder.bind(token, to=InstanceProvider(None))  # type: ignore[arg-type]
        self._injector = injector
        # PyNest's second pass (build_injector), in declaration order; the one difference
        # is that an async factory given to override_provider().use_factory() is awaited.
        for descriptor in descriptors:
            if descriptor.use_factory is not None:
                await self._run_factory(injector, descriptor)
            elif descriptor.use_existing is not None:
                with injector.origin(self.owner_path(descriptor.provide)):
                    existing = injector.get(descriptor.use_existing)
                injector.binder.bind(descriptor.provide, to=InstanceProvider(existing))

    async def _run_factory(
        self, injector: TestingInjector, descriptor: ProviderDescriptor
    ) -> None:
        token = descriptor.provide
        replacement = self._replacements.get(token)
        with injector.origin(self.owner_path(token)):
            args = [injector.get(dependency) for dependency in descriptor.inject]
            path = injector.path_to(token)
        try:
            value = descriptor.use_factory(*args)
            if (
                replacement is not None
                and replacement.await_factory
                and inspect.isawaitable(value)
            ):
                value = await value
        except Exception as exc:
            raise ProviderConstructionError(
                f"{' -> '.join(path)}: {exc!r}", path=path, token=token
            ) from exc
        self._ledger.record(token, "factory")
        injector.binder.bind(token, to=InstanceProvider(value))

    def _validate(self) -> None:
        try:
            self._validate_dependency_graph()
        except CircularDependencyException as exc:
            names = str(exc).split(": ", 1)[-1].split(" → ")
            owner = self._owner_by_name(names[0])
            path = (*(self.path_of(owner) if owner else self._root_path()), *names)
            raise CircularDependencyError(
                f"Circular dependency: {' -> '.join(path)}. Break the cycle, e.g. by moving the "
                "shared part into a provider both depend on.",
                path=path,
            ) from exc
        try:
            validate_module_encapsulation(self._modules)
        except ProviderNotExportedException as exc:
            raise self._encapsulation_error(exc) from exc

    def _refuse_implicit(self, descriptors: list[ProviderDescriptor]) -> None:
        """Name every class the injector would build implicitly, in one error.

        The injector would stop at the first; a user fixing a module wants the full list.
        What a class injects is read with injector's own ``get_bindings``.
        """
        registered = {d.provide for d in descriptors} | {Injector, Binder}  # bound by injector
        missing: list[tuple[tuple[str, ...], type, type]] = []
        seen: set[type] = set()
        queue = deque(
            (self.owner_path(d.provide), d.use_class) for d in descriptors if d.use_class
        )
        while queue:
            path, consumer = queue.popleft()
            if consumer in seen:
                continue
            seen.add(consumer)
            for dependency in get_bindings(consumer.__init__).values():
                if dependency in registered or not isinstance(dependency, type):
                    continue
                missing.append(((*path, consumer.__name__), consumer, dependency))
                queue.append(((*path, consumer.__name__), dependency))
        if not missing:
            return
        lines = []
        for path, consumer, dependency in missing:
            module = (ref.name if (ref := self.owner_of(consumer)) else None) or (
                f"the module of {path[-2]}" if len(path) > 1 else "the testing module"
            )
            lines.append(
                f"  {' -> '.join((*path, dependency.__name__))}: add {dependency.__name__} to "
                f"providers=[...] of {module} (or import a module that exports it)."
            )
        first_path, _, first_dependency = missing[0]
        names = ", ".join(dict.fromkeys(d.__name__ for _, _, d in missing))
        raise ImplicitProviderError(
            f"strict(): {names} would be built implicitly by the injector: no module "
            "registers them, so each consumer would get its own unscoped instance.\n"
            + "\n".join(lines),
            path=(*first_path, first_dependency.__name__),
            token=first_dependency,
        )

    def _owner_by_name(self, class_name: str) -> ModuleRef | None:
        for ref in self._modules_by_depth():
            for descriptor in ref.compiled.provider_descriptors:
                cls = descriptor.use_class
                if cls is not None and cls.__name__ == class_name:
                    return ref
        return None

    def _encapsulation_error(self, exc: ProviderNotExportedException) -> EncapsulationError:
        match = _VIOLATION.search(str(exc))
        path: tuple[str, ...] = ()
        headline = "Module encapsulation violation"
        if match is not None:
            consumer, module_name, dependency = match.groups()
            module = next((r for r in self._modules_by_depth() if r.name == module_name), None)
            path = (*(self.path_of(module) if module else (module_name,)), consumer, dependency)
            headline = (
                f"{' -> '.join(path)}: {dependency} is not visible to {module_name} "
                "(not its own provider, not exported by a module it imports, not global)"
            )
        return EncapsulationError(f"{headline}.\n\n{exc}", path=path)

    # ── resolution on behalf of a module ──────────────────────────────────────

    @property
    def injector(self) -> TestingInjector:
        assert isinstance(self._injector, TestingInjector), "container is not built"
        return self._injector

    @contextmanager
    def resolving_for(self, path: tuple[str, ...]) -> Iterator[None]:
        with self.injector.origin(path):
            yield

    def get_controller_instance(self, controller_class: type) -> Any:
        with self.resolving_for(self.owner_path(controller_class)):
            return super().get_controller_instance(controller_class)

    def get(self, token: Any) -> Any:
        instance = super().get(token)
        if self._collecting is not None:
            self._hook_owners.setdefault(id(instance), (*self._collecting, token_name(token)))
        return instance

    def _get_module_lifecycle_instances(self, module_ref: ModuleRef) -> list[Any]:
        # Remember which token (in which module) each hook receiver came from, so a hook
        # that raises can be named; PyNest resolves them through self.get().
        path = self.path_of(module_ref)
        self._collecting = path
        try:
            with self.resolving_for(path):
                instances: list[Any] = super()._get_module_lifecycle_instances(module_ref)
                return instances
        finally:
            self._collecting = None

    async def _call_hook(self, instance: Any, method_name: str, *args: Any) -> None:
        try:
            await super()._call_hook(instance, method_name, *args)
        except NestTestingError:
            raise
        except Exception as exc:
            owner = self._hook_owners.get(id(instance), (type(instance).__name__,))
            path = (*owner[:-1], f"{owner[-1]}.{method_name}")
            raise LifecycleHookError(
                f"{' -> '.join(path)}: {exc!r}", path=path, token=None
            ) from exc

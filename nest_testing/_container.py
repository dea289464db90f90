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

import functools
import inspect
import re
from collections import deque
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from injector import Binder, Injector, InstanceProvider, Provider
from nest.common.exceptions import CircularDependencyException, ProviderNotExportedException
from nest.common.provider import ProviderDescriptor, Scope
from nest.core.encapsulation import validate_module_encapsulation
from nest.core.injector_module import PyNestInjectorModule
from nest.core.pynest_container import _LIFECYCLE_METHOD_NAMES as LIFECYCLE_METHOD_NAMES
from nest.core.pynest_container import ModuleRef, PyNestContainer

from nest_testing._blueprints import BLUEPRINTS, BlueprintCompiler, BlueprintTokens, graph_key
from nest_testing._cli import cli_controller_instance, is_cli_controller
from nest_testing._doubles import spy_on
from nest_testing._graph import build_graph
from nest_testing._injector import TestingInjector
from nest_testing._ledger import Ledger
from nest_testing._plan import OverridingCompiler, Plan, exported_tokens
from nest_testing._tokens import did_you_mean, token_name
from nest_testing.errors import (
    CircularDependencyError,
    EncapsulationError,
    ImplicitProviderError,
    LifecycleHookError,
    ModuleOverrideError,
    NestTestingError,
    ProviderConstructionError,
    UnknownOverrideError,
)

_VIOLATION = re.compile(r"✗ (\S+) \(in module (\S+)\) depends on ([^,\n]+),")


class _SpyingProvider(Provider[Any]):
    def __init__(self, inner: Provider[Any], token: Hashable, spies: dict[Hashable, Any]) -> None:
        self._inner = inner
        self._token = token
        self._spies = spies

    def get(self, injector: Injector) -> Any:
        spy = spy_on(self._inner.get(injector))
        self._spies[self._token] = spy
        return spy


def _defines_hooks(descriptor: ProviderDescriptor) -> bool:
    """Whether the provider may receive lifecycle hooks. Values, factories and aliases
    are already built, so asking them costs nothing."""
    if descriptor.use_class is None:
        return True
    return _class_defines_hooks(descriptor.use_class)


@functools.lru_cache(maxsize=4096)  # bounded: apps made at run time must not pile up
def _class_defines_hooks(cls: type) -> bool:
    # Asked for every provider in every lazy lifecycle pass; a class's hooks don't change.
    return any(callable(getattr(cls, hook, None)) for hook in LIFECYCLE_METHOD_NAMES)


def _bind_one(binder: Binder, descriptor: ProviderDescriptor) -> None:
    PyNestInjectorModule([descriptor]).configure(binder)


@dataclass(frozen=True)
class _LazyHooks:
    """One module's possible hook receivers in lazy mode, worked out once per container,
    or once per kept compiled module (PyNest asks in five passes over every module)."""

    startup: tuple[ProviderDescriptor, ...]
    """Providers that define a hook (values, factories and aliases are built already)."""
    singletons: tuple[ProviderDescriptor, ...]
    """Singletons, in declaration order: at shutdown, those that were built."""
    classes: tuple[Hashable, ...]
    """Tokens of the singletons the injector builds from a class (built or not)."""
    prebuilt: bool
    """Whether a singleton is a value, a factory or an alias: always built."""
    module_hooks: bool
    """Whether the module class defines a hook (PyNest then instantiates it)."""

    @classmethod
    def of(cls, ref: ModuleRef) -> _LazyHooks:
        descriptors = ref.compiled.provider_descriptors
        singletons = tuple(d for d in descriptors if d.scope == Scope.SINGLETON)
        return cls(
            startup=tuple(d for d in descriptors if _defines_hooks(d)),
            singletons=singletons,
            classes=tuple(d.provide for d in singletons if d.use_class is not None),
            prebuilt=any(d.use_class is None for d in singletons),
            module_hooks=_class_defines_hooks(ref.metatype),
        )

    def built(self, built: set[Hashable]) -> list[ProviderDescriptor]:
        """The singletons built so far, given the tokens the injector built."""
        if not self.prebuilt and built.isdisjoint(self.classes):
            return []
        return [d for d in self.singletons if d.use_class is None or d.provide in built]


class _KeepingCompiler(OverridingCompiler, BlueprintCompiler):
    """The overriding compiler over kept compiled modules (blueprint cache on)."""


def _is_root(ref: ModuleRef) -> bool:
    return bool(getattr(ref.metatype, "__nest_testing_root__", False))


class TestingContainer(PyNestContainer):  # type: ignore[misc]  # PyNest is untyped
    """``PyNestContainer`` with overrides, counting, strict mode and path-naming errors."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, ledger: Ledger, plan: Plan) -> None:
        super().__init__()
        self._ledger = ledger
        self._plan = plan
        self._replacements = plan.replacements
        self._strict = plan.strict
        if plan.blueprint_cache:
            self._module_token_factory = BlueprintTokens()
            self._compiler = _KeepingCompiler(self._module_token_factory, plan)
        else:
            self._compiler = OverridingCompiler(self._module_token_factory, plan)
        self.mocks: dict[Hashable, Any] = self._compiler.mocks
        self.spies: dict[Hashable, Any] = {}
        self._module_compiler = self._compiler
        self._root: ModuleRef | None = None
        self._paths: dict[str, tuple[str, ...]] = {}
        self._owners: dict[Hashable, ModuleRef] = {}
        self._hook_owners: dict[int, tuple[str, ...]] = {}
        self._alias_targets: dict[Hashable, Any] = {}  # token -> useExisting (or None)
        self._lazy_hooks: dict[str, _LazyHooks] = {}
        self._collecting: tuple[str, ...] | None = None
        # Startup bookkeeping, so that a failed startup can still shut down what started.
        self._lifecycle_seen: dict[str, list[Any]] = {}
        self._init_failed: set[int] = set()
        self._aborting = False
        self._shutting_down = False
        self._shutdown_errors: list[LifecycleHookError] = []
        self._modules_hidden = False

    # ── the module graph ──────────────────────────────────────────────────────

    def add_root(self, root: type) -> None:
        """Register the testing root module and everything it imports; check overrides."""
        self._refuse_import_cycles(root)
        self.add_module(root)
        self._root = self._ref_of(root)
        self._paths = self._module_paths(self._root)
        self._owners = self._owner_map()
        missing = [t for t in self._replacements if t not in self._compiler.applied]
        if missing:
            raise self._unknown_override(missing)
        self._check_module_replacements()

    def _check_module_replacements(self) -> None:
        unused = [m for m in self._plan.modules if m not in self._compiler.replaced_modules]
        if unused:
            names = ", ".join(m.__name__ for m in unused)
            imported = [ref.metatype for ref in self._modules.values()]
            raise UnknownOverrideError(
                f"override_module({names}): no module in this testing module imports it."
                f"{did_you_mean(unused[0], imported)} Modules in the graph: "
                + ", ".join(ref.name for ref in self._modules_by_depth() if not _is_root(ref)),
                token=unused[0],
            )
        for old, new in self._plan.modules.items():
            lost = [t for t in exported_tokens(old) if t not in exported_tokens(new)]
            if lost:
                raise ModuleOverrideError(
                    f"override_module({old.__name__}, {new.__name__}): {new.__name__} does "
                    f"not export {', '.join(token_name(t) for t in lost)}, which "
                    f"{old.__name__} exports and importers may inject. Add "
                    f"{'them' if len(lost) > 1 else 'it'} to exports=[...] of {new.__name__}.",
                    token=lost[0],
                )

    def _refuse_import_cycles(self, root: type) -> None:
        """PyNest registers a module's imports before the module itself, so modules that
        import each other recurse until Python gives up; name the cycle instead."""
        path: list[type] = []
        done: set[type] = set()

        def visit(module: type) -> None:
            if module in done:
                return
            if module in path:
                cycle = [m.__name__ for m in path[path.index(module) :]] + [module.__name__]
                lead = [m.__name__ for m in path[: path.index(module)] if m is not root]
                raise CircularDependencyError(
                    f"Circular module imports: {' -> '.join(cycle)}. PyNest registers each "
                    "module's imports before the module itself, so modules cannot import "
                    "each other: move what they share into a module both import.",
                    path=(*lead, *cycle),
                )
            path.append(module)
            for imported in getattr(module, "imports", None) or []:
                visit(self._plan.modules.get(imported, imported))
            path.pop()
            done.add(module)

        visit(root)

    @property
    def modules(self) -> dict[str, ModuleRef]:
        """PyNest's registered modules (none while :meth:`modules_hidden`)."""
        return {} if self._modules_hidden else self._modules

    @contextmanager
    def modules_hidden(self) -> Iterator[None]:
        """PyNestApp registers routes by walking ``container.modules`` with PyNest's
        RoutesResolver; while a testing module registers them with a resolver of its own
        (see :mod:`nest_testing._route_templates`), that walk finds nothing."""
        self._modules_hidden = True
        try:
            yield
        finally:
            self._modules_hidden = False

    @property
    def reuses_routes(self) -> bool:
        """Whether routes are built from route templates (the blueprint cache is on)."""
        return self._plan.blueprint_cache

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

    def value_dropped(self, token: object) -> bool:
        """Whether the app provides ``token`` only as ``useValue: None``, which PyNest
        drops (so the injector builds a class token implicitly, per consumer). An
        ``override_provider(token, None)`` is honoured, so it is not dropped."""
        replacement = self._replacements.get(token)
        if replacement is not None and replacement.value_is_none:
            return False
        descriptors = self.descriptors_for(token)
        return bool(descriptors) and all(
            d.use_value is None
            and d.use_class is None
            and d.use_factory is None
            and d.use_existing is None
            for d in descriptors
        )

    def replacement_kind(self, token: Hashable) -> str | None:
        """``"override"``, ``"mock"`` or ``"spy"`` when the builder replaced ``token``."""
        replacement = self._replacements.get(token)
        return replacement.kind if replacement is not None else None

    def statuses(self) -> dict[Hashable, str]:
        """Each replaced token -> ``"overridden"``, ``"mocked"`` or ``"spied"``."""
        kinds = {"override": "overridden", "mock": "mocked", "spy": "spied"}
        status = {token: kinds[r.kind] for token, r in self._replacements.items()}
        status.update(dict.fromkeys(self.mocks, "mocked"))
        return status

    def is_testing_root(self, ref: ModuleRef) -> bool:
        return _is_root(ref)

    def descriptors_for(self, token: object) -> list[ProviderDescriptor]:
        """Every descriptor that provides ``token``, in module registration order;
        controllers included, as the singletons PyNest binds them as."""
        found = [d for d in self._all_descriptors if d.provide == token]
        if token in self._controller_classes:  # else no need to make their descriptors
            found += [d for d in self._make_controller_descriptors() if d.provide == token]
        return found

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
        try:
            return self._owners.get(token)
        except TypeError:  # an unhashable token is provided by no module
            return None

    def _owner_map(self) -> dict[Hashable, ModuleRef]:
        owners: dict[Hashable, ModuleRef] = {}
        for ref in self._modules_by_depth():
            for descriptor in ref.compiled.provider_descriptors:
                owners.setdefault(descriptor.provide, ref)
            for controller in ref.compiled.controllers:
                owners.setdefault(controller, ref)
        return owners

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
        searched = [
            "the testing module itself" if _is_root(ref) else ref.name
            for ref in self._modules_by_depth()
            if not _is_root(ref) or ref.compiled.provider_descriptors
        ]
        provided = {
            d.provide for ref in self._modules.values() for d in ref.compiled.provider_descriptors
        }
        lines = []
        for token in tokens:
            owner = self.owner_of(token)
            if owner is not None:  # known, but not as a provider: a controller
                lines.append(
                    f"  {token_name(token)} is a controller of {owner.name}; controllers are "
                    "built from their class and cannot be overridden. Override the providers "
                    "it injects instead."
                )
            else:
                lines.append(
                    f"  {token_name(token)}: no module in this testing module provides it."
                    + did_you_mean(token, provided)
                )
        return UnknownOverrideError(
            "Cannot override what the graph does not provide:\n"
            + "\n".join(lines)
            + f"\nModules searched: {', '.join(searched) or 'none'}.\n"
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
        # As PyNest binds them: the last descriptor of a token wins.
        self._alias_targets = {d.provide: d.use_existing for d in descriptors}
        injector = TestingInjector(
            self._ledger,
            auto_bind=not self._strict,
            owner_module=lambda token: ref.name if (ref := self.owner_of(token)) else None,
            mocker=self._plan.mocker,
            on_mock=self.mocks.__setitem__,
            plans=self._plan.blueprint_cache,
            lazy=self._plan.lazy,
        )
        self._bind(injector, descriptors)
        for token, replacement in self._replacements.items():
            if replacement.value_is_none:  # PyNest drops useValue None; an override keeps it
                injector.binder.bind(token, to=InstanceProvider(None))  # type: ignore[arg-type]
        self._injector = injector
        self._refuse_implicit()
        produced = {d.provide for d in descriptors if d.use_factory or d.use_existing}
        self._install_spies(injector, [t for t in self._spied() if t not in produced])
        # PyNest's second pass (build_injector), in declaration order; the one difference
        # is that an async factory given to override_provider().use_factory() is awaited.
        for descriptor in descriptors:
            if descriptor.use_factory is not None:
                await self._run_factory(injector, descriptor)
            elif descriptor.use_existing is not None:
                with (
                    injector.origin(self.owner_path(descriptor.provide)),
                    injector.building(descriptor.provide, "alias"),
                ):
                    existing = injector.get(descriptor.use_existing)
                injector.binder.bind(descriptor.provide, to=InstanceProvider(existing))
        self._install_spies(injector, [t for t in self._spied() if t in produced])

    def _bind(self, injector: TestingInjector, descriptors: list[ProviderDescriptor]) -> None:
        """Class and value providers through PyNest's own injector module: all at once,
        or, in lazy mode, each when first looked up."""
        if not self._plan.lazy:
            injector.binder.install(PyNestInjectorModule(descriptors))
            return
        binder = injector.binder
        # The last descriptor of a token wins, as when PyNest binds them all in order.
        pending = {
            d.provide: d for d in descriptors if d.use_factory is None and d.use_existing is None
        }
        injector.defer(pending, lambda descriptor: _bind_one(binder, descriptor))

    def _spied(self) -> list[Hashable]:
        return [t for t, r in self._replacements.items() if r.kind == "spy"]

    def _install_spies(self, injector: TestingInjector, tokens: list[Hashable]) -> None:
        """Consumers of a spied token receive a spy around the real instance, which is
        still built (and counted) by its own provider, in its own scope."""
        for token in tokens:
            binding, _ = injector.binder.get_binding(token)  # type: ignore[arg-type]
            provider = _SpyingProvider(binding.provider, token, self.spies)
            injector.binder.bind(token, to=provider, scope=binding.scope)  # type: ignore[arg-type]

    async def _run_factory(
        self, injector: TestingInjector, descriptor: ProviderDescriptor
    ) -> None:
        token = descriptor.provide
        replacement = self._replacements.get(token)
        with injector.origin(self.owner_path(token)):
            path = injector.path_to(token)
            with injector.building(token, "factory") as construction:
                args = [injector.get(dependency) for dependency in descriptor.inject]
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
        self._ledger.commit(construction)
        injector.binder.bind(token, to=InstanceProvider(value))

    def _validate(self) -> None:
        """PyNest's cycle and encapsulation checks, skipped when this exact graph passed
        them before (see :mod:`nest_testing._blueprints`)."""
        if not self._plan.blueprint_cache:
            self._run_validation()
            return
        try:
            key = graph_key(self._modules.values())
            hash(key)
        except TypeError:  # an unhashable token somewhere: validate, and keep nothing
            self._run_validation()
            return
        if BLUEPRINTS.validated(key):
            return
        self._run_validation()
        BLUEPRINTS.remember(key)

    def _run_validation(self) -> None:
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

    def _refuse_implicit(self) -> None:
        """In strict mode, name every class the injector would build implicitly, in one
        error (the injector would stop at the first; a user fixing a module wants the
        full list). The mocker, when set, is offered each one first; what it supplies
        needs nothing further.
        """
        if not self._strict:
            return
        graph = build_graph(self)
        binder = self.injector.binder
        missing: list[tuple[tuple[str, ...], str, Hashable]] = []
        queue = deque(
            (self.owner_path(token), self._module_name_of(token), token)
            for token, node in graph.nodes.items()
            if node.kind != "implicit"
        )
        seen: set[Hashable] = set()
        while queue:
            path, module, consumer = queue.popleft()
            if consumer in seen:
                continue
            seen.add(consumer)
            for dependency in graph.dependencies(consumer):
                if graph.node(dependency).kind != "implicit":
                    continue
                if binder.offer_to_mocker(dependency):
                    continue
                consumer_path = (*path, token_name(consumer))
                missing.append((consumer_path, module, dependency))
                queue.append((consumer_path, module, dependency))
        if not missing:
            return
        lines = []
        for path, module, dependency in missing:
            name = token_name(dependency)
            lines.append(
                f"  {' -> '.join((*path, name))}: add {name} to providers=[...] of {module} "
                "(or import a module that exports it)."
            )
        first_path, _, first_dependency = missing[0]
        names = ", ".join(dict.fromkeys(token_name(d) for _, _, d in missing))
        raise ImplicitProviderError(
            f"strict(): {names} would be built implicitly by the injector: no module "
            "registers them, so each consumer would get its own unscoped instance.\n"
            + "\n".join(lines),
            path=(*first_path, token_name(first_dependency)),
            token=first_dependency,
        )

    def _module_name_of(self, token: Hashable) -> str:
        """Where a fix for ``token``'s dependencies goes: its module, by name."""
        owner = self.owner_of(token)
        if owner is None or _is_root(owner):
            return "the testing module"
        return str(owner.name)

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
            if is_cli_controller(controller_class):  # built as CLIAppFactory builds it
                return cli_controller_instance(self, controller_class)
            return super().get_controller_instance(controller_class)

    def get(self, token: Any) -> Any:
        instance = super().get(token)
        if self._collecting is not None and id(instance) not in self._hook_owners:
            owner = token_name(self._aliased(token))
            self._hook_owners[id(instance)] = (*self._collecting, owner)
        return instance

    def _aliased(self, token: Any) -> Any:
        """The token an alias (``useExisting``) stands for, following chains: a hook that
        raises is named after the provider that built the instance, not an alias of it."""
        seen = {token}
        while (target := self._alias_targets.get(token)) is not None and target not in seen:
            seen.add(target)
            token = target
        return token

    def _get_module_lifecycle_instances(self, module_ref: ModuleRef) -> list[Any]:
        if self._plan.lazy:
            return self._lazy_lifecycle_instances(module_ref)
        seen = self._lifecycle_seen.get(module_ref.token)
        if self._aborting:  # only what started, nothing new is built
            return [i for i in seen or [] if self._started(i)]
        if seen is not None and self._all_singletons(module_ref):
            # After the init pass (in the bootstrap pass and at shutdown), resolving
            # singletons again returns these very objects, in this order: skip the
            # resolution. (Transients are resolved anew, as PyNest does.)
            return list(seen)
        # Remember which token (in which module) each hook receiver came from, so a hook
        # that raises can be named; PyNest resolves them through self.get().
        path = self.path_of(module_ref)
        self._collecting = path
        try:
            with self.resolving_for(path):
                instances: list[Any] = super()._get_module_lifecycle_instances(module_ref)
        finally:
            self._collecting = None
        if not self._shutting_down:
            self._lifecycle_seen[module_ref.token] = instances
        return instances

    def _lazy_lifecycle_instances(self, module_ref: ModuleRef) -> list[Any]:
        """Lazy mode's hook receivers: at startup, the providers that define a hook (and
        so what they need); at shutdown, the singletons that were built. Nothing is
        built only to be asked for hooks."""
        if self._aborting:  # a failed startup: only what started, nothing new is built
            return [i for i in self._lifecycle_seen.get(module_ref.token, ()) if self._started(i)]
        hooks = self._lazy_hooks.get(module_ref.token)
        if hooks is None:
            if self._plan.blueprint_cache:
                hooks = BLUEPRINTS.derived(
                    module_ref.compiled, "lazy_hooks", lambda: _LazyHooks.of(module_ref)
                )
            else:
                hooks = _LazyHooks.of(module_ref)
            self._lazy_hooks[module_ref.token] = hooks
        if self._shutting_down:
            descriptors: Sequence[ProviderDescriptor] = hooks.built(self.injector.binder.built)
        else:
            descriptors = hooks.startup
        instances: dict[int, Any] = {}
        if descriptors:
            path = self.path_of(module_ref)
            self._collecting = path
            try:
                with self.resolving_for(path):
                    for descriptor in descriptors:
                        instance = self.get(descriptor.provide)
                        instances.setdefault(id(instance), instance)
            finally:
                self._collecting = None
        if hooks.module_hooks:  # else PyNest's _get_module_instance returns None
            module_instance = self._get_module_instance(module_ref)
            if module_instance is not None:
                instances.setdefault(id(module_instance), module_instance)
        receivers = list(instances.values())
        if receivers and not self._shutting_down:
            self._lifecycle_seen[module_ref.token] = receivers  # what abort_startup stops
        return receivers

    def _all_singletons(self, module_ref: ModuleRef) -> bool:
        return all(d.scope == Scope.SINGLETON for d in module_ref.compiled.provider_descriptors)

    def _started(self, instance: Any) -> bool:
        return id(instance) not in self._init_failed

    def _get_module_instance(self, module_ref: ModuleRef) -> Any:
        instance = super()._get_module_instance(module_ref)
        if instance is not None:
            self._hook_owners.setdefault(id(instance), self.path_of(module_ref))
        return instance

    async def _call_hooks(
        self, instances: list[Any], protocol: type, method_name: str, *args: Any
    ) -> None:
        # PyNest asks isinstance(instance, <runtime-checkable Protocol>) of every instance,
        # about 20 us each; an instance without the attribute can never match, so only the
        # others are handed over, and PyNest's own check still decides for them.
        candidates = [i for i in instances if hasattr(i, method_name)]
        await super()._call_hooks(candidates, protocol, method_name, *args)

    async def _call_hook(self, instance: Any, method_name: str, *args: Any) -> None:
        try:
            await super()._call_hook(instance, method_name, *args)
        except LifecycleHookError as error:
            self._hook_failed(instance, method_name, error)
        except Exception as exc:
            self._hook_failed(instance, method_name, self._hook_error(instance, method_name, exc))

    def _hook_failed(self, instance: Any, method_name: str, error: LifecycleHookError) -> None:
        if method_name == "on_module_init":
            self._init_failed.add(id(instance))
        if not self._shutting_down:
            raise error
        self._shutdown_errors.append(error)  # the other shutdown hooks still run

    def _hook_error(self, instance: Any, method_name: str, exc: Exception) -> LifecycleHookError:
        owner = self._hook_owners.get(id(instance), (type(instance).__name__,))
        path = (*owner[:-1], f"{owner[-1]}.{method_name}")
        error = LifecycleHookError(f"{' -> '.join(path)}: {exc!r}", path=path, token=None)
        error.__cause__ = exc
        return error

    async def shutdown_lifecycle(self, signal: str | None = None) -> None:
        """PyNest's shutdown, with every hook run even when some raise; the errors are
        raised together afterwards."""
        self._shutting_down = True
        self._shutdown_errors = []
        try:
            await super().shutdown_lifecycle(signal)
        finally:
            self._shutting_down = False
        errors = self._shutdown_errors
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise LifecycleHookError(
                f"{len(errors)} shutdown hooks raised (all hooks ran):\n"
                + "\n".join(f"  {error}" for error in errors),
                path=errors[0].path,
            ) from errors[0].__cause__

    async def abort_startup(self) -> list[LifecycleHookError]:
        """After a failed startup: run the shutdown hooks of the providers that started
        (PyNest would leave them running), and return what those hooks raised."""
        if not self._lifecycle_seen or self._lifecycle_shutdown:
            return []
        self._aborting = True
        try:
            await self.shutdown_lifecycle()
        except LifecycleHookError:
            pass  # reported through the return value; the startup error is what matters
        finally:
            self._aborting = False
        return list(self._shutdown_errors)

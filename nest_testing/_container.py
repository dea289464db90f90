"""PyNest's container, subclassed for testing: only the seams PyNest calls.

A `TestingContainer` is a `PyNestContainer` whose overrides of PyNest's own
methods (`add_module` through `TestingContainer.add_root`, `build`, `get`,
the lifecycle passes) add what a test needs:

- modules are compiled with the testing module's plan applied (a per-container copy;
  nothing shared is mutated, see `nest_testing._plan`);
- the injector is a `nest_testing._injector.TestingInjector` (counting, strict
  mode, path-naming errors), bound by `nest_testing._binding`; async override
  factories are awaited on the module's own loop;
- hook receivers and failures are recorded in a `nest_testing._lifecycle.HookBook`.

It must not grow the jobs it delegates: where things are in the graph is the
`nest_testing._topology.Topology`, graph checks are `nest_testing._checks`,
error texts `nest_testing._graph_errors`. Module registration order, the cycle and
encapsulation checks, lifecycle hook order and concurrency are PyNest's own code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

import anyio
from injector import InstanceProvider
from nest.common.provider import ProviderDescriptor, Scope
from nest.core.pynest_container import ModuleRef, PyNestContainer

from nest_testing import _binding, _checks
from nest_testing._blueprints import BLUEPRINTS, BlueprintCompiler, BlueprintTokens
from nest_testing._cli import cli_controller_instance, is_cli_controller
from nest_testing._graph import ModuleGraph, build_graph
from nest_testing._injector import TestingInjector
from nest_testing._lazy_hooks import LazyHooks
from nest_testing._ledger import Ledger
from nest_testing._lifecycle import HookBook
from nest_testing._plan import OverridingCompiler, Plan
from nest_testing._tokens import token_name
from nest_testing._topology import Topology
from nest_testing.errors import LifecycleHookError, NestTestingError


class _KeepingCompiler(OverridingCompiler, BlueprintCompiler):
    """The overriding compiler over kept compiled modules (blueprint cache on)."""


_STATUSES = {"override": "overridden", "mock": "mocked", "spy": "spied"}


class TestingContainer(PyNestContainer):  # type: ignore[misc]  # PyNest is untyped
    """`PyNestContainer` with overrides, counting, strict mode and path-naming errors."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, ledger: Ledger, plan: Plan) -> None:
        super().__init__()
        self._ledger = ledger
        self._plan = plan
        self._replacements = plan.replacements
        if plan.blueprint_cache:
            self._module_token_factory = BlueprintTokens()
            self._compiler = _KeepingCompiler(self._module_token_factory, plan)
        else:
            self._compiler = OverridingCompiler(self._module_token_factory, plan)
        self.mocks: dict[Hashable, Any] = self._compiler.mocks
        self.spies: dict[Hashable, Any] = {}
        self._module_compiler = self._compiler
        self._topology: Topology | None = None
        # Token -> useExisting (or None): worked out when a hook error first names a
        # provider (`_aliased`), from the descriptors bound.
        self._alias_targets: dict[Hashable, Any] | None = None
        self._lazy_hooks: dict[str, LazyHooks] = {}
        # Module token -> the hook receivers its startup pass resolved, when they are all
        # singletons (asked once per module, not once per pass).
        self._reusable: dict[str, list[Any]] = {}
        self._book = HookBook(name_of=lambda token: token_name(self._aliased(token)))
        self._modules_hidden = False

    # ── registration ─────────────────────────────────────────────────────────

    def add_root(self, root: type) -> None:
        """Register the testing root module and everything it imports (PyNest's
        `add_module`); then check the overrides against what was registered."""
        _checks.refuse_import_cycles(root, self._plan)
        ref: ModuleRef = self.add_module(root)["module_ref"]  # PyNest returns the root's ref
        self._topology = Topology.of(self._modules.values(), ref)
        compiler = self._compiler
        _checks.check_overrides(
            self._topology, self._plan, compiler.applied, compiler.replaced_modules
        )
        _checks.check_module_overrides(self._topology, self._plan, compiler.importers)
        _checks.check_auto_mock(self._topology, self._plan)
        if self._plan.strict:
            _checks.refuse_unknown_exports(self._topology)

    @property
    def topology(self) -> Topology:
        """Where every module and token sits (computed once, after registration)."""
        assert self._topology is not None, "no root registered"
        return self._topology

    @property
    def modules(self) -> dict[str, ModuleRef]:
        """PyNest's registered modules (none while `modules_hidden`)."""
        return {} if self._modules_hidden else self._modules

    @contextmanager
    def modules_hidden(self) -> Iterator[None]:
        """PyNestApp registers routes by walking `container.modules` with PyNest's
        RoutesResolver; while a testing module registers them with a resolver of its own
        (see `nest_testing._route_templates`), that walk finds nothing."""
        self._modules_hidden = True
        try:
            yield
        finally:
            self._modules_hidden = False

    @property
    def reuses_routes(self) -> bool:
        """Whether routes are built from route templates (the blueprint cache is on)."""
        return self._plan.blueprint_cache

    # ── what the registered graph provides ──────────────────────────────────

    def descriptors_for(self, token: object) -> list[ProviderDescriptor]:
        """Every descriptor that provides `token`, in module registration order;
        controllers included, as the singletons PyNest binds them as."""
        topology = self.topology
        try:
            found = list(topology.descriptors.get(token, ()))
        except TypeError:  # an unhashable token is provided by no module
            return []
        if token in topology.controllers:  # else no need to make their descriptors
            found += [d for d in self._make_controller_descriptors() if d.provide == token]
        return found

    def value_dropped(self, token: object) -> bool:
        """Whether the app provides `token` only as `useValue: None`, which PyNest
        drops (so the injector builds a class token implicitly, per consumer). An
        `override_provider(token, None)` is honoured, so it is not dropped."""
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
        """`"override"`, `"mock"` or `"spy"` when the builder replaced `token`."""
        replacement = self._replacements.get(token)
        if replacement is None:
            return "mock" if token in self._compiler.auto_mocked else None
        return replacement.kind

    def statuses(self) -> dict[Hashable, str]:
        """Each replaced token -> `"overridden"`, `"mocked"` or `"spied"`."""
        status = {token: _STATUSES[r.kind] for token, r in self._replacements.items()}
        status.update(dict.fromkeys(self.mocks, "mocked"))
        return status

    @property
    def mocker(self) -> Callable[[Any], Any] | None:
        """The builder's `use_mocker` factory, if any."""
        return self._plan.mocker

    def supplied_by_mocker(self, token: object) -> bool:
        """Whether `use_mocker`'s factory supplied `token` (which no module registers)."""
        try:
            return token in self.mocks and token not in self.topology.descriptors
        except TypeError:  # an unhashable token was never supplied
            return False

    def graph(self) -> ModuleGraph:
        """The dependency graph of the registered modules (nothing is built)."""
        topology = self.topology
        supplied = [t for t in self.mocks if t not in topology.descriptors]
        return build_graph(topology.refs, self.statuses(), topology.names, supplied)

    # ── building ─────────────────────────────────────────────────────────────

    def build(self) -> None:
        raise NestTestingError(
            "TestingContainer is built with `await build_async()`, on the module's loop."
        )

    async def build_async(self) -> None:
        """Validate the graph with PyNest's own checks, then bind and run factories."""
        topology = self.topology
        _checks.validate(
            self._modules,
            self._validate_dependency_graph,
            topology,
            cached=self._plan.blueprint_cache,
        )
        descriptors = self._all_descriptors + self._make_controller_descriptors()
        self._alias_targets = None  # worked out from what is bound now, when asked
        injector = TestingInjector(
            self._ledger,
            auto_bind=not self._plan.strict,
            owner_module=lambda token: (
                topology.name_of(ref) if (ref := topology.owner_of(token)) else None
            ),
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
        if self._plan.strict:
            _checks.refuse_implicit(self.graph(), topology, injector.binder.offer_to_mocker)
        spied = [t for t, r in self._replacements.items() if r.kind == "spy"]
        produced = (
            {d.provide for d in descriptors if d.use_factory or d.use_existing} if spied else ()
        )
        _binding.install_spies(injector, [t for t in spied if t not in produced], self.spies)
        # PyNest's second pass (build_injector), in declaration order; the one difference
        # is that an async factory given to override_provider().use_factory() is awaited.
        for descriptor in descriptors:
            token = descriptor.provide
            if descriptor.use_factory is not None:
                await _binding.run_factory(
                    injector,
                    self._ledger,
                    descriptor,
                    self._replacements.get(token),
                    topology.owner_path(token),
                )
            elif descriptor.use_existing is not None:
                _binding.bind_alias(injector, descriptor, topology.owner_path(token))
        _binding.install_spies(injector, [t for t in spied if t in produced], self.spies)

    def _bind(self, injector: TestingInjector, descriptors: list[ProviderDescriptor]) -> None:
        """Bind the class and value providers of `descriptors` (the registered
        modules' providers, in registration order, then the controllers)."""
        plan = self._plan
        modules = [ref.compiled for ref in self._modules.values()]
        if (
            plan.lazy
            or not plan.blueprint_cache
            or sum(len(c.provider_descriptors) for c in modules) != len(self._all_descriptors)
        ):
            _binding.bind(injector, descriptors, lazy=plan.lazy)
            return
        _binding.bind_modules(injector, modules, descriptors[len(self._all_descriptors) :])

    def instantiate(self) -> None:
        """Build every singleton provider, module by module, as PyNest's first startup
        pass would, but call no hook (`compile(init=False)`). Transients are left for
        the passes of `init()`, and controllers for its route registration, so what
        is built, and when, matches `compile()`."""
        topology = self.topology
        for ref in self._modules.values():
            with self.resolving_for(topology.path_of(ref)):
                for descriptor in ref.compiled.provider_descriptors:
                    if descriptor.scope == Scope.SINGLETON:
                        self.get(descriptor.provide)

    # ── resolution on behalf of a module ──────────────────────────────────────

    @property
    def injector(self) -> TestingInjector:
        assert isinstance(self._injector, TestingInjector), "container is not built"
        return self._injector

    def resolving_for(self, path: tuple[str, ...]) -> AbstractContextManager[None]:
        return self.injector.origin(path)

    def get_controller_instance(self, controller_class: type) -> Any:
        with self.resolving_for(self.topology.owner_path(controller_class)):
            if is_cli_controller(controller_class):  # built as CLIAppFactory builds it
                return cli_controller_instance(self, controller_class)
            return super().get_controller_instance(controller_class)

    def get(self, token: Any) -> Any:
        # PyNest's get named rather than found through super(): a startup pass comes here
        # for every provider, and a zero-argument super() is an object made per call.
        instance = PyNestContainer.get(self, token)
        if self._book.collecting is not None:
            self._book.note_resolved(instance, token)
        return instance

    def _aliased(self, token: Any) -> Any:
        """The token an alias (`useExisting`) stands for, following chains: a hook that
        raises is named after the provider that built the instance, not an alias of it."""
        targets = self._alias_targets
        if targets is None:
            # As PyNest binds them, the last descriptor of a token winning: the modules'
            # providers, then the controllers (bound as classes, never aliases).
            targets = {d.provide: d.use_existing for d in self._all_descriptors}
            targets.update(dict.fromkeys(self._controller_classes))
            self._alias_targets = targets
        target = targets.get(token)
        if target is None:  # most tokens: not an alias
            return token
        seen = {token}
        while target is not None and target not in seen:
            seen.add(target)
            token = target
            target = targets.get(token)
        return token

    # ── lifecycle passes (PyNest's order; our bookkeeping) ──────────────────

    def _get_module_lifecycle_instances(self, module_ref: ModuleRef) -> list[Any]:
        book = self._book
        if book.aborting:  # a failed startup: only what started, nothing new is built
            return book.started(module_ref.token)
        if self._plan.lazy:
            return self._lazy_lifecycle_instances(module_ref)
        token = module_ref.token
        reusable = self._reusable.get(token)
        if reusable is not None:
            # After the init pass (in the bootstrap pass and at shutdown), resolving
            # singletons again returns these very objects, in this order: skip the
            # resolution. (Transients are resolved anew, as PyNest does.)
            return list(reusable)
        # PyNest resolves receivers through self.get(), which notes who each one is.
        path = self.topology.path_of(module_ref)
        with book.collecting_for(path), self.resolving_for(path):
            instances: list[Any] = super()._get_module_lifecycle_instances(module_ref)
        book.remember(token, instances)
        if book.seen.get(token) is instances and self._all_singletons(module_ref):
            self._reusable[token] = instances  # the startup pass's, for the later passes
        return instances

    def _lazy_lifecycle_instances(self, module_ref: ModuleRef) -> list[Any]:
        """Lazy mode's hook receivers: at startup, the providers that define a hook (and
        so what they need); at shutdown, the singletons that were built. Nothing is
        built only to be asked for hooks."""
        hooks = self._lazy_hooks.get(module_ref.token)
        if hooks is None:
            hooks = LazyHooks.of(module_ref, cached=self._plan.blueprint_cache)
            self._lazy_hooks[module_ref.token] = hooks
        book = self._book
        descriptors: Sequence[ProviderDescriptor] = (
            hooks.built(self.injector.binder.built) if book.shutting_down else hooks.startup
        )
        instances: dict[int, Any] = {}
        if descriptors:
            path = self.topology.path_of(module_ref)
            with book.collecting_for(path), self.resolving_for(path):
                for descriptor in descriptors:
                    instance = self.get(descriptor.provide)
                    instances.setdefault(id(instance), instance)
        if hooks.module_hooks:  # else PyNest's _get_module_instance returns None
            module_instance = self._get_module_instance(module_ref)
            if module_instance is not None:
                instances.setdefault(id(module_instance), module_instance)
        receivers = list(instances.values())
        if receivers:
            book.remember(module_ref.token, receivers)  # what abort_startup stops
        return receivers

    def _all_singletons(self, module_ref: ModuleRef) -> bool:
        compiled = module_ref.compiled
        return BLUEPRINTS.derived(compiled, "all_singletons", partial(_only_singletons, compiled))

    def _get_module_instance(self, module_ref: ModuleRef) -> Any:
        instance = super()._get_module_instance(module_ref)
        if instance is not None:
            self._book.note_module_instance(instance, self.topology.path_of(module_ref))
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
        book = self._book
        timeout = self._plan.hook_timeout
        try:
            with book.running(instance, method_name), anyio.move_on_after(timeout) as scope:
                await super()._call_hook(instance, method_name, *args)
        except asyncio.CancelledError:
            raise  # the module's loop is cancelling us: not the hook's failure
        except Exception as exc:
            book.failed(instance, method_name, exc)
            return
        except BaseException as exc:  # KeyboardInterrupt, SystemExit, ...
            book.interrupted(instance, method_name, exc)
            return
        # A hook that swallowed the cancellation and returned late overran it just the same.
        if scope.cancelled_caught or scope.cancel_called:
            assert timeout is not None
            book.timed_out(instance, method_name, timeout)

    def raise_shutdown_errors(self) -> None:
        """Raise what the last shutdown's hooks raised, if anything: when the lifespan's
        own timeout cut the shutdown short, the hook that overran is the error to see."""
        self._book.raise_shutdown_errors()

    def overdue_hook(self, seconds: float) -> tuple[tuple[str, ...], str] | None:
        """A hook running for longer than `seconds` (path of its receiver, method)."""
        return self._book.overdue(seconds)

    async def shutdown_lifecycle(self, signal: str | None = None) -> None:
        """PyNest's shutdown, with every hook run even when some raise; the errors are
        raised together afterwards."""
        with self._book.shutdown():
            await super().shutdown_lifecycle(signal)

    async def abort_startup(self) -> list[LifecycleHookError]:
        """After a failed startup: run the shutdown hooks of the providers that started
        (PyNest would leave them running), and return what those hooks raised."""
        book = self._book
        if not book.seen or self._lifecycle_shutdown:
            return []
        book.aborting = True
        try:
            await self.shutdown_lifecycle()
        except LifecycleHookError:
            pass  # reported through the return value; the startup error is what matters
        finally:
            book.aborting = False
        return list(book.shutdown_errors)


def _only_singletons(compiled: Any) -> bool:
    return all(d.scope == Scope.SINGLETON for d in compiled.provider_descriptors)

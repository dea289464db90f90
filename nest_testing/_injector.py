"""The injector a testing module resolves through.

PyNest builds one flat `injector.Injector`; ours is a subclass that differs in these
seams only, none of which changes what gets built:

- its binder wraps every class provider so each construction is counted in the ledger
  (the singleton scope caches above the provider, so a singleton counts once), and,
  with the blueprint cache on, builds classes from constructor plans
  (`nest_testing._constructors`: the same objects, the same errors); those providers
  read the ledger and resolution state from the injector they build for, so the
  bindings of a kept module are made once and copied into each compile's binder;
- with the blueprint cache on (and no lazy binding or mocker), the singleton scope is
  `_InstanceScope`, which keeps each instance itself, and a singleton that the
  counting provider builds is looked up in, and stored into, it directly, under the
  injector's lock: what `Injector.get` does for it, without its per-lookup binding and
  scope lookups and debug lines;
- in lazy mode, or with a mocker, its binder binds tokens when they are first looked up;
- `get` records which object each consumer received, for identity assertions;
- `get` turns the injector's errors, and exceptions from user constructors, into
  `nest_testing.errors` that name the path from the root module.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar, get_origin

from injector import (
    Binder,
    Binding,
    CallError,
    CircularDependency,
    ClassProvider,
    Injector,
    InstanceProvider,
    NoScope,
    Provider,
    Scope,
    ScopeDecorator,
    SingletonScope,
    UnknownProvider,
    UnsatisfiedRequirement,
    singleton,
)
from injector import lock as injector_lock

from nest_testing._constructors import PlannedClassProvider
from nest_testing._deep_chains import bottom_up
from nest_testing._ledger import KeeperRef, Ledger
from nest_testing._tokens import token_name
from nest_testing.errors import (
    CircularDependencyError,
    ImplicitProviderError,
    MissingProviderError,
    NestTestingError,
    ProviderConstructionError,
)

_NOTHING: Any = object()


class _InstanceScope(SingletonScope):
    """The injector's `SingletonScope`, keeping each built instance itself instead of an
    `InstanceProvider` around it (one object less per singleton for the collector to
    walk); the injector's own lookups get a provider made when they ask."""

    instances: dict[Any, Any]

    def configure(self) -> None:
        super().configure()
        self.instances = {}

    def get(self, key: Any, provider: Provider[Any]) -> Provider[Any]:
        with injector_lock:  # as SingletonScope.get
            instance = self.instances.get(key, _NOTHING)
            if instance is _NOTHING:
                instance = self._get_instance(key, provider, self.injector)
                self.instances[key] = instance
            return InstanceProvider(instance)


T = TypeVar("T")


class _Resolution(threading.local):
    """Per-thread resolution state: what is being built, and for which module."""

    def __init__(self) -> None:
        self.stack: list[int] = []  # the serials of the constructions in progress
        self.origin: tuple[str, ...] = ()


class _Origin:
    """The block resolves on behalf of `path` (a class rather than a generator: it is
    entered for every module and controller of every compile)."""

    __slots__ = ("_path", "_resolution", "_saved")

    def __init__(self, resolution: _Resolution, path: tuple[str, ...]) -> None:
        self._resolution = resolution
        self._path = path
        self._saved: tuple[str, ...] = ()

    def __enter__(self) -> None:
        self._saved = self._resolution.origin
        self._resolution.origin = self._path

    def __exit__(self, *exc: object) -> None:
        self._resolution.origin = self._saved


class _CountingProvider(Provider[Any]):
    """A class provider that reports each construction to the ledger of the injector it
    builds for. It holds nothing of one injector (its ledger, resolution state and built
    tokens are the injector's), so a kept module's bindings serve every compile."""

    def __init__(self, inner: Provider[Any], token: Hashable) -> None:
        self._inner = inner
        self._token = token

    def __repr__(self) -> str:  # the injector's debug log names the provider it uses
        return f"{type(self).__name__}({self._inner!r})"

    def get(self, injector: Any) -> Any:  # a TestingInjector
        ledger: Ledger = injector._ledger
        serial = ledger.begin(self._token, "container")
        stack = injector._resolution.stack
        stack.append(serial)
        try:
            instance = self._inner.get(injector)
        finally:
            stack.pop()
        ledger.commit(serial)
        injector.binder.built.add(self._token)
        return instance


def planned_binding(interface: Any, to: Any, scope: Any) -> Binding | None:
    """With constructor plans, the binding `Binder.bind(interface, to, scope)` makes of a
    plain class bound to a plain class as a singleton (PyNest's class providers,
    thousands per compile), without its generic checks: a counted, planned class
    provider in the singleton scope. `None` for anything else (the binder's own way)."""
    if (
        scope is singleton
        and type(to) is type
        and type(interface) is type
        and not hasattr(interface, "__origin__")
    ):
        provider = _CountingProvider(PlannedClassProvider(to, own_arguments=True), interface)
        return Binding(interface, provider, SingletonScope)
    return None


class MockerFailed(Exception):  # carries the user's exception
    """The mocker given to `use_mocker` raised; carried to the injector's translation,
    which names the path to the token it was offered."""

    def __init__(self, original: Exception) -> None:
        super().__init__(repr(original))
        self.original = original


class _CountingBinder(Binder):
    """Wraps class providers for counting (and builds them from constructor plans)."""

    def __init__(
        self,
        injector: Injector,
        *,
        auto_bind: bool,
        mocker: Callable[[Any], Any] | None,
        on_mock: Callable[[Any, Any], None],
        plans: bool,
    ) -> None:
        super().__init__(injector, auto_bind=auto_bind)
        self._plans = plans
        self._mocker = mocker
        self._on_mock = on_mock
        self._asked: set[Any] = set()
        self._mocked: set[Any] = set()
        self.built: set[Hashable] = set()
        """Tokens the injector has built from a class at least once (a `Depends` that
        builds the same class elsewhere is counted in the ledger, not here)."""

    def offer_to_mocker(self, interface: Any) -> bool:
        """Ask the mocker, once per token, for a token nothing binds; bind its answer.
        True when the token is bound to a mocker's answer."""
        if self._mocker is None:
            return False
        if interface in self._mocked:
            return True
        if interface in self._asked or self.has_binding_for(interface):
            return False
        if get_origin(interface) is not None or (
            isinstance(interface, type) and issubclass(interface, Scope)
        ):
            return False  # injector's own special keys: ProviderOf[X], scopes
        self._asked.add(interface)
        try:
            value = self._mocker(interface)
        except Exception as exc:
            raise MockerFailed(exc) from exc
        if value is None:
            return False  # declined: the injector decides (auto-build, or strict error)
        self.bind(interface, to=InstanceProvider(value))
        self._mocked.add(interface)
        self._on_mock(interface, value)
        return True

    def bind(
        self,
        interface: type[T],
        to: T | Callable[..., T] | Provider[T] | None = None,
        scope: type[Scope] | ScopeDecorator | None = None,
    ) -> None:
        binding = planned_binding(interface, to, scope) if self._plans else None
        if binding is not None:
            self._bindings[interface] = binding
            return
        super().bind(interface, to, scope)

    def bind_all(self, bindings: Mapping[Any, Binding]) -> None:
        """Bind each interface of `bindings` (made by `planned_binding`, in the order
        `bind` would have been called), as that many `bind` calls would."""
        assert self._plans, "planned bindings are only made with constructor plans"
        self._bindings.update(bindings)

    def provider_for(self, interface: Any, to: Any = None) -> Provider[Any]:
        provider = super().provider_for(interface, to)
        if isinstance(provider, ClassProvider):
            if self._plans:
                provider = PlannedClassProvider(provider._cls, own_arguments=True)
            return _CountingProvider(provider, interface)
        return provider


class _BindOnLookup(_CountingBinder):
    """A binder that binds when a token is looked up: lazy mode's deferred bindings, and
    the mocker's answer for a token nothing binds. (A separate class because a lookup is
    the injector's hottest path: without lazy mode or a mocker it is not overridden.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._deferred: dict[Any, Any] = {}
        self._bind_deferred: Callable[[Any], None] = lambda pending: None
        super().__init__(*args, **kwargs)

    def defer(self, pending: Mapping[Any, Any], bind: Callable[[Any], None]) -> None:
        """Lazy mode: bind each interface of `pending` with `bind(pending[interface])`
        when it is first looked up. A later `bind()` of the interface wins, as it would
        had the deferred binding been made first."""
        # One dict and one callable for the whole graph: a large app defers thousands of
        # bindings per compile, and most tests look up a handful.
        self._deferred.update(pending)
        self._bind_deferred = bind

    def bind(
        self,
        interface: type[T],
        to: T | Callable[..., T] | Provider[T] | None = None,
        scope: type[Scope] | ScopeDecorator | None = None,
    ) -> None:
        if self._deferred:
            self._deferred.pop(interface, None)
        super().bind(interface, to, scope)

    def get_binding(self, interface: Any) -> Any:
        if self._deferred:
            pending = self._deferred.pop(interface, _NOTHING)
            if pending is not _NOTHING:
                self._bind_deferred(pending)
        self.offer_to_mocker(interface)
        return super().get_binding(interface)


class TestingInjector(Injector):
    """`injector.Injector` with counting, injection records and path-naming errors.

    `owner_module` maps a class to the name of the module that registers it (or
    `None`), so strict-mode errors can say where a provider belongs. With `plans`,
    classes are built from constructor plans (see `nest_testing._constructors`).
    With `lazy`, `defer()` binds tokens when they are first looked up.
    """

    __test__ = False  # not a pytest test class

    _keeper: KeeperRef
    """The singleton scope, weakly: set (and read) only with the cached lookups."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        auto_bind: bool,
        owner_module: Callable[[object], str | None],
        mocker: Callable[[Any], Any] | None = None,
        on_mock: Callable[[Any, Any], None] = lambda token, value: None,
        plans: bool = False,
        lazy: bool = False,
    ) -> None:
        super().__init__(auto_bind=auto_bind)
        self._lazy = lazy
        self._ledger = ledger
        self._resolution = _Resolution()
        self._owner_module = owner_module
        # Injector.__init__ hard-codes its Binder; swap in ours before anything is bound.
        binder = _BindOnLookup if lazy or mocker is not None else _CountingBinder
        self.binder: _CountingBinder = binder(
            self, auto_bind=auto_bind, mocker=mocker, on_mock=on_mock, plans=plans
        )
        # With the blueprint cache off, every lookup is the injector's own (the reference
        # the cached path is compared with).
        self._plain_lookup = plans and type(self.binder) is _CountingBinder
        if not self._plain_lookup:
            self.binder.bind(Injector, to=self)
            self.binder.bind(Binder, to=self.binder)
            self._singletons: dict[Any, Any] = {}  # never read: every lookup is the injector's
            self._singleton_scope, _ = self.binder.get_binding(SingletonScope)
            return
        # The bindings `bind(Injector, to=self)`, `bind(Binder, to=self.binder)` and the
        # singleton scope's (what the injector's first singleton lookup would bind; here
        # one that keeps the instances themselves, whose cache `get` reads directly for a
        # singleton built already) make, made as the binder makes them: instances, a
        # provider, no scope (binding them is a third of making an injector).
        scope = _InstanceScope(self)
        self._singleton_scope = Binding(SingletonScope, InstanceProvider(scope), NoScope)
        self.binder._bindings.update(
            {
                Injector: Binding(Injector, InstanceProvider(self), NoScope),
                Binder: Binding(Binder, InstanceProvider(self.binder), NoScope),
                SingletonScope: self._singleton_scope,
            }
        )
        self._singletons = scope.instances
        # Injections of the singletons it keeps are read back from it (see
        # `Ledger.begin_injected`): no weak reference per injection.
        self._keeper = KeeperRef(scope)

    def defer(self, pending: Mapping[Any, Any], bind: Callable[[Any], None]) -> None:
        """Lazy mode: see `_BindOnLookup.defer()`."""
        assert isinstance(self.binder, _BindOnLookup), "TestingInjector(lazy=True) defers"
        self.binder.defer(pending, bind)

    def origin(self, path: tuple[str, ...]) -> AbstractContextManager[None]:
        """Resolve, within the block, on behalf of `path` (root module -> ... -> here)."""
        return _Origin(self._resolution, path)

    @contextmanager
    def building(self, token: Hashable, via: str) -> Iterator[int]:
        """Resolve, within the block, as `token`'s own dependencies (a factory's
        `inject` list, an alias target): errors name it, injections are recorded for
        it. The caller commits the construction (the serial yielded) when it succeeds."""
        serial = self._ledger.begin(token, via)
        stack = self._resolution.stack
        stack.append(serial)
        try:
            yield serial
        finally:
            stack.pop()

    def get(self, interface: Any, scope: Any = None) -> Any:
        stack = self._resolution.stack
        consumer = stack[-1] if stack else None
        if self._lazy and consumer is None:  # a long chain: deepest first, not recursively
            for dependency, above in bottom_up(self, interface, self.binder.built):
                with self.origin((*self._resolution.origin, *map(token_name, above))):
                    self.get(dependency)
        try:
            kept = _NOTHING if scope is not None else self._singleton(interface, stack)
            result = super().get(interface, scope) if kept is _NOTHING else kept
        except NestTestingError:
            raise  # already translated where it happened, deeper down
        except Exception as exc:
            raise self._translate(exc, interface) from _original(exc)
        if consumer is not None:
            if kept is _NOTHING:
                self._ledger.inject(consumer, interface, result)
            else:  # the singleton scope keeps it: the ledger reads it back from there
                self._ledger.inject_kept(consumer, interface, self._keeper)
        return result

    def _singleton(self, interface: Any, stack: list[int]) -> Any:
        """`Injector.get(interface)` for a singleton the binder's counting provider
        builds, as the injector does it (its lock, the singleton scope's cache) without
        its per-lookup work (binding and scope lookups, debug lines); `_NOTHING` for
        anything else, which the injector's own `get` resolves. Half of the lookups of
        a startup pass are built singletons; most others build one. (`stack` is this
        thread's resolution stack: a thread-local's attribute is read once per `get`.)"""
        if not self._plain_lookup:
            return _NOTHING  # a lookup may bind (lazy mode, the mocker): the injector's way
        bindings = self.binder._bindings
        try:
            binding = bindings.get(interface)
        except TypeError:  # unhashable: the injector says why
            return _NOTHING
        if (
            binding is None
            or binding.scope is not SingletonScope
            or bindings.get(SingletonScope) is not self._singleton_scope
        ):
            return _NOTHING
        singletons = self._singletons
        cached = singletons.get(interface, _NOTHING)
        if cached is not _NOTHING:
            return cached
        provider = binding.provider
        if type(provider) is not _CountingProvider:
            return _NOTHING  # a spy, a value: the injector's way
        # Injector.get and SingletonScope.get hold it (acquired and released by hand: a
        # `with` block costs more than a construction's ledger records).
        injector_lock.acquire()
        try:
            cached = singletons.get(interface, _NOTHING)
            if cached is not _NOTHING:
                return cached
            inner = provider._inner
            if type(inner) is PlannedClassProvider and inner._own_arguments:
                init, plan = inner._planned
                # As PlannedClassProvider.get builds it, from the plan it holds.
                if inner._cls.__init__ is init:
                    instance = self._construct(interface, inner._cls, init, plan, stack)
                else:
                    instance = provider.get(self)
            else:
                instance = provider.get(self)
            singletons[interface] = instance
        finally:
            injector_lock.release()
        return instance

    def _construct(
        self, token: Any, cls: Any, init: Any, bindings: dict[str, Any], stack: list[int]
    ) -> Any:
        """`_CountingProvider(PlannedClassProvider(cls), token).get(self)` in one frame,
        for a class whose plan (`init`'s `bindings`) the provider holds (most of a
        startup pass): the same ledger records, resolution stack and arguments,
        without two provider calls per object. (The caller, `_singleton`, has checked
        that lookups are the cached path's.)"""
        ledger = self._ledger
        # Read before the serial is taken (the reads have no effect; nothing else is
        # begun in between), so the construction and its injections are one record.
        found = self._kept(bindings)
        if found is None:
            serial = ledger.begin(token, "container")
        else:
            serial = ledger.begin_injected(token, bindings, self._keeper)
        stack.append(serial)
        try:
            instance = cls.__new__(cls)
            if found is None:
                found = self.args_to_inject(function=init, bindings=bindings, owner_key=cls)
            init(instance, **found)
        finally:
            stack.pop()
        ledger.commit(serial)
        self.binder.built.add(token)
        return instance

    def arguments(self, cls: type, init: Any, bindings: dict[str, Any]) -> dict[str, Any]:
        """What `args_to_inject(init, bindings, cls)` returns. When every dependency is a
        singleton built already, nothing is built below (so no cycle can be met) and
        each is read from the singleton scope's cache, recorded as `get` records it."""
        found = None
        if (
            self._plain_lookup
            and self.binder._bindings.get(SingletonScope) is self._singleton_scope
        ):
            found = self._kept(bindings)  # else every lookup is the injector's
        if found is None:
            return self.args_to_inject(function=init, bindings=bindings, owner_key=cls)
        stack = self._resolution.stack
        if stack:
            self._ledger.inject_kept(stack[-1], bindings, self._keeper)
        return found

    def _kept(self, bindings: dict[str, Any]) -> dict[str, Any] | None:
        """The arguments of a plan (`bindings`) when every dependency is a singleton the
        singleton scope keeps already, read from it; else `None`. Only for the cached
        path's lookups (`_plain_lookup`, the injector's singleton scope bound)."""
        found = {}
        bound = self.binder._bindings
        singletons = self._singletons
        try:
            for name, key in bindings.items():
                cached = singletons.get(key, _NOTHING)
                if cached is _NOTHING:
                    return None
                binding = bound.get(key)
                if binding is None or binding.scope is not SingletonScope:
                    return None
                found[name] = cached
        except TypeError:  # an unhashable key: the injector says why
            return None
        return found

    def path_to(self, token: object) -> tuple[str, ...]:
        """The path to `token` from the root module, through what is being built now."""
        return (
            *self._resolution.origin,
            *(token_name(self._ledger.token_of(serial)) for serial in self._resolution.stack),
            token_name(token),
        )

    def _translate(self, exc: Exception, interface: object) -> NestTestingError:
        path = self.path_to(interface)
        where = " -> ".join(path)
        name = token_name(interface)
        stack = self._resolution.stack
        consumer = self._ledger.token_of(stack[-1]) if stack else None
        if isinstance(exc, UnsatisfiedRequirement):
            if isinstance(interface, type) and consumer is not None:
                module = self._owner_module(consumer) or "the consumer's module"
                return ImplicitProviderError(
                    f"{where}: {name} is not registered in any module, and strict() forbids "
                    f"building it implicitly. {token_name(consumer)} (in {module}) needs it: add "
                    f"{name} to providers=[...] of {module}, or import a module that exports it.",
                    path=path,
                    token=interface,
                )
            return MissingProviderError(
                f"{where}: no module provides {name}.", path=path, token=interface
            )
        if isinstance(exc, UnknownProvider):
            return MissingProviderError(
                f"{where}: no module provides {name}, and the injector cannot build it "
                f"(it is not a class). Add {{'provide': {name}, 'useValue': ...}} to the "
                "providers of the module that needs it.",
                path=path,
                token=interface,
            )
        unresolved = _unresolved_annotation(exc)
        if unresolved is not None:
            return ProviderConstructionError(
                f"{where}: the injector cannot read the constructor annotations of {name}: "
                f"{unresolved}. With `from __future__ import annotations` annotations are "
                "strings, and the injector looks their names up in the module's globals, "
                "so a class defined inside a function (a test, a fixture) is not found. "
                "Define the classes at module level, or remove `from __future__ import "
                "annotations` from that file.",
                path=path,
                token=interface,
            )
        if isinstance(exc, MockerFailed):
            return ProviderConstructionError(
                f"{where}: the mocker given to use_mocker() raised {exc.original!r} when "
                f"offered {name} (nothing provides {name}, so the mocker was asked for it). "
                "Return None from the mocker for tokens it should not mock.",
                path=path,
                token=interface,
            )
        if isinstance(exc, CircularDependency):
            return CircularDependencyError(
                f"Circular dependency while building {where}: {exc}", path=path, token=interface
            )
        return ProviderConstructionError(
            f"{where}: {_original(exc)!r}", path=path, token=interface
        )


def _unresolved_annotation(exc: Exception) -> str | None:
    """The `NameError` text when the injector could not evaluate string annotations:
    its private `_BindingNotYetAvailable` (recognised by name: it may move) for an
    `@Injectable` class, or `typing.get_type_hints`'s own `NameError` for a plain one (a
    `NameError` raised by the constructor's body is the user's, and stays theirs)."""
    if isinstance(exc, NameError):
        return str(exc) if _raised_in_get_type_hints(exc) else None
    if type(exc).__name__ != "_BindingNotYetAvailable":
        return None
    cause = exc.args[0] if exc.args else None
    return str(cause) if isinstance(cause, NameError) else str(exc)


def _raised_in_get_type_hints(exc: BaseException) -> bool:
    frame = exc.__traceback__
    while frame is not None:
        code = frame.tb_frame.f_code
        if code.co_name == "get_type_hints" and code.co_filename == typing.__file__:
            return True
        frame = frame.tb_next
    return False


def _original(exc: BaseException) -> BaseException:
    """The user's exception inside an injector `CallError` (which wraps TypeErrors)."""
    if isinstance(exc, MockerFailed):
        return exc.original
    if isinstance(exc, CallError) and len(exc.args) == 6:
        original = exc.args[4]
        if isinstance(original, BaseException):
            return original
    return exc

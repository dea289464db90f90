"""What a compiled testing module knows of its graph: lookups and construction counts.

`ModuleContext` is the part of `TestingModule` that reads the container and the
ledger, as NestJS's `TestingModule` extends its `NestApplicationContext`: `get`,
`resolve`, `select`, the graph, the doubles, `constructions` and the assertions on
them. Serving the app (clients, CLI, lifecycle) is `TestingModule`'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar, overload

from nest.common.provider import InjectionToken, Scope

from nest_testing import _assertions, _graph_errors
from nest_testing._container import TestingContainer
from nest_testing._doubles import Doubles
from nest_testing._graph import ModuleGraph
from nest_testing._ledger import ConstructionCounts, Ledger
from nest_testing._module_view import ModuleView
from nest_testing._runtime import Runtime
from nest_testing._tokens import did_you_mean, token_name
from nest_testing._usage import require_times, require_token
from nest_testing.errors import ScopeError, UnknownTokenError

T = TypeVar("T")


class ModuleContext:
    """Lookups, the graph and construction counts of a compiled testing module; the
    base of `TestingModule`, whose docs list these methods too.

    Example:
        ```python
        module.get(Logger)
        module.assert_singleton(Logger)
        ```
    """

    def __init__(self, container: TestingContainer, ledger: Ledger, runtime: Runtime) -> None:
        self._container = container
        self._ledger = ledger
        self._runtime = runtime
        self.mocks = Doubles("mock", "mocks", container.mocks)
        """The mocks consumers received, by token: from `mock_provider` and `use_mocker`."""
        self.spies = Doubles("spy", "spies", container.spies)
        """The spies consumers received, by token, from `spy_provider`."""
        self.constructions = ConstructionCounts(ledger, self._known_tokens)
        """How many times each provider was built: a live `Mapping[token, int]` with
        `.by_phase`. See `nest_testing.ConstructionCounts`."""

    @property
    def graph(self) -> ModuleGraph:
        """The dependency graph: modules, providers, controllers, who injects whom, with
        overrides and doubles marked. `graph.to_mermaid()` draws it.

        Example:
            ```python
            assert module.graph.node(Logger).status == "overridden"
            ```
        """
        return self._container.graph()

    # ── lookups ──────────────────────────────────────────────────────────────

    @overload
    def get(self, token: type[T]) -> T: ...
    @overload
    def get(self, token: InjectionToken | str) -> Any: ...

    def get(self, token: Any) -> Any:
        """The instance the container holds for `token` (class, `InjectionToken` or
        string), as every consumer receives it.

        Example:
            ```python
            logger = module.get(Logger)      # typed as Logger
            url = module.get(DB_URL)
            ```
        """
        self._runtime.check_open()
        require_token(token, "module.get()")
        descriptors = self._container.descriptors_for(token)
        if not descriptors and token not in self._container.topology.known_tokens:
            if self._container.supplied_by_mocker(token):  # one object, bound for all
                return self.resolve(token)
            raise self._unknown(token)
        if self._container.value_dropped(token):
            raise UnknownTokenError(_assertions.dropped_value(token), token=token)
        scopes = {Scope(d.scope) for d in descriptors}  # PyNest takes "transient" too
        if descriptors and Scope.SINGLETON not in scopes:
            raise ScopeError(
                f"{token_name(token)} is registered with scope "
                f"{'/'.join(sorted(s.name for s in scopes))}: there is no single instance to "
                f"get. Use module.resolve({token_name(token)}) for a fresh one.",
                token=token,
            )
        return self.resolve(token)

    @overload
    def resolve(self, token: type[T]) -> T: ...
    @overload
    def resolve(self, token: InjectionToken | str) -> Any: ...

    def resolve(self, token: Any) -> Any:
        """A fresh instance for transient / request-scoped providers; for a singleton, the
        singleton.

        Example:
            ```python
            first, second = module.resolve(RequestContext), module.resolve(RequestContext)
            assert first is not second
            ```
        """
        self._runtime.check_open()
        require_token(token, "module.resolve()")
        container = self._container
        with container.resolving_for(container.topology.owner_path(token)):
            return container.get(token)

    def select(self, module: type) -> ModuleView:
        """Look providers up as seen from one module: what it may inject.

        Example:
            ```python
            module.select(ItemModule).get(ItemService)
            ```
        """
        self._runtime.check_open()
        topology = self._container.topology
        ref = topology.ref_of(module)
        if ref is None:
            names = [r.metatype for r in topology.refs]
            raise UnknownTokenError(
                f"{token_name(module)} is not a module of this testing module."
                f"{did_you_mean(module, names)}",
                token=module,
            )
        return ModuleView(
            topology,
            ref,
            self.get,
            self.resolve,
            self._container.supplied_by_mocker,
            self._unknown,
        )

    def _singleton_tokens(self) -> list[Hashable]:
        """Tokens registered (everywhere) as singletons, controllers included."""
        tokens = dict.fromkeys(self._container.topology.known_tokens)
        return [
            token
            for token in tokens
            if all(d.scope == Scope.SINGLETON for d in self._container.descriptors_for(token))
        ]

    def _known_tokens(self) -> set[Hashable]:
        return self._container.topology.known_tokens | set(self._runtime.depends)

    def _unknown(self, token: object) -> UnknownTokenError:
        container = self._container
        return _graph_errors.unknown_token(
            token, container.topology.known_tokens, mocker=container.mocker is not None
        )

    # ── construction counts and identity ─────────────────────────────────────

    def assert_constructed(self, token: Hashable, times: int = 1) -> None:
        """Fail unless `token` was constructed exactly `times` times so far.

        Example:
            ```python
            module.assert_constructed(ItemService, times=1)
            ```
        """
        __tracebackhide__ = True  # a failure points at the test's line, not ours
        require_token(token, "assert_constructed()")
        require_times(times)
        self.constructions[token]  # unknown tokens fail loudly, not as "0 != 1"
        message = _assertions.constructed_times(token, times, self._ledger.constructions_of(token))
        if message:
            raise AssertionError(message)

    def assert_singleton(self, token: Hashable) -> None:
        """Fail unless `token` is registered as a singleton, was built at most once (by
        the container or a `Depends`), and every consumer holds the very object
        `module.get(token)` returns.

        Example:
            ```python
            for _ in range(10):
                module.client.get("/items")
            module.assert_singleton(Logger)
            ```
        """
        __tracebackhide__ = True
        self._runtime.check_open()
        require_token(token, "assert_singleton()")
        constructions = self._ledger.constructions_of(token)
        descriptors = self._container.descriptors_for(token)
        if self._container.value_dropped(token):
            raise AssertionError(_assertions.dropped_value(token))
        if not descriptors and self._container.supplied_by_mocker(token):
            injections = self._ledger.injections_of(token)
            message = _assertions.shared_instance(token, self.get(token), injections)
            if message:
                raise AssertionError(message)
            return
        if not descriptors:
            if not constructions and token not in self._known_tokens():
                raise self._unknown(token)
            raise AssertionError(
                _assertions.not_registered(token, constructions, self._consumer_modules(token))
            )
        scope = next((Scope(d.scope) for d in descriptors if d.scope != Scope.SINGLETON), None)
        if scope is not None:
            raise AssertionError(_assertions.wrong_scope(token, scope))
        message = (
            _assertions.constructed_times(token, 1, constructions)
            if len(constructions) > 1
            else None
        ) or _assertions.shared_instance(token, self.get(token), self._ledger.injections_of(token))
        if message:
            raise AssertionError(message)

    def _consumer_modules(self, token: Hashable) -> str:
        modules: dict[str, None] = {}
        for injection in self._ledger.injections_of(token):
            owner = self._container.topology.owner_of(injection.consumer.token)
            if owner is not None:
                modules.setdefault(
                    f"{self._container.topology.name_of(owner)} (where "
                    f"{token_name(injection.consumer.token)} lives)"
                )
        return ", ".join(modules) or "the module whose providers use it"

    def expect_constructions(self, expected: Mapping[Hashable, int]) -> _ExpectConstructions:
        """Fail if, inside the block, the listed tokens were not constructed exactly the
        given number of times.

        Example:
            ```python
            with module.expect_constructions({ItemService: 0, RequestContext: 3}):
                for _ in range(3):
                    module.client.get("/items")
            ```
        """
        __tracebackhide__ = True
        for token in expected:
            self.constructions[token]  # an unknown token is a typo: fail before the block
        return _ExpectConstructions(self._ledger, dict(expected))

    @contextmanager
    def track_constructions(self) -> Iterator[dict[Hashable, int]]:
        """Yield a dict that, when the block ends, holds what was constructed inside it.

        Example:
            ```python
            with module.track_constructions() as delta:
                module.client.get("/items")
            assert delta == {}   # nothing was built while serving that request
            ```
        """
        delta: dict[Hashable, int] = {}
        before = self._ledger.snapshot()
        try:
            yield delta
        finally:
            delta.update(+(self._ledger.snapshot() - before))


class _ExpectConstructions:
    """The block of `expect_constructions`: a class, not a generator, so that a failure
    shows the test's `with` line and no frame of ours or of contextlib."""

    def __init__(self, ledger: Ledger, expected: dict[Hashable, int]) -> None:
        self._ledger = ledger
        self._expected = expected
        self._before: Counter[Hashable] = Counter()

    def __enter__(self) -> None:
        self._before = self._ledger.snapshot()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        __tracebackhide__ = True
        if exc_type is not None:  # the block's own error is the one to see
            return
        delta = +(self._ledger.snapshot() - self._before)
        message = _assertions.expected_deltas(self._expected, delta)
        if message:
            raise AssertionError(message)

"""Differential fuzzing: generated PyNest apps, compiled by nest-testing and by PyNest.

``fuzz_apps.scenarios()`` draws whole apps (modules, imports, exports, every provider
kind, token kind and failure mode; see ``tests/fuzz_apps.py``). The properties:

1. With no overrides, ``Test.create_testing_module(imports=[Root]).compile()`` succeeds
   exactly when ``PyNestFactory.create(Root)`` does, fails with the matching
   ``NestTestingError`` subclass when it does not, and otherwise registers the same
   routes, runs the same hooks, holds comparable objects under every token, and
   ``select(Mod)`` sees what PyNest lets ``Mod`` inject; also after the same app was
   compiled with overrides, and when compiled a second time.
2. With overrides, every registered singleton class provider is built exactly once and
   ``assert_singleton`` passes for it, consumers receive the overrides, and ``get`` of a
   singleton builds nothing new.
3. A failing compile raises a ``NestTestingError`` whose ``path`` names generated nodes
   only, and whose message names at least one of them; never another type, never a hang.
4. Every compiled module closes (shutdown hooks once, for what started) and leaves no
   thread behind.
5. ``.lazy()`` compiles whatever the eager compile does, and serves the same objects.

Run more examples with ``HYPOTHESIS_PROFILE=thorough`` (or ``--hypothesis-profile``).
"""

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import fuzz_apps
import pytest
from fastapi.routing import APIRoute
from fuzz_apps import Boom, FactoryProduct, Scenario, Tok, shape
from hypothesis import event, example, given
from injector import CallError, CircularDependency, UnknownProvider, UnsatisfiedRequirement
from nest.common.exceptions import CircularDependencyException, ProviderNotExportedException
from nest.core.decorators.injectable import Injectable
from nest.core.decorators.module import Module
from nest.core.pynest_application import PyNestApp
from nest.core.pynest_factory import PyNestFactory

from nest_testing import (
    CircularDependencyError,
    EncapsulationError,
    LifecycleHookError,
    MissingProviderError,
    NestTestingError,
    ProviderConstructionError,
    ScopeError,
    Test,
    TestingModule,
    TestingModuleBuilder,
    UnknownOverrideError,
    UnknownTokenError,
    UsageError,
)

COMPILE_LIMIT = 10.0  # seconds; one compile of a generated app takes a few milliseconds


class ExampleHung(BaseException):
    """Raised (from SIGALRM) in the test thread when one compile exceeds the limit; a
    BaseException, so no ``except Exception`` in the code under test swallows it."""


@contextmanager
def wall_clock(what: str, limit: float = COMPILE_LIMIT) -> Iterator[None]:
    """Fail if the block takes longer than ``limit``, interrupting it if it hangs."""
    armed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    previous: Any = None
    if armed:

        def on_alarm(signum: int, frame: object) -> None:
            raise ExampleHung(f"{what} did not finish within {limit} s")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    assert elapsed < limit, f"{what} took {elapsed:.1f} s"


@contextmanager
def no_thread_left_behind() -> Iterator[None]:
    """Fail if the block leaves a thread running (after a short join)."""
    before = set(threading.enumerate())
    count = threading.active_count()
    yield
    deadline = time.monotonic() + 2.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra and threading.active_count() <= count:
            return
        assert time.monotonic() < deadline, f"threads left behind: {extra}"
        for thread in extra:
            thread.join(timeout=0.05)


def builder_for(app: fuzz_apps.BuiltApp) -> TestingModuleBuilder:
    builder = Test.create_testing_module(imports=[app.root])
    for token, spec, replacement in app.overrides():
        if spec.form == "shorthand":
            builder.override_provider(token, replacement)
        elif spec.kind == "class":
            builder.override_provider(token).use_class(replacement)
        else:
            builder.override_provider(token).use_value(replacement)
    return builder


def compile_app(builder: TestingModuleBuilder) -> tuple[TestingModule | None, Exception | None]:
    with wall_clock("compile()"):
        try:
            return builder.compile(), None
        except Exception as exc:
            return None, exc


def pynest_create(root: type) -> tuple[PyNestApp | None, Exception | None]:
    with wall_clock("PyNestFactory.create()"):
        try:
            return PyNestFactory.create(root), None
        except Exception as exc:
            return None, exc


def route_table(server: Any) -> list[tuple[str, tuple[str, ...]]]:
    return sorted(
        (route.path, tuple(sorted(getattr(route, "methods", None) or ())))
        for route in server.routes
    )


def is_singleton(listings: list[fuzz_apps.ProviderSpec]) -> bool:
    """Registered as a singleton everywhere (values, factories and aliases always are)."""
    return all(p.scope == "singleton" for p in listings)


def lookup(module: TestingModule, token: object, singleton: bool) -> Any:
    return module.get(token) if singleton else module.resolve(token)


def shape_of(
    get: Callable[..., Any], *args: Any, raises: type[Exception] = NestTestingError
) -> Any:
    """``shape(get(*args))``, or ``"<raises>"`` when it raises ``raises``: comparable
    between two builds that both refuse a token."""
    try:
        return shape(get(*args))
    except raises:
        return "<raises>"


def expected_error(reference: Exception) -> type[NestTestingError]:
    """The nest-testing error class for what ``PyNestFactory.create`` raised."""
    if isinstance(reference, Boom):
        in_hook = reference.where in fuzz_apps.HOOKS
        return LifecycleHookError if in_hook else ProviderConstructionError
    table: list[tuple[type[BaseException], type[NestTestingError]]] = [
        (CircularDependencyException, CircularDependencyError),
        (CircularDependency, CircularDependencyError),
        (ProviderNotExportedException, EncapsulationError),
        (UnsatisfiedRequirement, MissingProviderError),
        (UnknownProvider, MissingProviderError),
        (CallError, ProviderConstructionError),
        # Modules that import each other: PyNest recurses until Python gives up.
        (RecursionError, CircularDependencyError),
    ]
    for raw, ours in table:
        if isinstance(reference, raw):
            return ours
    raise AssertionError(f"PyNest raised something this test does not expect: {reference!r}")


def hook_counts(events: list[tuple[str, str]], kind: str) -> Counter[str]:
    return Counter(name for k, name in events if k == kind)


# ── 1. differential: nest-testing compiles exactly what PyNest creates ──────────


# Found by hypothesis: a class token registered only as useValue None, which PyNest drops.
DROPPED_VALUE = Scenario(
    modules=(
        fuzz_apps.ModuleSpec(
            name="RootModule",
            imports=(),
            providers=(fuzz_apps.ProviderSpec(token=Tok("cls", "C0"), kind="value"),),
            exports=(),
            is_global=False,
            controller=None,
        ),
    ),
    classes=(fuzz_apps.ClassSpec(name="C0"),),
    overrides=(),
    clean=True,
    reachable=frozenset({0}),
    import_cycle=False,
)


@given(scenario=fuzz_apps.scenarios())
@example(scenario=DROPPED_VALUE)
def test_compiles_exactly_when_pynest_creates(scenario: Scenario) -> None:
    app = fuzz_apps.build(scenario)
    reference, reference_error = pynest_create(app.root)
    pynest_inits = hook_counts(app.events, "init")
    assert not scenario.clean or reference_error is None, (
        f"fuzz_apps bug: a clean app must build, PyNest raised {reference_error!r}"
    )
    event(f"PyNest: {type(reference_error).__name__ if reference_error else 'ok'}")
    with no_thread_left_behind():
        # The scenario's overrides are compiled first (and closed), then the app as it is,
        # twice: whatever one compile remembers for the next (a validation cache, say) must
        # not change what the app's own compile does.
        if scenario.overrides:
            warm, _ = compile_app(builder_for(app))
            if warm is not None:
                with warm:
                    pass
        for _ in range(2):
            app.events.clear()
            module, error = compile_app(Test.create_testing_module(imports=[app.root]))
            if reference_error is not None:
                check_same_failure(reference_error, error)
                continue
            assert error is None, f"PyNest created the app; compile() raised {error!r}"
            assert module is not None
            assert reference is not None
            with module:
                assert hook_counts(app.events, "init") == pynest_inits
                check_same_app(module, reference, app)


def check_same_failure(reference_error: Exception, error: Exception | None) -> None:
    assert error is not None, f"PyNest raised {reference_error!r}; compile() succeeded"
    expected = expected_error(reference_error)
    assert type(error) is expected, (
        f"PyNest raised {reference_error!r}; expected {expected.__name__}, got "
        f"{type(error).__name__}: {error}"
    )
    if isinstance(reference_error, Boom):  # the same node fails first
        assert isinstance(error.__cause__, Boom), error
        assert str(error.__cause__) == str(reference_error)


def check_same_app(module: TestingModule, reference: PyNestApp, app: fuzz_apps.BuiltApp) -> None:
    """Same routes; comparable objects under every token; what ``select`` sees."""
    scenario = app.scenario
    assert route_table(module.http_server) == route_table(reference.http_server)
    # the second compile's routes come from route templates: the same schema either way
    assert module.http_server.openapi() == reference.http_server.openapi()
    for tok, listings in scenario.registered().items():
        token = app.token(tok)
        singleton = is_singleton(listings)
        if all(p.kind == "value" and p.value is None for p in listings):
            # PyNest drops a useValue None (its container then builds a class token
            # implicitly, per consumer); get() refuses it by design, saying why.
            with pytest.raises(UnknownTokenError, match="useValue': None"):
                module.get(token)
            continue
        theirs = shape_of(reference.container.get, token, raises=Exception)
        ours = shape_of(lookup, module, token, singleton)
        assert ours == theirs, f"{tok!r}: nest-testing {ours!r}, PyNest {theirs!r}"
        if not singleton:
            with pytest.raises(ScopeError):
                module.get(token)
    for controller in scenario.controllers():
        cls = app.classes[controller.name]
        assert shape(module.get(cls)) == shape(reference.container.get(cls))
    check_select(module, app)
    for route in module.http_server.routes:
        if isinstance(route, APIRoute):
            response = module.client.get(route.path)
            assert response.status_code == 200, response.text
            assert set(response.json()) == {"controller"}


def check_select(module: TestingModule, app: fuzz_apps.BuiltApp) -> None:
    """``module.select(Mod)`` sees exactly what PyNest lets ``Mod`` inject."""
    scenario = app.scenario
    registered = scenario.registered()
    for index, visible in scenario.visible().items():
        view = module.select(app.modules[index])
        for tok, listings in registered.items():
            token = app.token(tok)
            if tok not in visible:
                with pytest.raises(EncapsulationError):
                    view.resolve(token)
            elif is_singleton(listings):
                try:
                    expected = module.get(token)
                except NestTestingError:
                    continue  # e.g. a string token whose useValue None PyNest dropped
                assert view.get(token) is expected, (scenario.modules[index].name, tok)


# ── 2. singletons are built once; consumers receive the overrides ───────────────


def check_singletons(module: TestingModule, app: fuzz_apps.BuiltApp) -> None:
    scenario = app.scenario
    overrides = scenario.effective_overrides()
    for tok, listings in scenario.registered().items():
        token = app.token(tok)
        override = overrides.get(tok)
        singleton = is_singleton(listings)
        if override is not None and override.kind == "value":
            event(f"checked: value override {override.value!r:.10}")
            assert lookup(module, token, singleton) is override.value, tok
            assert module.constructions[token] == 0, tok
            continue
        if override is not None:
            assert type(lookup(module, token, singleton)) is app.classes[override.cls or ""]
        elif listings[0].kind not in ("class", "use_class"):
            continue
        if singleton:
            event("checked: a singleton class provider" + (" (overridden)" if override else ""))
            assert module.constructions[token] == 1, (tok, module.constructions[token])
            module.assert_singleton(token)


def overridden_instance(
    module: TestingModule, app: fuzz_apps.BuiltApp, dep: Tok
) -> tuple[bool, Any]:
    """``(True, what every consumer of dep must hold)`` when ``dep`` is overridden with a
    value, or with a class under a singleton registration."""
    override = app.scenario.effective_overrides().get(dep)
    listings = app.scenario.registered().get(dep)
    if override is None or listings is None:
        return False, None
    if override.kind == "value":
        return True, override.value
    if is_singleton(listings):
        return True, module.get(app.token(dep))
    return False, None


def check_consumers(module: TestingModule, app: fuzz_apps.BuiltApp) -> None:
    """Every generated consumer holds the override of each overridden dependency."""
    scenario = app.scenario
    overrides = scenario.effective_overrides()
    specs = {c.name: c for c in scenario.classes}
    consumers: list[tuple[Any, list[tuple[str, Tok]]]] = []
    for tok, listings in scenario.registered().items():
        provider = listings[0]
        if tok in overrides or provider.kind == "value":
            continue  # a value consumes nothing (and a useValue None is not in the container)
        obj = lookup(module, app.token(tok), is_singleton(listings))
        if provider.kind in ("class", "use_class"):
            deps = specs[provider.impl or tok.name].deps
            consumers.append((obj, [(f"d{i}", dep) for i, dep in enumerate(deps)]))
        elif provider.kind == "factory" and isinstance(obj, FactoryProduct):
            for i, dep in enumerate(provider.inject):
                matters, expected = overridden_instance(module, app, dep)
                if matters:
                    assert obj.args[i] is expected, (tok, dep)
        elif provider.kind == "existing" and provider.target is not None:
            matters, expected = overridden_instance(module, app, provider.target)
            if matters:
                assert obj is expected, (tok, provider.target)
    for controller in scenario.controllers():
        obj = module.get(app.classes[controller.name])
        consumers.append((obj, [(f"d{i}", dep) for i, dep in enumerate(controller.deps)]))
    for obj, attributes in consumers:
        for attribute, dep in attributes:
            matters, expected = overridden_instance(module, app, dep)
            if matters:
                event("checked: a consumer holds an override")
                assert getattr(obj, attribute) is expected, (type(obj).__name__, attribute, dep)


@given(scenario=fuzz_apps.scenarios())
def test_singletons_are_built_once_and_consumers_get_overrides(scenario: Scenario) -> None:
    app = fuzz_apps.build(scenario)
    registered = scenario.registered()
    unknown = [o.token for o in scenario.overrides if o.token not in registered]
    with no_thread_left_behind():
        module, error = compile_app(builder_for(app))
        event(f"compile: {type(error).__name__ if error else 'ok'}")
        if unknown and not scenario.import_cycle:
            assert isinstance(error, UnknownOverrideError), (unknown, error)
        if error is not None:
            assert isinstance(error, NestTestingError), repr(error)
            return
        assert module is not None
        with module:
            check_singletons(module, app)
            check_consumers(module, app)
            singletons = [
                app.token(tok)
                for tok, listings in registered.items()
                if is_singleton(listings) and listings[0].kind in ("class", "use_class")
            ]
            with module.track_constructions() as delta:
                for token in singletons:
                    module.get(token)
            assert not any(delta.get(token) for token in singletons), delta


# ── 3. failures are NestTestingErrors that name the path ───────────────────────


def check_path_names(error: NestTestingError, app: fuzz_apps.BuiltApp) -> None:
    names = app.names()
    assert error.path, f"{type(error).__name__} without a path: {error}"
    for name in error.path:
        node, _, hook = name.rpartition(".")
        assert name in names or (hook in fuzz_apps.HOOKS and node in names), (
            f"{name!r} in {error.path} is no generated module, provider or token"
        )
    assert any(name in str(error) for name in error.path), (error.path, str(error))


@given(scenario=fuzz_apps.scenarios(clean=False))
def test_failures_are_nest_testing_errors_naming_the_path(scenario: Scenario) -> None:
    app = fuzz_apps.build(scenario)
    with no_thread_left_behind():
        module, error = compile_app(builder_for(app))
        if module is not None:
            with module:
                event("compiled")
            return
        event(f"error: {type(error).__name__}")
        assert isinstance(error, NestTestingError), f"not a NestTestingError: {error!r}"
        if isinstance(error, UnknownOverrideError):
            assert any(name in str(error) for name in error_token_names(error)), str(error)
            for index in scenario.reachable:
                assert scenario.modules[index].name in str(error), str(error)
            return
        check_path_names(error, app)
        cause = error.__cause__
        if isinstance(error, ProviderConstructionError | LifecycleHookError):
            assert cause is not None, f"{type(error).__name__} chains no original: {error}"
        if isinstance(cause, Boom):
            assert error.path[-1] in app.boom_names(cause), (error.path, cause)


def error_token_names(error: NestTestingError) -> set[str]:
    token = error.token
    if isinstance(token, type):
        return {token.__name__}
    return {repr(token), str(getattr(token, "name", token))}


# ── 4. every module closes, and no thread is left behind ───────────────────────


@given(scenario=fuzz_apps.scenarios())
def test_modules_close_and_leave_no_thread_behind(scenario: Scenario) -> None:
    app = fuzz_apps.build(scenario)
    with no_thread_left_behind():
        module, error = compile_app(builder_for(app))
        if module is None:
            assert isinstance(error, NestTestingError), repr(error)
            # What started is shut down (PyNest would leave it running): every init hook
            # that returned gets its shutdown hook, once.
            raising = {c.name for c in scenario.classes if c.hook.endswith("-raise")}
            started = Counter(n for k, n in app.events if k == "init" and n not in raising)
            event(f"failed: {type(error).__name__}" + (" after hooks ran" if started else ""))
            assert hook_counts(app.events, "shutdown") == started, (type(error), error)
            return
        with module:
            for route in module.http_server.routes:
                if isinstance(route, APIRoute):
                    assert module.client.get(route.path).status_code == 200
            assert hook_counts(app.events, "shutdown") == Counter()
        started = hook_counts(app.events, "init")
        assert hook_counts(app.events, "shutdown") == started
        module.close()  # closing again is a no-op
        assert hook_counts(app.events, "shutdown") == started
        with pytest.raises(UsageError):
            module.get(app.root)


# ── 5. a lazy compile serves what the eager compile serves ─────────────────────


@given(scenario=fuzz_apps.scenarios())
def test_lazy_compile_serves_what_the_eager_compile_serves(scenario: Scenario) -> None:
    app = fuzz_apps.build(scenario)
    overrides = scenario.effective_overrides()
    with no_thread_left_behind():
        eager, error = compile_app(builder_for(app))
        if eager is None:
            assert isinstance(error, NestTestingError), repr(error)
            return
        with eager:
            lazy, lazy_error = compile_app(builder_for(app).lazy())
            assert lazy is not None, f"eager compile succeeded, lazy raised {lazy_error!r}"
            with lazy:
                for tok, listings in scenario.registered().items():
                    token = app.token(tok)
                    singleton = is_singleton(listings)
                    expected = shape_of(lookup, eager, token, singleton)
                    actual = shape_of(lookup, lazy, token, singleton)
                    assert actual == expected, f"{tok!r}: lazy {actual!r}, eager {expected!r}"
                    override = overrides.get(tok)
                    if override is not None:
                        built_from_a_class = override.kind == "class"
                    else:
                        built_from_a_class = listings[0].kind in ("class", "use_class")
                    if singleton and built_from_a_class:  # built by now, and once
                        assert lazy.constructions[token] == 1, (tok, lazy.constructions[token])
                        lazy.assert_singleton(token)


# ── regressions the fuzzer found ──────────────────────────────────────────────


def test_cyclic_module_imports_name_the_cycle() -> None:
    """Found by the fuzzer: modules importing each other made compile() raise a bare
    ``NestTestingError`` wrapping ``RecursionError``, with an empty path."""
    first = type("FuzzCycleFirstModule", (), {})
    second = type("FuzzCycleSecondModule", (), {})
    Module(imports=[second])(first)
    Module(imports=[first])(second)
    with no_thread_left_behind(), pytest.raises(CircularDependencyError) as info:
        Test.create_testing_module(imports=[first]).compile().close()
    assert info.value.path == (
        "FuzzCycleFirstModule",
        "FuzzCycleSecondModule",
        "FuzzCycleFirstModule",
    )
    assert "FuzzCycleFirstModule -> FuzzCycleSecondModule -> FuzzCycleFirstModule" in str(
        info.value
    )


# ── toolkit issues the fuzzer found (deterministic repros) ─────────────────────


def test_get_of_an_app_none_value_is_refused_or_the_instance_consumers_hold() -> None:
    dropped = Injectable(type("FuzzNoneValued", (), {}))

    def init(self: Any, dep: dropped) -> None:  # type: ignore[valid-type]
        self.dep = dep

    consumer = Injectable(type("FuzzNoneConsumer", (), {"__init__": init}))
    app = Module(providers=[{"provide": dropped, "useValue": None}, consumer])(
        type("FuzzNoneValueModule", (), {})
    )
    with Test.create_testing_module(imports=[app]).compile() as module:
        with pytest.raises(NestTestingError, match=r"useValue': None\}, which PyNest 0\.6 drops"):
            module.get(dropped)
        with pytest.raises(AssertionError, match=r"which PyNest 0\.6 drops"):
            module.assert_singleton(dropped)

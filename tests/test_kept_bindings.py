"""A warm compile binds a kept module's providers with the bindings kept with it.

The bindings hold classes and constructor plans, never an instance nor anything of one
injector: the counting provider reads the ledger, the resolution state and the built
tokens from the injector it builds for. Every class carries the ``Kept`` prefix.
"""

from typing import Any

from injector import Binding
from nest.common.provider import Scope
from nest.core import Controller, Get, Injectable, Module

from nest_testing import Test
from nest_testing._ledger import Ledger, Phase


@Injectable
class KeptClock:
    pass


@Injectable
class KeptService:
    def __init__(self, clock: KeptClock) -> None:
        self.clock = clock


@Module(providers=[KeptClock, KeptService], exports=[KeptService])
class KeptModule:
    pass


@Injectable
class KeptFresh:
    pass


@Module(
    imports=[KeptModule],
    providers=[
        {"provide": "KeptUrl", "useValue": "sqlite://"},
        {"provide": KeptFresh, "useClass": KeptFresh, "scope": Scope.TRANSIENT},
    ],
)
class KeptValueModule:
    pass


@Controller("/kept")
class KeptController:
    def __init__(self, service: KeptService) -> None:
        self.service = service

    @Get("/")
    def depth(self) -> dict[str, bool]:
        return {"own_clock": self.service.clock is not None}


@Module(imports=[KeptModule], controllers=[KeptController])
class KeptControllerModule:
    pass


def _builder(root: type) -> Any:
    return Test.create_testing_module(imports=[root]).use_blueprint_cache(True)


def _binding(module: Any, token: Any) -> Binding:
    binding: Binding = module._container.injector.binder._bindings[token]
    return binding


def test_a_warm_compile_binds_a_kept_module_with_its_kept_bindings() -> None:
    with _builder(KeptModule).compile() as first:
        kept, service = _binding(first, KeptService), first.get(KeptService)
    with _builder(KeptModule).compile() as second:
        assert _binding(second, KeptService) is kept
        assert second.get(KeptService) is not service  # instances are always fresh
        assert second.constructions[KeptService] == 1


def test_a_kept_modules_controllers_are_bound_with_their_kept_bindings() -> None:
    with _builder(KeptControllerModule).compile() as first:
        kept, controller = _binding(first, KeptController), first.get(KeptController)
        assert first.client.get("/kept/").json() == {"own_clock": True}
    with _builder(KeptControllerModule).compile() as second:
        assert _binding(second, KeptController) is kept
        assert second.get(KeptController) is not controller  # instances are always fresh
        assert second.get(KeptController).service is second.get(KeptService)
        assert second.client.get("/kept/").json() == {"own_clock": True}
        assert second.constructions[KeptController] == 1


def test_modules_open_together_count_and_inject_in_their_own_ledgers() -> None:
    builder = _builder(KeptModule)
    with builder.compile() as first, _builder(KeptModule).compile(init=False) as second:
        assert _binding(first, KeptService) is _binding(second, KeptService)
        for module in (first, second):
            assert dict(module.constructions) == {KeptClock: 1, KeptService: 1}
            (injection,) = module._ledger.injections_of(KeptClock)
            assert injection.obj is module.get(KeptClock)
            assert injection.consumer.token is KeptService
            assert module.get(KeptService).clock is module.get(KeptClock)
        assert first.constructions.by_phase["startup"] == {KeptClock: 1, KeptService: 1}
        assert second.constructions.by_phase["compile"] == {KeptClock: 1, KeptService: 1}
        assert first.get(KeptClock) is not second.get(KeptClock)


def test_a_module_with_a_value_or_a_transient_is_bound_anew_each_compile() -> None:
    def bindings() -> tuple[Binding, Binding, Binding, Any]:
        with _builder(KeptValueModule).compile() as module:
            return (
                _binding(module, "KeptUrl"),
                _binding(module, KeptFresh),
                _binding(module, KeptService),
                module.get("KeptUrl"),
            )

    url, fresh, service, value = bindings()
    again = bindings()
    assert again[0] is not url
    assert again[1] is not fresh
    assert again[2] is service  # the imported module's bindings are still its kept ones
    assert again[3] == value == "sqlite://"


def test_counts_read_between_constructions_follow_them_in_order() -> None:
    ledger = Ledger()
    for token in ("b", "a", "b"):
        ledger.commit(ledger.begin(token, "container"))
    assert list(ledger.snapshot().items()) == [("b", 2), ("a", 1)]
    ledger.phase = Phase.STARTUP
    for token in ("c", "a"):
        ledger.commit(ledger.begin(token, "container"))
    ledger.begin("never", "container")  # begun, never committed: not counted
    assert ledger.count("a") == 2
    assert ledger.count("never") == 0
    assert list(ledger.snapshot().items()) == [("b", 2), ("a", 2), ("c", 1)]
    phases = ledger.by_phase()
    assert list(phases[Phase.COMPILE].items()) == [("b", 2), ("a", 1)]
    assert list(phases[Phase.STARTUP].items()) == [("c", 1), ("a", 1)]
    assert [c.serial for c in ledger.constructions_of("a")] == [2, 5]


def test_the_injectors_own_singleton_lookups_see_the_singletons_the_module_built() -> None:
    # The module keeps each built singleton itself (no provider around it); a lookup
    # the injector makes its own way (an explicit scope) meets the same object, and a
    # singleton built that way first is the one the module hands out later.
    from injector import SingletonScope

    for _ in range(2):  # cold, then warm (the kept bindings)
        with _builder(KeptModule).spy_provider(KeptClock).compile() as spied:
            # A spy's provider is not the module's: the injector's own path builds it.
            injector = spied._container.injector
            clock = spied.get(KeptClock)
            assert injector.get(KeptClock, scope=SingletonScope) is clock
            assert spied.get(KeptService).clock is clock
            spied.assert_constructed(KeptClock, times=1)
        with _builder(KeptModule).compile() as module:
            injector = module._container.injector
            service = module.get(KeptService)
            assert injector.get(KeptService, scope=SingletonScope) is service
            assert injector.get(KeptClock, scope=SingletonScope) is service.clock
            module.assert_constructed(KeptClock, times=1)

"""Large apps work as small ones do: many controllers, deep lazy chains, per-class plans."""

import gc
import weakref
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from nest.core import Controller, Get, Injectable, Module
from starlette.testclient import TestClient

from nest_testing import ProviderConstructionError, Test
from nest_testing._constructors import _PLANS, needed
from nest_testing._lazy_hooks import _HOOKS, class_defines_hooks
from nest_testing._lifespans import include_router
from nest_testing._lru import LRU

CONTROLLERS = 600  # FastAPI nests one lifespan per router: past the recursion limit


def _many_controllers(count: int) -> type:
    @Injectable
    class Counter:
        def __init__(self) -> None:
            self.stopped = False

        def on_application_shutdown(self, signal: Any = None) -> None:
            self.stopped = True

    controllers = []
    for i in range(count):

        def read(self: Any, i: int = i) -> dict[str, int]:
            return {"controller": i}

        cls = type(f"C{i}", (), {"read": Get("/")(read)})
        controllers.append(Controller(f"/c{i}")(cls))
    return Module(providers=[Counter], controllers=controllers, exports=[Counter])(
        type("ManyControllersModule", (), {})
    )


@pytest.mark.parametrize("cache", [True, False], ids=["cache-on", "cache-off"])
def test_an_app_of_hundreds_of_controllers_starts_serves_and_stops(cache: bool) -> None:
    app_module = _many_controllers(CONTROLLERS)
    builder = Test.create_testing_module(imports=[app_module]).use_blueprint_cache(cache)
    with builder.compile() as module:
        assert module.client.get(f"/c{CONTROLLERS - 1}/").json() == {"controller": CONTROLLERS - 1}
        counter = module.get(app_module.providers[0])  # type: ignore[attr-defined]
    assert counter.stopped  # PyNest's shutdown, run from the app's lifespan


def test_a_router_whose_lifespan_does_something_is_merged_as_fastapi_does() -> None:
    events: list[str] = []
    app = FastAPI()
    router = APIRouter(on_startup=[lambda: events.append("router startup")])
    include_router(app, router)
    quiet = APIRouter()
    before = app.router.lifespan_context
    include_router(app, quiet)
    assert app.router.lifespan_context is before  # nothing to run: not nested
    with TestClient(app):
        pass
    # FastAPI copies the handler into the app and also runs the router's own lifespan.
    assert events == ["router startup", "router startup"]


DEPTH = 200


def _chain(depth: int, *, failing_at: int | None = None) -> tuple[type, list[type]]:
    chain: list[type] = []
    for level in range(depth):
        below = chain[-1] if chain else None

        def init(self: Any, *args: Any, level: int = level) -> None:
            if level == failing_at:
                raise RuntimeError(f"level {level} is broken")
            self.below = args[0] if args else None

        if below is not None:
            exec_globals: dict[str, Any] = {"Below": below, "init": init}
            exec("def __init__(self, below: Below) -> None:\n    init(self, below)", exec_globals)
            constructor = exec_globals["__init__"]
        else:

            def constructor(self: Any) -> None:
                init(self)

        chain.append(Injectable(type(f"L{level:03d}", (), {"__init__": constructor})))
    module = Module(providers=list(reversed(chain)), exports=[chain[-1]])(
        type("ChainModule", (), {})
    )
    return module, chain


@pytest.mark.parametrize("cache", [True, False], ids=["cache-on", "cache-off"])
def test_a_lazy_get_builds_a_chain_deeper_than_the_recursion_limit_allows(cache: bool) -> None:
    module_cls, chain = _chain(DEPTH)
    builder = Test.create_testing_module(imports=[module_cls]).use_blueprint_cache(cache)
    with builder.lazy().compile() as module:
        top = module.get(chain[-1])
        node, depth = top, 0
        while node.below is not None:
            node, depth = node.below, depth + 1
        assert depth == DEPTH - 1
        assert node is module.get(chain[0])
        assert all(module.constructions[cls] == 1 for cls in chain)
        module.assert_singleton(chain[DEPTH // 2])


def test_a_failure_deep_in_a_lazy_chain_names_the_whole_path() -> None:
    module_cls, chain = _chain(DEPTH, failing_at=3)
    builder = Test.create_testing_module(imports=[module_cls]).lazy()
    with (
        builder.compile() as module,
        pytest.raises(ProviderConstructionError, match="level 3 is broken") as caught,
    ):
        module.get(chain[-1])
    path = caught.value.path
    assert path[-1] == "L003"
    assert path[:3] == ("ChainModule", "L199", "L198")
    assert path[-2] == "L004"
    assert len(path) == DEPTH - 3 + 1  # the module, L199 down to L003


def test_constructor_plans_and_hook_answers_live_and_die_with_their_class() -> None:
    @Injectable
    class Dependency:
        pass

    @Injectable
    class Planned:
        def __init__(self, dependency: Dependency) -> None:
            super().__init__()  # a __class__ cell: the function refers to the class
            self.dependency = dependency

    assert needed(Planned, Planned.__init__) == {"dependency": Dependency}
    assert not class_defines_hooks(Planned)
    assert Planned in _PLANS
    assert Planned in _HOOKS
    assert not any("nest_testing" in name or "plan" in name for name in vars(Planned))

    def replaced(self: Any) -> None:
        pass

    Planned.__init__ = replaced  # type: ignore[method-assign]
    assert needed(Planned, Planned.__init__) == {}  # planned again
    gone = weakref.ref(Planned)
    del Planned
    gc.collect()
    assert gone() is None


def test_a_bounded_cache_grows_to_the_app_it_holds() -> None:
    seen: LRU[int, int] = LRU(2)
    seen.fit(3)
    assert [seen.put(i, i) for i in range(3)] == [[], [], []]
    seen.fit(1)  # never shrinks
    assert seen.put(3, 3) == [0]


@Injectable
class _RecordsTheCollector:
    def __init__(self) -> None:
        self.enabled_while_built = gc.isenabled()


@Injectable
class _FailsToStart:
    def on_module_init(self) -> None:
        raise RuntimeError("no start")


@pytest.mark.parametrize("enabled", [True, False], ids=["gc-on", "gc-off"])
def test_the_collector_is_paused_in_a_compile_and_left_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        builder = Test.create_testing_module(providers=[_RecordsTheCollector])
        with builder.compile() as module:
            assert gc.isenabled() is enabled
            assert module.get(_RecordsTheCollector).enabled_while_built is False
        with pytest.raises(Exception, match="no start"):
            Test.create_testing_module(providers=[_FailsToStart]).compile()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.asyncio
async def test_the_collector_is_paused_in_an_async_compile_and_restored() -> None:
    assert gc.isenabled()
    module = await Test.create_testing_module(providers=[_RecordsTheCollector]).compile_async()
    try:
        assert gc.isenabled()
        assert module.get(_RecordsTheCollector).enabled_while_built is False
    finally:
        await module.aclose()

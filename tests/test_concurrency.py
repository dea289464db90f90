"""Many threads, one testing module: counts stay exact, singletons stay single."""

from concurrent.futures import ThreadPoolExecutor

from nt_sample_app import AppModule, Audit, ConfigService, ItemController, ItemService, Logger

from nest_testing import Test

THREADS = 8
REQUESTS = 50


def test_eight_threads_fifty_requests_each() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        client = module.client

        def hammer(worker: int) -> list[int]:
            statuses = []
            for n in range(REQUESTS):
                path = "/items/audit" if (worker + n) % 2 else "/items"
                statuses.append(client.get(path).status_code)
            return statuses

        with module.track_constructions() as delta, ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(hammer, range(THREADS)))

        assert all(status == 200 for statuses in results for status in statuses)
        assert delta == {Audit: THREADS * REQUESTS // 2}  # one per audit request, exactly
        for token in (ConfigService, Logger, ItemService, ItemController):
            module.assert_singleton(token)
        assert len(module.get(Logger).lines) == THREADS * REQUESTS // 2
        assert module.constructions.by_phase["request"] == {Audit: THREADS * REQUESTS // 2}


def test_modules_compiled_concurrently_are_independent() -> None:
    def build_and_use(n: int) -> tuple[int, int]:
        with Test.create_testing_module(imports=[AppModule]).compile() as module:
            for _ in range(n):
                module.client.get("/items")
            return len(module.get(Logger).lines), module.constructions[Logger]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(build_and_use, [1, 2, 3, 4, 5, 6]))
    assert results == [(n, 1) for n in [1, 2, 3, 4, 5, 6]]

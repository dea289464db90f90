"""Which plugin runs a test's coroutine (nest_testing._plugin_loops), for the versions of
pytest-asyncio an installed environment may have."""

from types import SimpleNamespace
from typing import Any

import pytest

from nest_testing._plugin_loops import loop_runner, runs_on_pytest_asyncio


class Item:
    """A test item with the markers given, as pytest-asyncio sees it."""

    nodeid = "test_x.py::test_it"
    obj: Any = None
    fixturenames: tuple[str, ...] = ()

    def __init__(self, *markers: str) -> None:
        self._markers = markers

    def get_closest_marker(self, name: str) -> Any:
        return SimpleNamespace(name=name) if name in self._markers else None


def plugin(version: str, *, is_async_test: bool = True) -> SimpleNamespace:
    return SimpleNamespace(__version__=version, is_async_test=lambda item: is_async_test)


@pytest.mark.parametrize("version", ["1.0.0", "1.4.2", "2.0.0"])
@pytest.mark.parametrize("runs", [True, False])
def test_pytest_asyncio_1_and_later_says_itself_which_tests_it_runs(
    version: str, runs: bool
) -> None:
    assert runs_on_pytest_asyncio(Item(), plugin(version, is_async_test=runs)) is runs


def test_an_older_pytest_asyncio_is_one_line_for_the_tests_it_would_run() -> None:
    old = plugin("0.23.8")
    assert runs_on_pytest_asyncio(Item(), old) is False  # not an asyncio test: no matter
    with pytest.raises(
        pytest.fail.Exception, match=r"run by pytest-asyncio 0\.23\.8.*>= 1\.0"
    ) as info:
        runs_on_pytest_asyncio(Item("asyncio"), old)
    assert info.value.pytrace is False  # the line alone, no traceback of ours


class Request:
    """What loop_runner reads of a fixture request: the test item and the plugins."""

    def __init__(self, item: Any, *plugins: str) -> None:
        self.node = item
        self.config = SimpleNamespace(
            pluginmanager=SimpleNamespace(has_plugin=lambda name: name in plugins)
        )


def a_test_item(function: Any, *markers: str, fixtures: tuple[str, ...] = ()) -> Item:
    item = Item(*markers)
    item.obj = function
    item.fixturenames = fixtures
    return item


async def coroutine_test() -> None:
    pass


def sync_test() -> None:
    pass


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (a_test_item(sync_test, "anyio", fixtures=("anyio_backend",)), None),
        (a_test_item(coroutine_test, "anyio", fixtures=("anyio_backend",)), "anyio"),
        (a_test_item(coroutine_test, "anyio"), None),  # no backend: anyio does not run it
        (a_test_item(coroutine_test, fixtures=("anyio_backend",)), None),  # not marked
    ],
    ids=["sync", "anyio", "anyio-without-backend", "backend-without-marker"],
)
def test_an_anyio_test_without_pytest_asyncio_runs_on_anyios_loop(
    item: Item, expected: str | None
) -> None:
    assert loop_runner(Request(item)) == expected  # type: ignore[arg-type]  # a stand-in

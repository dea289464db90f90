"""Which plugin runs a test's coroutine (nest_testing._plugin_loops), for the versions of
pytest-asyncio an installed environment may have."""

from types import SimpleNamespace
from typing import Any

import pytest

from nest_testing._plugin_loops import runs_on_pytest_asyncio


class Item:
    """A test item with the markers given, as pytest-asyncio sees it."""

    nodeid = "test_x.py::test_it"

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

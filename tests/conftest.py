"""Shared configuration for nest-testing's own suite."""

import gc
import warnings
from collections.abc import Iterator
from importlib.metadata import version

import fuzz_apps  # noqa: F401  # registers hypothesis profiles before --hypothesis-profile is read
import pytest

# pytest-asyncio before 1.4 leaves event loops unclosed (the test extra asks for 1.4;
# .ci/run checks the plugin on 1.0.0 too). Their self-pipe sockets are reported as a
# ResourceWarning wherever the collector next runs, in another test or in a pytester
# session, which fails it. With such a pytest-asyncio, they are collected after each test,
# quietly; with 1.4 and later nothing is ignored.
_LEAKY_PYTEST_ASYNCIO = tuple(int(p) for p in version("pytest-asyncio").split(".")[:2]) < (1, 4)

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _old_pytest_asyncios_loops_collected() -> Iterator[None]:
    yield
    if _LEAKY_PYTEST_ASYNCIO:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@pytest.fixture(autouse=True)
def _inner_runs_print_as_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest prints the short test summary in full when CI is set (as .ci/run sets it);
    the pytester sessions these tests inspect must print the same everywhere."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)

"""Which plugin runs a test's coroutine, so that `nest_app` lives on that very loop.

Asked by the plugin's fixtures (and the database fixtures) per test: pytest-asyncio's
own test items, or an `@pytest.mark.anyio` test, not merely which plugins are installed.
Imports nothing but pytest at import time (the plugin loads lazily).
"""

from __future__ import annotations

import inspect
from typing import Any, Literal

import pytest


def loop_runner(request: pytest.FixtureRequest) -> Literal["asyncio", "anyio"] | None:
    """Which plugin runs the test's coroutine, so that its module lives on that loop: not
    which plugins are installed (an `@pytest.mark.anyio` test beside pytest-asyncio)."""
    item = request.node
    if not inspect.iscoroutinefunction(getattr(item, "obj", None)):
        return None
    if request.config.pluginmanager.has_plugin("asyncio"):
        import pytest_asyncio

        if runs_on_pytest_asyncio(item, pytest_asyncio):
            return "asyncio"
    if item.get_closest_marker("anyio") is not None and "anyio_backend" in item.fixturenames:
        return "anyio"
    return None


def runs_on_pytest_asyncio(item: pytest.Item, pytest_asyncio: Any) -> bool:
    version = getattr(pytest_asyncio, "__version__", "0")
    if int(version.split(".")[0]) >= 1:
        return bool(pytest_asyncio.is_async_test(item))
    if item.get_closest_marker("asyncio") is None:
        return False
    pytest.fail(
        f"nest-testing: {item.nodeid} is run by pytest-asyncio {version}; nest_app and "
        "nest_async_client need pytest-asyncio >= 1.0 (pip install 'pytest-asyncio>=1.0').",
        pytrace=False,
    )

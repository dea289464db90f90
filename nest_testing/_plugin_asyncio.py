"""The pytest plugin's fixtures for tests that pytest-asyncio runs.

`plugin.py` registers this module only when pytest-asyncio >= 1.0 is active, so that
the plugin itself never imports pytest-asyncio. Like the plugin, it imports nothing of
FastAPI, PyNest or nest_testing's internals at the top.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest_asyncio

if TYPE_CHECKING:
    from nest_testing._builder import TestingModuleBuilder
    from nest_testing._testing_module import TestingModule


@pytest_asyncio.fixture
async def _nest_app_on_asyncio_loop(
    nest_builder: TestingModuleBuilder,
) -> AsyncIterator[TestingModule]:
    module = await nest_builder.compile_async()
    try:
        yield module
    finally:
        await module.aclose()


@pytest_asyncio.fixture
async def _nest_async_client_on_asyncio_loop(nest_app: TestingModule) -> AsyncIterator[Any]:
    async with nest_app.async_client() as client:
        yield client

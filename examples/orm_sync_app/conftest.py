"""Makes the deployed app findable however the suite is started (see
examples/orm_async_app/conftest.py)."""

import pytest
from nest.core.pynest_application import PyNestApp
from orm_sync_app.app_module import app
from orm_sync_app.config import config


@pytest.fixture
def nest_app_module() -> PyNestApp:
    return app


@pytest.fixture
def nest_db_config() -> object:
    """The provider nest_app swaps for a test database (pyproject's `nest_database`)."""
    return config

"""Makes the deployed app findable however the suite is started (see
examples/orm_async_app/conftest.py)."""

import pytest
from nest.core.pynest_application import PyNestApp
from orm_sync_app.app_module import app


@pytest.fixture
def nest_app_module() -> PyNestApp:
    return app

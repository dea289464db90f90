"""Names the CLI app's module class however the suite is started (see
examples/orm_async_app/conftest.py). A CLI app has no PyNestApp to name."""

import pytest
from cli_app.app_module import AppModule


@pytest.fixture
def nest_app_module() -> type:
    return AppModule

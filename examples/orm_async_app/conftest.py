"""Makes the deployed app findable however the suite is started.

From this directory, pyproject.toml sets ``nest_app_module =
"orm_async_app.app_module:app"`` (in an app PyNest generated: ``"src.app_module:app"``).
From the repository root, pytest reads the root pyproject.toml, which serves several
example apps; this fixture names the same deployed app for every test under here.
"""

import pytest
from nest.core.pynest_application import PyNestApp
from orm_async_app.app_module import app
from orm_async_app.config import config


@pytest.fixture
def nest_app_module() -> PyNestApp:
    return app


@pytest.fixture
def nest_db_config() -> object:
    """The provider nest_app swaps for a test database (pyproject's `nest_database`)."""
    return config

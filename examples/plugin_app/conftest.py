"""Makes the app findable however the suite is started.

From this directory, pyproject.toml sets
``nest_app_module = "seed_depends_app.app_module:AppModule"`` and that alone configures
the plugin. From the repository root, pytest reads the root pyproject.toml instead, where
``nest_app_module`` is not set (it serves several example apps). Overriding the
``nest_app_module`` fixture here names the same class for every test under this
directory, so both ways of running build the same app.
"""

import pytest
from seed_depends_app import AppModule


@pytest.fixture
def nest_app_module() -> type:
    return AppModule

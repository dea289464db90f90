"""Additions every test in this directory gets on top of its markers."""

import pytest
from seed_depends_app import ItemService

from nest_testing import TestingModuleBuilder  # for typing only


@pytest.fixture
def nest_builder(nest_builder: TestingModuleBuilder) -> TestingModuleBuilder:
    # The real ItemService, wrapped in a spy: nest_app.spies[ItemService] records its calls.
    return nest_builder.spy_provider(ItemService)

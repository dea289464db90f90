"""``nest_app.graph``: who injects whom, with doubles marked."""

import pytest
from seed_depends_app import ConfigService, ItemController, ItemService, Logger

from nest_testing import TestingModule  # for typing only


def test_the_seed_chain(nest_app: TestingModule) -> None:
    graph = nest_app.graph
    assert graph.dependencies(ItemController) == [ItemService]
    assert graph.dependencies(ItemService) == [Logger]
    assert graph.dependencies(Logger) == [ConfigService]
    assert graph.dependents(Logger) == [ItemService]
    assert graph.node(ItemController).kind == "controller"
    assert graph.node(Logger).module == "AppModule"


@pytest.mark.nest_mock.with_args(ConfigService)
def test_doubles_are_marked(nest_app: TestingModule) -> None:
    graph = nest_app.graph
    assert graph.node(ConfigService).status == "mocked"
    assert graph.node(ItemService).status == "spied"  # the conftest's spy
    assert graph.node(Logger).status == "real"
    assert "ItemService (spied)" in graph.to_mermaid()

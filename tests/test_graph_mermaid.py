"""`module.graph.to_mermaid()`: the picture users paste into docs and reviews."""

import pytest
from nest.core import Injectable, Module
from nt_sample_app import ItemController, ItemModule, ItemService, Logger, RequestContext

from nest_testing import Test, UnknownTokenError

EXPECTED = """\
flowchart LR
  subgraph m0["CoreModule"]
    n0["ConfigService"]
    n1["Logger (mocked)"]
    n2["InjectionToken('DB_URL')"]
    n3["'greeting'"]
    n4["RequestContext (overridden)"]
  end
  subgraph m1["ItemModule"]
    n5["ItemService (spied)"]
    n6(["ItemController"])
  end
  m1 -. imports .-> m0
  n2 --> n0
  n5 --> n1
  n6 --> n5
  n6 --> n1
  classDef overridden fill:#fff3cd,stroke:#b58900
  class n4 overridden
  classDef mocked fill:#e2e3ff,stroke:#4b4bb5
  class n1 mocked
  classDef spied fill:#d4f5e9,stroke:#2a8a62
  class n5 spied
"""


def test_mermaid_has_modules_imports_edges_and_one_style_per_double() -> None:
    builder = Test.create_testing_module(imports=[ItemModule])
    builder.override_provider(RequestContext).use_value(object())
    builder.mock_provider(Logger)
    builder.spy_provider(ItemService)
    with builder.compile() as module:
        assert module.graph.to_mermaid() == EXPECTED
        assert module.graph.dependencies(ItemService) == [Logger]
        assert module.graph.dependents(Logger) == [ItemService, ItemController]


def test_mermaid_without_doubles_has_no_styles() -> None:
    with Test.create_testing_module(imports=[ItemModule]).compile() as module:
        drawn = module.graph.to_mermaid()
    assert "classDef" not in drawn
    assert "  n2 --> n0\n" in drawn  # the DB_URL factory injects ConfigService
    assert '    n1["Logger"]\n' in drawn


def test_an_alias_depends_on_what_it_points_to() -> None:
    @Module(providers=[Logger, {"provide": "log", "useExisting": Logger}])
    class AliasModule:
        pass

    with Test.create_testing_module(imports=[AliasModule]).compile() as module:
        assert module.graph.dependencies("log") == [Logger]
        assert module.graph.dependents(Logger) == ["log"]
        assert "  n1 --> n0\n" in module.graph.to_mermaid()


class Clock:
    """Registered nowhere: built implicitly, outside every module's box."""


def test_an_implicit_class_is_drawn_outside_the_modules_and_marked() -> None:
    @Injectable
    class Stamper:
        def __init__(self, clock: Clock) -> None:
            self.clock = clock

    @Module(providers=[Stamper])
    class StampModule:
        pass

    with Test.create_testing_module(imports=[StampModule]).compile() as module:
        drawn = module.graph.to_mermaid()
    assert drawn.splitlines()[:7] == [
        "flowchart LR",
        '  subgraph m0["StampModule"]',
        '    n0["Stamper"]',
        "  end",
        '  n1["Clock (implicit)"]:::implicit',
        "  n0 --> n1",
        "  classDef implicit fill:#f8d7da,stroke:#b02a37,stroke-dasharray:4",
    ]


class NotInTheApp:
    pass


@pytest.mark.parametrize("ask", ["node", "dependencies", "dependents"])
def test_asking_the_graph_about_a_token_it_lacks_names_the_token(ask: str) -> None:
    # Not an empty list, which would read as "nothing depends on it".
    with Test.create_testing_module(imports=[ItemModule]).compile() as module:
        graph = module.graph
    with pytest.raises(UnknownTokenError, match="NotInTheApp is not in this testing"):
        getattr(graph, ask)(NotInTheApp)

"""`module.graph.to_mermaid()`: the picture users paste into docs and reviews."""

from nt_sample_app import ItemController, ItemModule, ItemService, Logger, RequestContext

from nest_testing import Test

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

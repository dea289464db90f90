"""The dependency graphs the docs draw are the graphs the toolkit computes.

A ```mermaid (drawn by the site) or ```text block whose line above is
``<!-- graph: NAME -->`` must be ``module.graph.to_mermaid()`` of the testing module
that ``GRAPHS[NAME]`` builds, or, for ``nest-graph-option``, the file ``--nest-graph``
writes in a real inner pytest session. See ``generated_blocks.py`` for how to rewrite
them after a change that is meant to show.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import datetime, timezone

import pytest
import seed_app
import seed_depends_app
from doubles_app import AppModule as SignupAppModule
from doubles_app import Clock, EmailService, UserRepository
from generated_blocks import GeneratedBlock, generated_blocks, rewrite, writing

from nest_testing import Test, TestingModuleBuilder

pytest_plugins = ["pytester"]


class FrozenClock(Clock):
    def now(self) -> datetime:
        return datetime(2025, 1, 1, tzinfo=timezone.utc)


GRAPHS: dict[str, Callable[[], TestingModuleBuilder]] = {
    # The article's module as published: ItemService and ConfigService are implicit.
    "seed_app": lambda: Test.create_testing_module(imports=[seed_app.AppModule]),
    "seed_app-wired": lambda: Test.create_testing_module(imports=[seed_app.WiredAppModule]),
    "seed_depends_app": lambda: Test.create_testing_module(imports=[seed_depends_app.AppModule]),
    # What examples/plugin_app's tests get: its conftest spies on ItemService.
    "plugin_app": lambda: Test.create_testing_module(
        imports=[seed_depends_app.AppModule]
    ).spy_provider(seed_depends_app.ItemService),
    "doubles_app": lambda: Test.create_testing_module(imports=[SignupAppModule]),
    "doubles_app-with-doubles": lambda: (
        Test.create_testing_module(imports=[SignupAppModule])
        .mock_provider(EmailService)
        .spy_provider(UserRepository)
        .override_provider(Clock, FrozenClock)
    ),
}


def nest_graph_option(pytester: pytest.Pytester) -> str:
    """What ``pytest --nest-graph=graph.mmd`` writes for seed_depends_app."""
    pytester.makeini(
        "[pytest]\nnest_app_module = seed_depends_app.app_module:AppModule\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "--nest-graph=g")
    result.assert_outcomes(passed=1)
    return (pytester.path / "g").read_text(encoding="utf-8")


def _drawn(name: str, pytester: pytest.Pytester) -> str:
    if name == "nest-graph-option":
        return nest_graph_option(pytester)
    with GRAPHS[name]().compile() as module:
        return module.graph.to_mermaid()


BLOCKS = generated_blocks("graph")


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.where} {b.name}" for b in BLOCKS])
def test_pictured_graph_is_the_computed_graph(
    block: GeneratedBlock, pytester: pytest.Pytester
) -> None:
    assert block.info in ("mermaid", "text"), (
        f"{block.where}: <!-- graph: {block.name} --> must be directly above a ```mermaid "
        "(or ```text) fence."
    )
    assert block.name in {*GRAPHS, "nest-graph-option"}, (
        f"{block.where}: no graph named {block.name!r}; known: {', '.join(GRAPHS)}, "
        "nest-graph-option."
    )
    actual = _drawn(block.name, pytester).rstrip("\n")
    if writing():
        rewrite(block, actual)
        return
    assert block.text == actual, (
        f"{block.where}: the pictured graph is not the app's graph now. Rewrite it with "
        "NEST_TESTING_WRITE_DOCS=1 if the change is meant:\n"
        + "\n".join(
            difflib.unified_diff(
                block.text.splitlines(), actual.splitlines(), "docs", "graph", lineterm=""
            )
        )
    )


def test_every_graph_is_pictured() -> None:
    shown = {block.name for block in BLOCKS}
    missing = {*GRAPHS, "nest-graph-option"} - shown
    assert not missing, f"graphs no page pictures: {sorted(missing)}"


def test_doubles_are_coloured() -> None:
    with GRAPHS["doubles_app-with-doubles"]().compile() as module:
        drawn = module.graph.to_mermaid()
    for status in ("mocked", "spied", "overridden"):
        assert f"classDef {status} " in drawn

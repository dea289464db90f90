"""The plugin and deployed apps: ``nest_app_module = "src.app_module:app"`` and the
``nest_override_dependency`` marker, in real inner sessions (pytester)."""

from __future__ import annotations

import pytest
from test_plugin import ini

pytest_plugins = ["pytester"]

APP_MODULE = """
from fastapi import Depends
from nest.core import Controller, Get, Module, PyNestFactory

from .config import config


@Controller("items", tag="items")
class ItemController:
    @Get("/")
    def items(self, db: str = Depends(config.get_db)):
        return {"db": db}


@Module(controllers=[ItemController])
class AppModule:
    pass


app = PyNestFactory.create(AppModule, title="Deployed Items", version="2.0.0", debug=True)
http_server = app.get_server()
cli = object()


@http_server.get("/health")
def health():
    return {"ok": True}
"""

CONFIG = """
class Config:
    def get_db(self):
        return "production-db"


config = Config()
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """An inner project laid out as ``nest generate application`` lays it out."""
    pytester.mkpydir("src")
    (pytester.path / "src" / "app_module.py").write_text(APP_MODULE)
    (pytester.path / "src" / "config.py").write_text(CONFIG)
    pytester.makeini(ini("nest_app_module = src.app_module:app"))
    pytester.syspathinsert()
    return pytester


def test_an_app_spec_means_test_from_app(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        def test_it(nest_app, nest_client):
            assert nest_client.get("/openapi.json").json()["info"]["title"] == "Deployed Items"
            assert nest_client.get("/health").json() == {"ok": True}
            assert nest_client.get("/items").json() == {"db": "production-db"}
            assert nest_app.http_server.debug is True
        """
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_the_override_dependency_marker_closest_wins(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest
        from src.config import config

        pytestmark = pytest.mark.nest_override_dependency(config.get_db, lambda: "module-db")

        def test_module_marker(nest_client):
            assert nest_client.get("/items").json() == {"db": "module-db"}

        @pytest.mark.nest_override_dependency(config.get_db, lambda: "test-db")
        def test_closest_marker(nest_client):
            assert nest_client.get("/items").json() == {"db": "test-db"}
        """
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    "arguments",
    [
        '(config.get_db, replacement=lambda: "x")',
        ".with_args(config.get_db)",  # one callable alone would be the decorated function
        '(config.get_db, lambda: "x", x=1)',
    ],
)
def test_a_bad_override_dependency_marker_says_the_form(
    project: pytest.Pytester, arguments: str
) -> None:
    project.makepyfile(
        f"""
        import pytest
        from src.config import config

        @pytest.mark.nest_override_dependency{arguments}
        def test_it(nest_app):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*expected nest_override_dependency(dependency, replacement).*"])


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makeini(ini())
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.nest_override_dependency(dependency, replacement)" in markers


def test_a_spec_naming_something_else_says_what_it_found(project: pytest.Pytester) -> None:
    project.makeini(ini("nest_app_module = src.app_module:http_server"))
    project.makepyfile("def test_it(nest_app):\n    pass\n")
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "http_server is <fastapi.applications.FastAPI object" in output
    assert "a fastapi.applications.FastAPI; expected a PyNest @Module class" in output
    assert "or the PyNestApp that PyNestFactory.create(AppModule, ...) returned" in output


def test_the_fixture_may_return_the_app(project: pytest.Pytester) -> None:
    project.makeini(ini())
    project.makeconftest(
        """
        import pytest
        from src.app_module import app

        @pytest.fixture
        def nest_app_module():
            return app
        """
    )
    project.makepyfile(
        """
        def test_it(nest_client):
            assert nest_client.get("/health").json() == {"ok": True}
        """
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_the_graph_option_draws_a_deployed_app(project: pytest.Pytester) -> None:
    project.makepyfile("def test_it():\n    pass\n")
    graph = project.path / "graph.mmd"
    project.runpytest(f"--nest-graph={graph}").assert_outcomes(passed=1)
    assert "ItemController" in graph.read_text()

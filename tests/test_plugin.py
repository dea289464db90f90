"""The pytest plugin, tested the way pytest plugins are: real inner sessions (pytester)."""

import re
import textwrap

import pytest

pytest_plugins = ["pytester"]

APP = """
import asyncio
import os

from fastapi import Depends
from nest.core import Controller, Get, Injectable, Module


@Injectable
class Config:
    pass


@Injectable
class Logger:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.lines = []

    def log(self, line):
        self.lines.append(line)


@Injectable
class Mailer:
    def send(self, to: str) -> bool:
        return True


@Injectable
class Lifecycle:
    def __init__(self) -> None:
        self.loop = None

    async def on_module_init(self) -> None:
        self.loop = asyncio.get_running_loop()

    def on_application_shutdown(self, signal=None) -> None:
        with open(os.environ["SHUTDOWN_LOG"], "a") as log:
            log.write("shutdown\\n")


class Stamp:  # built by FastAPI per request, Depends(Stamp): no provider of any module
    pass


@Controller("items")
class ItemController:
    def __init__(self, logger: Logger, mailer: Mailer, lifecycle: Lifecycle) -> None:
        self.logger = logger
        self.mailer = mailer
        self.lifecycle = lifecycle

    @Get("/")
    def items(self):
        self.logger.log("items")
        return {"logger": type(self.logger).__name__, "id": id(self.logger)}

    @Get("/audit")
    def audit(self, config: Config = Depends(Config)):
        return {"same": config is self.logger.config}

    @Get("/stamped")
    def stamped(self, stamp: Stamp = Depends(Stamp)):
        return {"stamped": True}

    @Get("/loop")
    async def loop(self):
        return {"same_loop": asyncio.get_running_loop() is self.lifecycle.loop}


@Module(controllers=[ItemController], providers=[Config, Logger, Mailer, Lifecycle])
class AppModule:
    pass


class NotAModule:
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An inner project: the app above, configured through the ini option."""
    pytester.makepyfile(myapp=APP)
    pytester.makeini(ini("nest_app_module = myapp:AppModule"))
    pytester.syspathinsert()
    monkeypatch.setenv("SHUTDOWN_LOG", str(pytester.path / "shutdown.log"))
    return pytester


def ini(*lines: str) -> str:
    """An inner ini file: warnings are errors, pytest-asyncio fully configured."""
    return "\n".join(
        [
            "[pytest]",
            "asyncio_default_fixture_loop_scope = function",
            "filterwarnings = error",
            *lines,
        ]
    )


def shutdowns(pytester: pytest.Pytester) -> int:
    log = pytester.path / "shutdown.log"
    return log.read_text().count("shutdown") if log.exists() else 0


def test_options_and_markers_are_registered(pytester: pytest.Pytester) -> None:
    pytester.makeini(ini())
    help_text = pytester.runpytest("--help").stdout.str()
    assert "--nest-strict-singletons" in help_text
    assert "--nest-graph=PATH" in help_text
    assert "nest_app_module" in help_text
    assert "nest_strict_singletons" in help_text
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.nest_override(token, replacement=None" in markers
    assert "@pytest.mark.nest_mock(token, **attrs)" in markers


def test_fixtures_serve_the_configured_app(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        from myapp import Logger

        def test_client(nest_app, nest_client):
            assert nest_client.get("/items").json()["logger"] == "Logger"
            nest_app.assert_singleton(Logger)
            assert nest_app.get(Logger).lines == ["items"]

        def test_builder_is_the_one_nest_app_compiles(nest_builder, nest_app):
            assert nest_app.get(Logger) is nest_app.get(Logger)
        """
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
    assert shutdowns(project) == 2


def test_fixture_override_of_nest_app_module(project: pytest.Pytester) -> None:
    project.makeini(ini())  # no nest_app_module: the conftest fixture decides
    project.makeconftest(
        """
        import pytest
        from myapp import AppModule

        @pytest.fixture
        def nest_app_module():
            return AppModule
        """
    )
    project.makepyfile(
        """
        def test_it(nest_client):
            assert nest_client.get("/items").status_code == 200
        """
    )
    project.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("myapp.AppModule", "expected 'package.module:AppModule'"),
        ("nosuchpkg:AppModule", "cannot import 'nosuchpkg'"),
        ("myapp:AppModul", "'myapp' has no attribute 'AppModul'. Did you mean: AppModule"),
        ("myapp:NotAModule", "NotAModule is not a PyNest @Module class"),
    ],
)
def test_bad_configuration_is_one_clear_line(
    project: pytest.Pytester, spec: str, message: str
) -> None:
    project.makeini(ini(f"nest_app_module = {spec}"))
    project.makepyfile("def test_it(nest_app):\n    pass\n")
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert message in output
    assert "plugin.py" not in output  # no traceback through the plugin
    assert "During handling" not in output


def test_missing_configuration_says_how_to_configure(project: pytest.Pytester) -> None:
    project.makeini(ini())
    project.makepyfile("def test_it(nest_app):\n    pass\n")
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no app configured. Set nest_app_module = *"])


def test_override_markers_closest_wins(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest
        from myapp import Logger

        class ModuleFake:
            def log(self, line): pass

        class ClassFake(ModuleFake):
            pass

        class FunctionFake(ModuleFake):
            pass

        pytestmark = pytest.mark.nest_override(Logger, ModuleFake)

        def test_module_level(nest_client):
            assert nest_client.get("/items").json()["logger"] == "ModuleFake"

        @pytest.mark.nest_override(Logger, ClassFake)
        class TestGroup:
            def test_class_level(self, nest_client):
                assert nest_client.get("/items").json()["logger"] == "ClassFake"

            @pytest.mark.nest_override(Logger, use_class=FunctionFake)
            def test_function_level(self, nest_client):
                assert nest_client.get("/items").json()["logger"] == "FunctionFake"

            @pytest.mark.nest_override(Logger, use_value=None)
            def test_none_value(self, nest_app):
                assert nest_app.get(Logger) is None
        """
    )
    project.runpytest().assert_outcomes(passed=4)


def test_mock_marker_and_conftest_additions(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
        import pytest
        from myapp import Config

        class FakeConfig:
            pass

        @pytest.fixture
        def nest_builder(nest_builder):
            return nest_builder.override_provider(Config, FakeConfig())
        """
    )
    project.makepyfile(
        """
        import pytest
        from myapp import Config, Mailer

        @pytest.mark.nest_mock(Mailer, **{"send.return_value": False})
        def test_mocked(nest_app):
            mailer = nest_app.mocks[Mailer]
            assert nest_app.get(Mailer) is mailer
            assert mailer.send("x") is False
            assert type(nest_app.get(Config)).__name__ == "FakeConfig"
        """
    )
    project.runpytest().assert_outcomes(passed=1)


def test_bad_marker_is_one_clear_line(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest
        from myapp import Logger

        @pytest.mark.nest_override(Logger, use_value=1, use_class=int)
        def test_it(nest_app):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.nest_override(<class 'myapp.Logger'>, use_value=1, use_class=<class *"]
    )
    assert "expected nest_override(token, replacement)" in result.stdout.str()


def test_a_nest_mock_marker_of_two_tokens_is_one_clear_line(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest
        from myapp import Logger, Mailer

        @pytest.mark.nest_mock(Logger, Mailer)
        def test_it(nest_app):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    assert "expected nest_mock(token, **attrs)" in result.stdout.str()


def test_every_module_is_closed_and_tests_are_isolated(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest
        from myapp import Logger

        @pytest.mark.parametrize("n", range(6))
        def test_fresh(nest_app, nest_client, n):
            nest_client.get("/items")
            assert nest_app.get(Logger).lines == ["items"]  # never another test's logger
            assert nest_app.constructions[Logger] == 1
            if n % 2:
                assert False, "fails on purpose"
        """
    )
    result = project.runpytest("-p", "randomly")
    result.assert_outcomes(passed=3, failed=3)
    assert shutdowns(project) == 6  # closed at teardown, failing tests included


def test_a_finished_tests_module_is_not_kept_alive(project: pytest.Pytester) -> None:
    # pytest keeps every item (and its stash) for the whole session; a module it held
    # would keep its app, container and instances alive until the session ends.
    project.makepyfile(
        """
        import gc
        import weakref

        REFS = []

        def test_a(nest_app, nest_client):
            nest_client.get("/items")
            REFS.append(weakref.ref(nest_app))

        def test_b():
            gc.collect()
            assert REFS and REFS[0]() is None, gc.get_referrers(REFS[0]())
        """
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_isolated_under_xdist(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest
        from myapp import Logger

        @pytest.mark.parametrize("n", range(8))
        def test_fresh(nest_app, nest_client, n):
            nest_client.get("/items")
            assert nest_app.get(Logger).lines == ["items"]
        """
    )
    result = project.runpytest_subprocess("-p", "xdist", "-n", "2", "-p", "randomly")
    result.assert_outcomes(passed=8)
    assert shutdowns(project) == 8


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_async_tests_get_a_module_on_their_own_loop(project: pytest.Pytester, mode: str) -> None:
    project.makepyfile(
        """
        import asyncio
        import pytest
        from myapp import Lifecycle

        @pytest.mark.asyncio
        async def test_on_the_test_loop(nest_app, nest_async_client):
            assert nest_app.get(Lifecycle).loop is asyncio.get_running_loop()
            response = await nest_async_client.get("/items/loop")
            assert response.json() == {"same_loop": True}

        def test_sync_tests_still_work(nest_client):
            assert nest_client.get("/items/loop").json() == {"same_loop": True}
        """
    )
    result = project.runpytest("-o", f"asyncio_mode={mode}")
    result.assert_outcomes(passed=2)
    assert shutdowns(project) == 2


def test_failure_report_shows_construction_counts(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest
        from myapp import Logger, Mailer

        @pytest.mark.nest_mock.with_args(Mailer)
        def test_fails(nest_app, nest_client):
            nest_client.get("/items/audit")
            nest_client.get("/items/stamped")
            assert False, "boom"

        def test_passes(nest_app):
            pass
        """
    )
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert output.count("nest-testing: construction counts") == 1
    section = output.split("nest-testing: construction counts")[1]
    assert re.search(r"Config\s+2\s+0\s+1\s+1\s+0", section)  # startup + Depends request
    assert re.search(r"Mailer \(mocked\)\s+0", section)
    assert re.search(r"Logger\s+1\s+0\s+1\s+0\s+0", section)
    assert re.search(r"Stamp\s+1\s+0\s+0\s+1\s+0", section)  # a Depends class, no provider


def test_strict_singletons_catches_per_request_construction(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        def test_audit(nest_client):
            for _ in range(2):
                nest_client.get("/items/audit")

        def test_items(nest_client):
            nest_client.get("/items")
        """
    )
    assert project.runpytest().ret == 0  # without the guard, both pass
    for args in (["--nest-strict-singletons"], ["-o", "nest_strict_singletons=true"]):
        result = project.runpytest(*args)
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(
            [
                "*test_audit*",
                "*Config is a singleton but was constructed 3 times:*",
                "*(startup, container)*",
                "*(request, Depends on GET /items/audit)*",
            ]
        )


def test_graph_option_writes_mermaid(project: pytest.Pytester) -> None:
    project.makepyfile("def test_nothing():\n    pass\n")
    target = project.path / "graph.mmd"
    project.runpytest(f"--nest-graph={target}").assert_outcomes(passed=1)
    graph = target.read_text()
    assert graph.startswith("flowchart LR")
    assert 'subgraph m0["AppModule"]' in graph
    assert re.search(r'n\d+\(\["ItemController"\]\)', graph)


def test_graph_option_with_a_bad_module_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeini(ini("nest_app_module = myapp:Nope"))
    result = project.runpytest(f"--nest-graph={project.path / 'g.mmd'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'myapp' has no attribute 'Nope'*"])


def test_module_graph_is_usable_in_tests(project: pytest.Pytester) -> None:
    project.makepyfile(
        textwrap.dedent(
            """
            import pytest
            from myapp import Config, ItemController, Logger, Mailer

            @pytest.mark.nest_mock.with_args(Mailer)
            def test_graph(nest_app):
                graph = nest_app.graph
                assert graph.node(Logger).module == "AppModule"
                assert graph.dependencies(Logger) == [Config]
                assert Logger in graph.dependencies(ItemController)
                assert graph.node(Mailer).status == "mocked"
                assert graph.node(ItemController).kind == "controller"
            """
        )
    )
    project.runpytest().assert_outcomes(passed=1)


def test_markers_beat_conftest_additions_to_nest_builder(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
        import pytest
        from myapp import Logger

        class ConftestLogger:
            def log(self, line): pass

        @pytest.fixture
        def nest_builder(nest_builder):
            return nest_builder.override_provider(Logger, ConftestLogger)
        """
    )
    project.makepyfile(
        """
        import pytest
        from myapp import Logger

        class MarkerLogger:
            def log(self, line): pass

        @pytest.mark.nest_override(Logger, MarkerLogger)
        def test_marker_wins(nest_client):
            assert nest_client.get("/items").json()["logger"] == "MarkerLogger"

        def test_conftest_applies_without_a_marker(nest_client):
            assert nest_client.get("/items").json()["logger"] == "ConftestLogger"
        """
    )
    project.runpytest().assert_outcomes(passed=2)


def test_a_test_swallowed_by_a_one_class_marker_is_reported(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        class Recorder:
            def __init__(self, target):
                self.target = target

        @pytest.mark.nest_mock(Recorder)
        def test_vanishes(nest_app):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_vanishes was replaced by a Recorder instance*"
            "*Write @pytest.mark.nest_mock.with_args(Recorder) instead.*"
        ]
    )


def test_nest_error_client_answers_server_errors_with_500(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        errorapp="""
        from nest.core import Controller, Get, Module


        @Controller("boom")
        class BoomController:
            @Get("/")
            def boom(self):
                raise RuntimeError("kaboom")


        @Module(controllers=[BoomController])
        class AppModule:
            pass
        """
    )
    pytester.makeini(ini("nest_app_module = errorapp:AppModule"))
    pytester.syspathinsert()
    pytester.makepyfile(
        """
        import pytest

        def test_error_client(nest_error_client, nest_client):
            assert nest_error_client.get("/boom").status_code == 500
            with pytest.raises(RuntimeError, match="kaboom"):
                nest_client.get("/boom")
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)

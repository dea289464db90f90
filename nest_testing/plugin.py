"""The pytest face of nest-testing, loaded through the ``pytest11`` entry point.

Configure the app once::

    [tool.pytest.ini_options]
    nest_app_module = "app.app_module:AppModule"

and use the fixtures, with nothing to import::

    @pytest.mark.nest_override(Logger, FakeLogger)
    def test_items(nest_app, nest_client):
        nest_client.get("/items")
        nest_app.assert_singleton(Logger)
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from nest.common.module import ModuleCompiler

from nest_testing._builder import Test, TestingModuleBuilder
from nest_testing._report import construction_report, singleton_violations
from nest_testing._testing_module import TestingModule
from nest_testing._tokens import did_you_mean

if TYPE_CHECKING:
    from starlette.testclient import TestClient

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised in an environment without it
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = [
    "nest_app",
    "nest_app_module",
    "nest_async_client",
    "nest_builder",
    "nest_client",
]

pytest_plugins = ["nest_testing._database_plugin"]  # nest_db marker, nest_db_session

_MODULE = pytest.StashKey[TestingModule]()
_GRAPH_WRITTEN = pytest.StashKey[bool]()
_OVERRIDE_FORMS = ("use_value", "use_class", "use_factory")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nest-testing", "nest-testing (PyNest testing modules)")
    group.addoption(
        "--nest-strict-singletons",
        action="store_true",
        default=False,
        help="fail a test when a singleton provider of nest_app was constructed more than "
        "once while it ran (ini: nest_strict_singletons)",
    )
    group.addoption(
        "--nest-graph",
        metavar="PATH",
        default=None,
        help="write the configured app's dependency graph, as Mermaid, to PATH",
    )
    parser.addini(
        "nest_app_module",
        "the PyNest root module the nest_app fixture builds, as 'package.module:AppModule'",
        default="",
    )
    parser.addini(
        "nest_strict_singletons",
        "fail a test when a singleton provider of nest_app was constructed more than once",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "nest_override(token, replacement=None, *, use_value=..., use_class=..., "
        "use_factory=..., inject=[...]): override a provider of nest_app, as "
        "builder.override_provider() does; the closest marker wins per token",
    )
    config.addinivalue_line(
        "markers",
        "nest_mock(token, **attrs): serve an autospec'd mock of a provider of nest_app, as "
        "builder.mock_provider() does; the closest marker wins per token",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    spec = session.config.getini("nest_app_module")
    if session.config.getoption("nest_graph") and spec:
        try:
            module_class = load_app_module(spec)
        except _ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        _write_graph(session.config, module_class)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    path = config.getoption("nest_graph")
    if path and not config.stash.get(_GRAPH_WRITTEN, False):
        terminalreporter.write_line(
            f"nest-testing: --nest-graph={path} was not written: no test configured an app "
            "(set nest_app_module, or use nest_app with a nest_app_module fixture)."
        )


def _write_graph(config: pytest.Config, module_class: type) -> None:
    path = config.getoption("nest_graph")
    if not path or config.stash.get(_GRAPH_WRITTEN, False):
        return
    # Registering the modules is enough to draw the graph; nothing is constructed.
    module = Test.create_testing_module(imports=[module_class])._prepare()
    Path(path).write_text(module.graph.to_mermaid(), encoding="utf-8")
    config.stash[_GRAPH_WRITTEN] = True


class _ConfigError(Exception):
    """A configuration mistake, reported as one line."""


def load_app_module(spec: str) -> type:
    """The module class named by ``'package.module:AppModule'``."""
    module_path, sep, attribute = spec.partition(":")
    if not (sep and module_path and attribute):
        raise _ConfigError(
            f"nest_app_module = {spec!r}: expected 'package.module:AppModule' (a module path, "
            "a colon, the class name)."
        )
    try:
        module = importlib.import_module(module_path)
    except ImportError as exc:
        raise _ConfigError(
            f"nest_app_module = {spec!r}: cannot import {module_path!r}: {exc}"
        ) from exc
    try:
        candidate = getattr(module, attribute)
    except AttributeError:
        names = [name for name in vars(module) if not name.startswith("_")]
        raise _ConfigError(
            f"nest_app_module = {spec!r}: {module_path!r} has no attribute {attribute!r}."
            + did_you_mean(attribute, names, render=str)
        ) from None
    if not (isinstance(candidate, type) and ModuleCompiler.has_module_metadata(candidate)):
        raise _ConfigError(
            f"nest_app_module = {spec!r}: {attribute} is not a PyNest @Module class."
        )
    return candidate


@pytest.fixture
def nest_app_module(pytestconfig: pytest.Config) -> type:
    """The root module ``nest_app`` builds: from the ``nest_app_module`` ini option.

    Override it in a conftest to choose the module in code::

        @pytest.fixture
        def nest_app_module():
            return AppModule
    """
    spec = pytestconfig.getini("nest_app_module")
    if not spec:
        pytest.fail(
            "nest-testing: no app configured. Set nest_app_module = "
            "'package.module:AppModule' in [tool.pytest.ini_options], or override the "
            "nest_app_module fixture.",
            pytrace=False,
        )
    try:
        return load_app_module(spec)
    except _ConfigError as exc:
        problem = str(exc)
    pytest.fail(f"nest-testing: {problem}", pytrace=False)  # outside `except`: one line


@pytest.fixture
def nest_builder(request: pytest.FixtureRequest, nest_app_module: type) -> TestingModuleBuilder:
    """The builder for the configured app, with the test's ``nest_override`` /
    ``nest_mock`` markers applied. Add more before ``nest_app`` compiles it::

        @pytest.fixture
        def nest_builder(nest_builder):
            return nest_builder.override_provider(Clock, FrozenClock)
    """
    if not (
        isinstance(nest_app_module, type) and ModuleCompiler.has_module_metadata(nest_app_module)
    ):
        pytest.fail(
            f"nest-testing: the nest_app_module fixture returned {nest_app_module!r}, which is "
            "not a PyNest @Module class.",
            pytrace=False,
        )
    _write_graph(request.config, nest_app_module)
    builder = Test.create_testing_module(imports=[nest_app_module])
    _apply_markers(builder, request.node)
    return builder


def _apply_markers(builder: TestingModuleBuilder, node: pytest.Item) -> None:
    markers = [m for m in node.iter_markers() if m.name in ("nest_override", "nest_mock")]
    for marker in reversed(markers):  # farthest first, so the closest marker wins per token
        _apply_marker(builder, marker)


def _apply_marker(builder: TestingModuleBuilder, marker: pytest.Mark) -> None:
    args, kwargs = marker.args, dict(marker.kwargs)
    if marker.name == "nest_mock":
        if len(args) != 1:
            _bad_marker(marker, "nest_mock(token, **attrs)")
        builder.mock_provider(args[0], **kwargs)
        return
    forms = [form for form in _OVERRIDE_FORMS if form in kwargs]
    if len(args) == 2 and not kwargs:
        builder.override_provider(args[0], args[1])
    elif len(args) == 1 and len(forms) == 1 and set(kwargs) <= {forms[0], "inject"}:
        step = builder.override_provider(args[0])
        if forms[0] == "use_value":
            step.use_value(kwargs["use_value"])
        elif forms[0] == "use_class":
            step.use_class(kwargs["use_class"])
        else:
            step.use_factory(kwargs["use_factory"], inject=kwargs.get("inject", ()))
    else:
        _bad_marker(
            marker,
            "nest_override(token, replacement) or nest_override(token, use_value=... | "
            "use_class=... | use_factory=..., inject=[...])",
        )


def _bad_marker(marker: pytest.Mark, form: str) -> None:
    shown = ", ".join([*map(repr, marker.args), *(f"{k}={v!r}" for k, v in marker.kwargs.items())])
    pytest.fail(
        f"nest-testing: @pytest.mark.{marker.name}({shown}): expected {form}.", pytrace=False
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """``@pytest.mark.nest_mock(SomeClass)`` (one class, no kwargs) makes pytest mark the
    class and call it with the test function: the test is silently replaced by an
    instance. Say so instead of letting the test vanish."""
    marks = getattr(type(obj), "pytestmark", None)
    if (
        name.startswith("test")
        and not inspect.isfunction(obj)
        and not inspect.isclass(obj)
        and isinstance(marks, list)
        and any(getattr(m, "name", None) in ("nest_mock", "nest_override") for m in marks)
    ):
        marker = next(m.name for m in marks if m.name in ("nest_mock", "nest_override"))
        cls = type(obj).__name__
        raise collector.CollectError(
            f"nest-testing: {name} was replaced by a {cls} instance: pytest applied "
            f"@pytest.mark.{marker}({cls}) to the class {cls}, because a marker called with "
            f"one class and nothing else decorates that class. Write "
            f"@pytest.mark.{marker}.with_args({cls}) instead."
        )


def _runs_on_asyncio(request: pytest.FixtureRequest) -> bool:
    """Whether the test is a coroutine that pytest-asyncio runs on its loop."""
    function = getattr(request.node, "obj", None)
    return (
        pytest_asyncio is not None
        and inspect.iscoroutinefunction(function)
        and request.config.pluginmanager.has_plugin("asyncio")
    )


@pytest.fixture
def nest_app(
    request: pytest.FixtureRequest, nest_builder: TestingModuleBuilder
) -> Iterator[TestingModule]:
    """The compiled testing module for this test, closed (shutdown hooks run) at teardown.

    In a sync test it is served on a loop of its own (use ``nest_client``); in an async
    test run by pytest-asyncio it is compiled on the test's loop (use
    ``nest_async_client``).

    Example::

        def test_logger_is_shared(nest_app, nest_client):
            nest_client.get("/items")
            nest_app.assert_singleton(Logger)
    """
    # Markers are closer to the test than any conftest fixture that extended nest_builder:
    # applied again, last, they win over those additions too.
    _apply_markers(nest_builder, request.node)
    from nest_testing._database_plugin import use_marked_database

    use_marked_database(nest_builder, request)  # @pytest.mark.nest_db / ini nest_database
    stash = request.node.stash
    try:
        if _runs_on_asyncio(request):  # compiled, and closed, on the test's loop
            module: TestingModule = request.getfixturevalue("_nest_app_on_test_loop")
            stash[_MODULE] = module
            yield module
            return
        with nest_builder.compile() as module:
            stash[_MODULE] = module
            yield module
    finally:
        # The report hooks have read it by now; an item kept for the whole session must
        # not keep the module (and its app) alive: 300 of them cost 40% of a suite's time.
        if _MODULE in stash:
            del stash[_MODULE]


@pytest.fixture
def nest_client(nest_app: TestingModule) -> TestClient:
    """``nest_app.client``: a started starlette ``TestClient`` on the module's loop.

    Example::

        def test_items(nest_client):
            assert nest_client.get("/items").status_code == 200
    """
    return nest_app.client


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def _nest_app_on_test_loop(
        nest_builder: TestingModuleBuilder,
    ) -> AsyncIterator[TestingModule]:
        module = await nest_builder.compile_async()
        try:
            yield module
        finally:
            await module.aclose()

    @pytest_asyncio.fixture
    async def nest_async_client(nest_app: TestingModule) -> AsyncIterator[Any]:
        """An ``httpx2.AsyncClient`` serving ``nest_app`` on the test's loop.

        Example::

            @pytest.mark.asyncio
            async def test_items(nest_async_client):
                assert (await nest_async_client.get("/items")).status_code == 200
        """
        async with nest_app.async_client() as client:
            yield client

else:  # pragma: no cover - exercised in an environment without pytest-asyncio

    @pytest.fixture
    def nest_async_client() -> Any:
        """Needs pytest-asyncio."""
        pytest.fail(
            "nest-testing: nest_async_client needs pytest-asyncio (pip install pytest-asyncio).",
            pytrace=False,
        )


def _strict_singletons(config: pytest.Config) -> bool:
    return bool(
        config.getoption("nest_strict_singletons") or config.getini("nest_strict_singletons")
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    module = item.stash.get(_MODULE, None)
    if module is None or report.when != "call":
        return report
    if report.passed and _strict_singletons(item.config):
        violations = singleton_violations(module)
        if violations:
            report.outcome = "failed"
            report.longrepr = (
                "nest-testing strict singletons (--nest-strict-singletons or "
                "nest_strict_singletons = true): singleton providers were constructed more "
                "than once during this test.\n\n" + "\n\n".join(violations)
            )
    if report.failed:
        report.sections.append(("nest-testing: construction counts", construction_report(module)))
    return report

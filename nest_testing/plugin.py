"""The pytest face of nest-testing, loaded through the `pytest11` entry point.

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

# Nothing of FastAPI, PyNest or nest_testing's internals is imported here: pytest loads
# this plugin in every session of every project that has nest-testing installed, and a
# session that never asks for a nest fixture must not pay for them (benchmarks/
# bench_startup.py). Import them inside the fixture or hook that needs them; types go
# under TYPE_CHECKING.
import contextlib
import importlib
import inspect
import re
import sys
import weakref
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from nest_testing._plugin_loops import loop_runner

if TYPE_CHECKING:
    from starlette.testclient import TestClient

    from nest_testing._builder import TestingModuleBuilder
    from nest_testing._loop_pool import LoopPool
    from nest_testing._testing_module import TestingModule

__all__ = [
    "nest_app",
    "nest_app_module",
    "nest_async_client",
    "nest_builder",
    "nest_client",
    "nest_error_client",
]

pytest_plugins = ["nest_testing._database_plugin"]  # nest_db marker, nest_db_session

#: PyNest modules the plugin has served, and the ledger serial at the end of the last test
#: that used each: a module shared by several tests is judged per test from there.
_SEEN = pytest.StashKey["weakref.WeakKeyDictionary[TestingModule, int]"]()
#: The ledger serial a test's window starts after (0: the module is the test's own).
_SINCE = pytest.StashKey[int]()

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
        "the app the nest_app fixture builds: 'package.module:AppModule' (a @Module class) "
        "or 'src.app_module:app' (the PyNestApp your app module deploys)",
        default="",
    )
    group.addoption(
        "--nest-hook-timeout",
        metavar="SECONDS",
        default=None,
        help="how long each lifecycle hook of nest_app may take, or 'none' (default 60; "
        "ini: nest_hook_timeout)",
    )
    parser.addini(
        "nest_hook_timeout",
        "seconds each lifecycle hook of nest_app may take, or 'none' for no limit (60)",
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
    config.addinivalue_line(
        "markers",
        "nest_override_dependency(dependency, replacement): replace a FastAPI Depends(...) "
        "of nest_app's routes, as builder.override_dependency() does; the closest marker "
        "wins per dependency",
    )
    config.stash[_SEEN] = weakref.WeakKeyDictionary()
    if _has_pytest_asyncio_1(config):
        from nest_testing import _plugin_asyncio

        config.pluginmanager.register(_plugin_asyncio, "nest_testing._plugin_asyncio")


def _has_pytest_asyncio_1(config: pytest.Config) -> bool:
    if not config.pluginmanager.has_plugin("asyncio"):
        return False
    import pytest_asyncio

    return int(getattr(pytest_asyncio, "__version__", "0").split(".")[0]) >= 1


def pytest_report_header(config: pytest.Config) -> str:
    from nest_testing import __version__

    app = config.getini("nest_app_module") or "unset"
    strict = "on" if _strict_singletons(config) else "off"
    return f"nest-testing {__version__}: app={app}, strict-singletons={strict}"


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


def _write_graph(config: pytest.Config, target: Any) -> None:
    path = config.getoption("nest_graph")
    if not path or config.stash.get(_GRAPH_WRITTEN, False):
        return
    from nest_testing._plugin_deployed import builder_for

    # Registering the modules is enough to draw the graph; nothing is constructed.
    module = builder_for(target)._prepare()
    Path(path).write_text(module.graph.to_mermaid(), encoding="utf-8")
    config.stash[_GRAPH_WRITTEN] = True


class _ConfigError(Exception):
    """A configuration mistake, reported as one line."""


def load_app_module(spec: str) -> Any:
    """The module class (or deployed `PyNestApp`) named by `'package.module:name'`."""
    from nest_testing._plugin_deployed import EXPECTED, found, is_app_target
    from nest_testing._tokens import did_you_mean

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
    if not is_app_target(candidate):
        raise _ConfigError(
            f"nest_app_module = {spec!r}: {attribute} is {found(candidate)}; expected {EXPECTED}."
        )
    return candidate


@pytest.fixture
def nest_app_module(pytestconfig: pytest.Config) -> Any:
    """The root module `nest_app` builds, or the deployed `PyNestApp` it builds from
    (`Test.from_app`): from the `nest_app_module` ini option.

    Override it in a conftest to choose the module in code::

        @pytest.fixture
        def nest_app_module():
            return AppModule   # or the app: `from src.app_module import app; return app`
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
def nest_builder(request: pytest.FixtureRequest, nest_app_module: Any) -> TestingModuleBuilder:
    """The builder for the configured app (`Test.from_app(app)` for a deployed
    `PyNestApp`), with the test's `nest_override` / `nest_mock` /
    `nest_override_dependency` markers applied. Add more before `nest_app` compiles it::

        @pytest.fixture
        def nest_builder(nest_builder):
            return nest_builder.override_provider(Clock, FrozenClock)
    """
    from nest_testing._plugin_deployed import EXPECTED, builder_for, described, is_app_target

    if not is_app_target(nest_app_module):
        pytest.fail(
            f"nest-testing: the nest_app_module fixture returned {nest_app_module!r}, which "
            f"{described(nest_app_module)}; expected {EXPECTED}.",
            pytrace=False,
        )
    _write_graph(request.config, nest_app_module)
    builder = builder_for(nest_app_module)
    timeout = _hook_timeout(request.config)
    if timeout is not _DEFAULT:
        builder.hook_timeout(timeout)
    _apply_markers(builder, request.node)
    return builder


_DEFAULT: Any = object()


def _hook_timeout(config: pytest.Config) -> Any:
    """`--nest-hook-timeout` / ini `nest_hook_timeout`: seconds, None, or the default."""
    raw = config.getoption("nest_hook_timeout") or config.getini("nest_hook_timeout")
    if not raw:
        return _DEFAULT
    if str(raw).strip().lower() == "none":
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise pytest.UsageError(
            f"nest-testing: nest_hook_timeout = {raw!r}: expected a number of seconds > 0, "
            "or 'none' for no limit."
        )
    return seconds


def _apply_markers(builder: TestingModuleBuilder, node: pytest.Item) -> None:
    from nest_testing.errors import NestTestingError

    names = ("nest_override", "nest_mock", "nest_override_dependency")
    markers = [m for m in node.iter_markers() if m.name in names]
    for marker in reversed(markers):  # farthest first, so the closest marker wins per token
        try:
            _apply_marker(builder, marker)
        except NestTestingError as exc:
            problem = f"{_shown(marker)}: {exc}"
        else:
            continue
        pytest.fail(f"nest-testing: {problem}", pytrace=False)  # outside `except`: one line


def _apply_marker(builder: TestingModuleBuilder, marker: pytest.Mark) -> None:
    args, kwargs = marker.args, dict(marker.kwargs)
    if marker.name == "nest_override_dependency":
        from nest_testing._plugin_deployed import apply_dependency_marker

        form = apply_dependency_marker(builder, marker)
        if form is not None:
            _bad_marker(marker, form)
        return
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


def _shown(marker: pytest.Mark) -> str:
    shown = ", ".join([*map(repr, marker.args), *(f"{k}={v!r}" for k, v in marker.kwargs.items())])
    return f"@pytest.mark.{marker.name}({shown})"


def _bad_marker(marker: pytest.Mark, form: str) -> None:
    pytest.fail(f"nest-testing: {_shown(marker)}: expected {form}.", pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """`@pytest.mark.nest_mock(SomeClass)` (one class, no kwargs) makes pytest mark the
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


_CLASS_MARKER = re.compile(r"@pytest\.mark\.(nest_mock|nest_override)\((\w+)\)\s*$", re.M)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A `@pytest.mark.nest_mock(SomeClass)` whose class takes no argument fails the
    test file's import (pytest decorated the class, then called it with the test
    function): say what happened instead of `SomeClass() takes no arguments`."""
    report = yield
    if not (report.failed and isinstance(collector, pytest.Module)):
        return report
    text = str(report.longrepr)
    try:
        source = collector.path.read_text(encoding="utf-8")
    except OSError:
        return report
    for marker, cls in _CLASS_MARKER.findall(source):
        if f"{cls}(" in text and "TypeError" in text:
            report.longrepr = (
                f"nest-testing: @pytest.mark.{marker}({cls}) in {collector.path.name} "
                f"decorated the class {cls} instead of marking the test: pytest treats a "
                "marker called with one class and nothing else as a decorator of that "
                f"class, and the test function was then passed to {cls}(...). Write "
                f"@pytest.mark.{marker}.with_args({cls}) instead.\n\n{text}"
            )
            break
    return report


@pytest.fixture
def nest_app(
    request: pytest.FixtureRequest, nest_builder: TestingModuleBuilder
) -> Iterator[TestingModule]:
    """The compiled testing module for this test, closed (shutdown hooks run) at teardown.

    In a sync test it is served on a loop of its own (use `nest_client`); in an async
    test run by pytest-asyncio or anyio it is compiled on the test's loop (use
    `nest_async_client`).

    Example:
        ```python
        def test_logger_is_shared(nest_app, nest_client):
            nest_client.get("/items")
            nest_app.assert_singleton(Logger)
        ```
    """
    # Markers are closer to the test than any conftest fixture that extended nest_builder:
    # applied again, last, they win over those additions too.
    _apply_markers(nest_builder, request.node)
    from nest_testing._database_plugin import use_marked_database

    use_marked_database(nest_builder, request)  # @pytest.mark.nest_db / ini nest_database
    runner = loop_runner(request)
    if runner is not None:  # compiled, and closed, on the test's loop
        yield request.getfixturevalue(f"_nest_app_on_{runner}_loop")
        return
    from nest_testing._loop_pool import lending

    with lending(_loop_pool(request.config)):  # one loop thread for the session's modules
        module = nest_builder.compile()
    with module:
        yield module


_LOOP_POOL = pytest.StashKey["LoopPool"]()


def _loop_pool(config: pytest.Config) -> LoopPool:
    pool = config.stash.get(_LOOP_POOL, None)
    if pool is None:
        from nest_testing._loop_pool import LoopPool

        pool = config.stash[_LOOP_POOL] = LoopPool()
    return pool


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_LOOP_POOL, None)
    if pool is not None:
        pool.close()


@pytest.fixture
def nest_client(nest_app: TestingModule) -> TestClient:
    """`nest_app.client`: a started starlette `TestClient` on the module's loop.

    Example:
        ```python
        def test_items(nest_client):
            assert nest_client.get("/items").status_code == 200
        ```
    """
    return nest_app.client


@pytest.fixture
def nest_error_client(nest_app: TestingModule) -> TestClient:
    """A second `TestClient` of `nest_app` that answers an unhandled exception with a
    500, as a deployed app does (`nest_app.client_for(raise_server_exceptions=False)`).

    Example:
        ```python
        def test_error_page(nest_error_client):
            assert nest_error_client.get("/boom").status_code == 500
        ```
    """
    return nest_app.client_for(raise_server_exceptions=False)


@pytest.fixture
def nest_async_client(request: pytest.FixtureRequest, nest_app: TestingModule) -> Any:
    """An `httpx2.AsyncClient` serving `nest_app` on the test's loop (async tests run by
    pytest-asyncio or anyio).

    Example:
        ```python
        @pytest.mark.asyncio
        async def test_items(nest_async_client):
            assert (await nest_async_client.get("/items")).status_code == 200
        ```
    """
    runner = loop_runner(request)
    if runner is None:
        pytest.fail(
            f"nest-testing: {request.node.nodeid} asks for nest_async_client, which serves "
            "async tests run by pytest-asyncio (@pytest.mark.asyncio) or anyio "
            "(@pytest.mark.anyio). A sync test uses nest_client.",
            pytrace=False,
        )
    return request.getfixturevalue(f"_nest_async_client_on_{runner}_loop")


# anyio runs an async fixture on the test's loop when the fixture asks for anyio_backend.
@pytest.fixture
async def _nest_app_on_anyio_loop(
    anyio_backend: Any, nest_builder: TestingModuleBuilder
) -> AsyncIterator[TestingModule]:
    module = await nest_builder.compile_async()
    try:
        yield module
    finally:
        await module.aclose()


@pytest.fixture
async def _nest_async_client_on_anyio_loop(
    anyio_backend: Any, nest_app: TestingModule
) -> AsyncIterator[Any]:
    async with nest_app.async_client() as client:
        yield client


def _strict_singletons(config: pytest.Config) -> bool:
    return bool(
        config.getoption("nest_strict_singletons") or config.getini("nest_strict_singletons")
    )


def _module_of(item: pytest.Item) -> TestingModule | None:
    """The module `nest_app` gave the test: the plugin's own, or a conftest's override
    of `nest_app` with a wider scope (one module shared by several tests)."""
    candidate = (getattr(item, "funcargs", None) or {}).get("nest_app")
    if candidate is None:
        return None
    from nest_testing._testing_module import TestingModule

    return candidate if isinstance(candidate, TestingModule) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield
    module = _module_of(item)
    if module is not None:  # the test's window opens where the last user's closed
        item.stash[_SINCE] = item.config.stash[_SEEN].get(module, 0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    before = _open_modules()
    try:
        yield  # a test that failed by itself is reported as it is
    except BaseException:
        _close_left_open(before, quietly=True)  # its own failure is the one to see
        raise
    _close_left_open(before, quietly=False)
    module = _module_of(item)
    if module is None or not _strict_singletons(item.config):
        return
    from nest_testing._report import singleton_violations

    violations = singleton_violations(module, item.stash.get(_SINCE, 0))
    if violations:
        # A failure of the call phase, like an assert: --pdb, --lf and -x all see it. No
        # __tracebackhide__: with pytrace=False no frame is shown, and hiding this one only
        # adds pytest's "All traceback entries are hidden" line.
        pytest.fail(
            "nest-testing strict singletons (--nest-strict-singletons or "
            "nest_strict_singletons = true): singleton providers were constructed more "
            "than once during this test.\n\n" + "\n\n".join(violations),
            pytrace=False,
        )


def _open_modules() -> set[Any]:
    runtime = sys.modules.get("nest_testing._runtime")  # none opened before its import
    return runtime.open_runtimes() if runtime is not None else set()


def _close_left_open(before: set[Any], *, quietly: bool) -> None:
    """Close the modules a test compiled in its body and left open (a failing assert
    before `close()`, a forgotten `with`): their shutdown hooks run now, not at exit."""
    for runtime in _open_modules() - before:
        if quietly:
            with contextlib.suppress(Exception):
                runtime.close()
        else:
            runtime.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    module = _module_of(item)
    try:
        yield
    finally:
        if module is not None:
            item.config.stash[_SEEN][module] = module._ledger.last_serial()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when != "call" or not report.failed:
        return report
    module = _module_of(item)
    if module is not None:
        from nest_testing._report import construction_report

        report.sections.append(
            (
                "nest-testing: construction counts",
                construction_report(module, item.stash.get(_SINCE, 0)),
            )
        )
    return report

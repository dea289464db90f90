"""How the plugin behaves as a pytest citizen: start-up cost, header, failures that
--pdb reaches, modules shared across tests, async tests under anyio."""

import re
import sys
import textwrap

import pytest
from test_plugin import ini, project, shutdowns  # noqa: F401  # `project`: a fixture

import nest_testing

pytest_plugins = ["pytester"]

# Records what --pdb would be handed: pytest calls this hook exactly where it starts pdb.
INTERACT_CONFTEST = """
def pytest_exception_interact(node, call, report):
    with open("interact.log", "a") as log:
        log.write(f"{node.name} {call.when} {call.excinfo.typename}\\n")
"""


def test_report_header_names_version_app_and_guard(project: pytest.Pytester) -> None:  # noqa: F811
    project.makepyfile("def test_nothing():\n    pass\n")
    head = f"nest-testing {nest_testing.__version__}: app=myapp:AppModule"
    project.runpytest().stdout.fnmatch_lines([f"{head}, strict-singletons=off"])
    project.runpytest("--nest-strict-singletons").stdout.fnmatch_lines(
        [f"{head}, strict-singletons=on"]
    )
    project.makeini(ini())
    project.runpytest().stdout.fnmatch_lines(["nest-testing *: app=unset, strict-singletons=off"])


def test_a_session_without_nest_fixtures_imports_no_fastapi_or_pynest(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(ini())
    pytester.makepyfile(
        """
        import sys

        def test_nothing_heavy_was_imported():
            assert "nest_testing.plugin" in sys.modules  # the plugin is loaded...
            heavy = sorted(
                name for name in sys.modules
                if name.split(".")[0] in ("fastapi", "nest", "starlette", "pydantic", "httpx2")
                or name in ("nest_testing._builder", "nest_testing._testing_module")
            )
            assert heavy == []  # ...and cost nothing
        """
    )
    # A subprocess: this process has imported FastAPI long ago.
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)


def test_strict_singletons_fail_the_call_phase_where_pdb_reaches(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    project.makeconftest(INTERACT_CONFTEST)
    project.makepyfile(
        """
        def test_audit(nest_client):
            nest_client.get("/items/audit")
        """
    )
    result = project.runpytest("--nest-strict-singletons", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    assert (project.path / "interact.log").read_text() == "test_audit call Failed\n"
    output = result.stdout.str()
    assert "Config is a singleton but was constructed 2 times" in output
    assert "nest-testing: construction counts" in output  # with the counts
    assert "plugin.py" not in output  # the failure is ours, not a traceback into us


def test_pdb_opens_on_the_strict_singletons_failure(project: pytest.Pytester) -> None:  # noqa: F811
    project.makepyfile(
        """
        def test_audit(nest_client):
            nest_client.get("/items/audit")
        """
    )
    result = project.run(
        sys.executable, "-m", "pytest", "--nest-strict-singletons", "--pdb", "-p", "no:randomly",
        stdin=b"c\n",
    )  # fmt: skip
    output = result.stdout.str()
    assert "entering PDB" in output
    assert "Config is a singleton but was constructed 2 times" in output


def test_violations_are_listed_in_the_order_of_first_construction(
    pytester: pytest.Pytester,
) -> None:
    names = ["Kilo", "Alpha", "Zulu", "Echo", "Mike", "Bravo", "Yankee", "Delta"]
    classes = "\n".join(f"@Injectable\nclass {name}:\n    pass\n" for name in names)
    # the route builds them again in the opposite order: the first construction decides
    params = ", ".join(f"p{i}: {name} = Depends({name})" for i, name in enumerate(names[::-1]))
    pytester.makepyfile(
        shuffled=f"""
from fastapi import Depends
from nest.core import Controller, Get, Injectable, Module

{classes}

@Controller("x")
class XController:
    @Get("/")
    def get(self, {params}):
        return {{}}

@Module(controllers=[XController], providers=[{", ".join(names)}])
class AppModule:
    pass
"""
    )
    pytester.makeini(ini("nest_app_module = shuffled:AppModule"))
    pytester.syspathinsert()
    pytester.makepyfile(test_it="def test_it(nest_client):\n    nest_client.get('/x')\n")
    for _ in range(2):
        output = pytester.runpytest("--nest-strict-singletons").stdout.str()
        listed = re.findall(r"^(\w+) is a singleton but was constructed", output, re.MULTILINE)
        startup = re.findall(r"#(\d+) \(startup, container\)", output)
        assert sorted(listed) == sorted(names)
        assert [int(n) for n in startup] == sorted(int(n) for n in startup)


SHARED = """
import pytest
from nest_testing import Test
from myapp import AppModule

@pytest.fixture(scope="module")
def nest_app():
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        yield module
"""


def test_a_module_shared_by_a_files_tests_is_judged_per_test(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    project.makepyfile(
        SHARED
        + textwrap.dedent(
            """
            def test_audit(nest_client):
                nest_client.get("/items/audit")

            def test_items(nest_client):
                nest_client.get("/items")

            def test_fails(nest_client):
                nest_client.get("/items")
                assert False, "boom"
            """
        )
    )
    result = project.runpytest("--nest-strict-singletons", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)
    assert shutdowns(project) == 1  # one module for the three tests
    output = result.stdout.str()
    failures = output.split("= FAILURES =")[1]
    audit, fails = failures.split("_ test_fails _")
    assert "test_audit" in audit
    assert "Config is a singleton but was constructed 2 times" in audit
    # test_items built nothing: the guard does not blame it for test_audit's Depends.
    assert "test_items" not in failures
    # The counts of a failing test are its own.
    assert "this test only" in fails
    assert re.search(r"^Config\s+0\s+0\s+0\s+0\s+0$", fails, re.MULTILINE)
    assert re.search(r"^Config\s+2\s+0\s+1\s+1\s+0$", audit, re.MULTILINE)  # the first user


def test_a_module_shared_by_a_session_is_judged_per_test(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    project.makeconftest(SHARED.replace('scope="module"', 'scope="session"'))
    project.makepyfile(
        test_one="def test_one(nest_client):\n    nest_client.get('/items')\n",
        test_two="def test_two(nest_client):\n    nest_client.get('/items/audit')\n",
        test_three="def test_three(nest_client):\n    nest_client.get('/items')\n",
    )
    result = project.runpytest("--nest-strict-singletons", "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_two.py::test_two*"])
    assert shutdowns(project) == 1


ANYIO_TEST = """
import asyncio
import pytest
from myapp import Lifecycle

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_on_the_anyio_loop(nest_app, nest_async_client):
    assert nest_app.get(Lifecycle).loop is asyncio.get_running_loop()
    response = await nest_async_client.get("/items/loop")
    assert response.json() == {"same_loop": True}
"""


@pytest.mark.parametrize("asyncio_plugin", ["loaded", "disabled"])
def test_anyio_tests_get_a_module_on_their_own_loop(
    project: pytest.Pytester,  # noqa: F811
    asyncio_plugin: str,
) -> None:
    project.makepyfile(ANYIO_TEST)
    args = []
    if asyncio_plugin == "disabled":  # and its ini options unknown
        project.makeini("[pytest]\nfilterwarnings = error\nnest_app_module = myapp:AppModule")
        args = ["-p", "no:asyncio"]
    # A subprocess: pytest-asyncio 1.0 in auto mode marks async fixture functions for good,
    # which would leak from another in-process session into this one.
    result = project.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    assert shutdowns(project) == 1


def test_async_client_in_a_sync_test_is_one_clear_line(project: pytest.Pytester) -> None:  # noqa: F811
    project.makepyfile("def test_it(nest_async_client):\n    pass\n")
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*nest-testing: test_*.py::test_it asks for nest_async_client*A sync test uses*"]
    )


def test_a_failing_assert_singleton_shows_and_stops_in_the_test(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    project.makepyfile(
        """
        from myapp import Config

        def test_audit(nest_app, nest_client):
            nest_client.get("/items/audit")
            nest_app.assert_singleton(Config)
        """
    )
    result = project.runpytest("--tb=long", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "Config: expected 1 construction(s), got 2" in output
    failure = output.split("= FAILURES =")[1].split("nest-testing:")[0]
    # no frame of ours (file paths); the fixtures' reprs name nest_testing, and may
    assert "nest_testing/_" not in failure
    assert "contextlib.py" not in failure
    pdb = project.run(
        sys.executable, "-m", "pytest", "--pdb", "-p", "no:randomly", stdin=b"p nest_app\nc\n"
    )
    assert "TestingModule object at" in pdb.stdout.str()  # pdb is in the test's frame

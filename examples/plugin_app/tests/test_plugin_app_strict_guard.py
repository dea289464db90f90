"""``--nest-strict-singletons``: the CI guard against per-request construction.

``GET /items/audit`` takes ``Depends(Logger)``, so FastAPI builds a Logger (and its
ConfigService) on every request. The tests next to this file never call it. Here an
inner pytest session, run on a copy of the app, calls it and is failed by the guard.
"""

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

APP_PACKAGE = Path(__file__).resolve().parents[2] / "seed_depends_app" / "seed_depends_app"

INI = """\
[pytest]
nest_app_module = seed_depends_app.app_module:AppModule
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

AUDIT_TESTS = """\
def test_items(nest_client):
    for _ in range(3):
        assert nest_client.get("/items").status_code == 200


def test_audit(nest_client):
    for _ in range(2):
        assert nest_client.get("/items/audit").status_code == 200
"""


@pytest.fixture
def app_copy(pytester: pytest.Pytester) -> pytest.Pytester:
    """An inner project: a copy of the app, configured by the ini option alone."""
    shutil.copytree(
        APP_PACKAGE,
        pytester.path / "seed_depends_app",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    pytester.makeini(INI)
    pytester.syspathinsert()
    pytester.makepyfile(test_audit=AUDIT_TESTS)
    return pytester


def test_without_the_guard_both_tests_pass(app_copy: pytest.Pytester) -> None:
    app_copy.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    "args",
    [["--nest-strict-singletons"], ["-o", "nest_strict_singletons=true"]],
    ids=["option", "ini"],
)
def test_the_guard_fails_the_audit_test(app_copy: pytest.Pytester, args: list[str]) -> None:
    result = app_copy.runpytest("-p", "no:randomly", *args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_audit _*",
            "nest-testing strict singletons (--nest-strict-singletons or "
            "nest_strict_singletons = true): singleton providers were constructed more than "
            "once during this test.",
            "Logger is a singleton but was constructed 3 times:",
            "    #* (startup, container)",
            "    #* (request, Depends on GET /items/audit)",
            "    #* (request, Depends on GET /items/audit)",
        ]
    )
    assert "FAILED test_audit.py::test_audit" in result.stdout.str()
    assert "test_items" not in result.stdout.str().split("short test summary info")[1]

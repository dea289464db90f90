"""The plugin's side of reliability: modules a test left open are closed after it, hook
timeouts from the ini, markers that fail and markers pytest turned into decorators are
each one clear line."""

import pytest
from test_plugin import project, shutdowns  # noqa: F401  # the inner project fixture

import nest_testing._runtime

HANGS = """
import asyncio
from nest.core import Injectable, Module


@Injectable
class Hangs:
    def __init__(self) -> None:
        pass

    async def on_module_init(self) -> None:
        await asyncio.Event().wait()


@Module(providers=[Hangs])
class HangsModule:
    pass
"""


def test_a_module_a_test_left_open_is_closed_after_that_test(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    project.makepyfile(
        """
        from myapp import AppModule
        from nest_testing import Test

        def test_leaves_it_open():
            module = Test.create_testing_module(imports=[AppModule]).compile()
            assert module.client.get("/items").status_code == 200
            assert False, "failed before close()"

        def test_after(pytestconfig):
            log = pytestconfig.rootpath / "shutdown.log"
            assert log.read_text().count("shutdown") == 1  # closed after the last test
        """
    )
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*failed before close()*"])
    assert shutdowns(project) == 1


def test_the_hook_timeout_comes_from_the_ini(
    project: pytest.Pytester,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In-process: the loop watchdog (0.2 s + 1 s grace) looks late, so that on a starved
    # machine it cannot beat the hook's own timeout (see tests/test_reliability.py).
    monkeypatch.setattr(nest_testing._runtime, "_POLL_SECONDS", 10.0)
    project.makepyfile(hanging=HANGS)
    project.makeconftest(
        """
        import pytest
        from hanging import HangsModule

        @pytest.fixture
        def nest_app_module():
            return HangsModule
        """
    )
    project.makepyfile("def test_it(nest_app):\n    pass\n")
    result = project.runpytest("-o", "nest_hook_timeout=0.2")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Hangs.on_module_init: did not return within 0.2 s*"])


@pytest.mark.parametrize("value", ["0", "soon"])
def test_a_bad_hook_timeout_is_one_usage_line(
    project: pytest.Pytester,  # noqa: F811
    value: str,
) -> None:
    project.makepyfile("def test_it(nest_app):\n    pass\n")
    result = project.runpytest("--nest-hook-timeout", value)
    result.stdout.fnmatch_lines(
        [f"*nest_hook_timeout = '{value}': expected a number of seconds > 0, or 'none'*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_marker_the_builder_refuses_fails_in_one_line(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    project.makepyfile(
        """
        import pytest
        from myapp import Logger

        @pytest.mark.nest_override([Logger], 1)
        def test_it(nest_app):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*nest-testing: @pytest.mark.nest_override([[]<class 'myapp.Logger'>[]], 1): *"
            "is not a token*"
        ]
    )
    assert "_apply_marker" not in result.stdout.str()


def test_a_marker_pytest_applied_to_a_class_explains_itself(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    project.makepyfile(
        test_decorated="""
        import pytest


        class Clock:
            pass


        @pytest.mark.nest_mock(Clock)
        def test_it(nest_app):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "nest-testing: @pytest.mark.nest_mock(Clock) in test_decorated.py decorated the "
            "class Clock instead of marking the test*Write "
            "@pytest.mark.nest_mock.with_args(Clock) instead.",
        ]
    )

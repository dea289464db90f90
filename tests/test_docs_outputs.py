"""Reports the docs show are what pytest prints.

A ```text block whose line above is ``<!-- output: NAME -->`` is made again here, by a
real inner pytest session (pytester) running a test file from ``tests/docs_examples/``,
and must be that text (memory addresses aside). See ``generated_blocks.py`` for how to
rewrite the blocks after a change that is meant to show.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from generated_blocks import GeneratedBlock, generated_blocks, rewrite, writing

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parent / "docs_examples"
INI = """\
[pytest]
nest_app_module = seed_depends_app.app_module:AppModule
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""
_ADDRESS = re.compile(r"\b0x[0-9a-f]{6,}\b")


def _run(pytester: pytest.Pytester, example: str, as_module: str) -> list[str]:
    """The output lines of an inner session running ``example`` as ``as_module``.py."""
    pytester.makeini(INI)
    pytester.makepyfile(**{as_module: (EXAMPLES / example).read_text(encoding="utf-8")})
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    return [_ADDRESS.sub("0x...", line.rstrip()) for line in result.stdout.lines]


def failure_report(pytester: pytest.Pytester) -> str:
    """A failing test's section, as printed: traceback, then the construction counts."""
    lines = _run(pytester, "report_failing.py", "test_report")
    start = next(i for i, line in enumerate(lines) if re.match(r"^_+ test_items_start_", line))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("="))
    return "\n".join(lines[start:end])


def per_request_without_plugin(pytester: pytest.Pytester) -> str:
    """The assertion messages of the two plugin-less tests, one paragraph each."""
    lines = _run(pytester, "per_request_without_plugin.py", "test_without_plugin")
    messages: list[list[str]] = []
    for line in lines:
        if re.match(r"^_{3,} test_", line):
            messages.append([])
        elif line.startswith("E ") and messages:
            messages[-1].append(line[1:])
    paragraphs = []
    for message in messages:
        indent = min(len(m) - len(m.lstrip()) for m in message if m.strip())
        paragraphs.append("\n".join(m[indent:] for m in message))
    return "\n\n".join(paragraphs)


STRICT_GUARD_TESTS = (
    Path(__file__).resolve().parents[1]
    / "examples/plugin_app/tests/test_plugin_app_strict_guard.py"
)
_DURATION = re.compile(r" in \d+(?:\.\d+)?s\b")


def _audit_tests() -> str:
    """``AUDIT_TESTS`` of the strict-guard example: the tests the recipe shows."""
    tree = ast.parse(STRICT_GUARD_TESTS.read_text(encoding="utf-8"))
    value = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "AUDIT_TESTS"
    )
    return str(ast.literal_eval(value))


def _strict_run(pytester: pytest.Pytester) -> list[str]:
    pytester.makeini(INI)
    pytester.makepyfile(test_audit=_audit_tests())
    result = pytester.runpytest(
        "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--nest-strict-singletons"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    return [_ADDRESS.sub("0x...", line.rstrip()) for line in result.stdout.lines]


def strict_singletons(pytester: pytest.Pytester) -> str:
    """The failed test's section under --nest-strict-singletons."""
    lines = _strict_run(pytester)
    start = next(i for i, line in enumerate(lines) if re.match(r"^_+ test_audit _+$", line))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("="))
    return "\n".join(lines[start:end])


def strict_singletons_session(pytester: pytest.Pytester) -> str:
    """The whole ``pytest -q --nest-strict-singletons`` run, as a terminal shows it."""
    lines = _strict_run(pytester)
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(["$ pytest -q --nest-strict-singletons", *lines])


CAPTURES: dict[str, Callable[[pytest.Pytester], str]] = {
    "failure-report": failure_report,
    "per-request-without-plugin": per_request_without_plugin,
    "strict-singletons": strict_singletons,
    "strict-singletons-session": strict_singletons_session,
}


def _comparable(name: str, text: str) -> list[str]:
    # Line for line: every report the docs show prints in a stable order.
    return [_DURATION.sub(" in ...s", line.rstrip()) for line in text.splitlines()]


BLOCKS = generated_blocks("output")


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.where} {b.name}" for b in BLOCKS])
def test_shown_output_is_what_pytest_prints(
    block: GeneratedBlock, pytester: pytest.Pytester
) -> None:
    assert block.info == "text", (
        f"{block.where}: <!-- output: {block.name} --> must be directly above a ```text fence."
    )
    assert block.name in CAPTURES, (
        f"{block.where}: no capture named {block.name!r}; known: {', '.join(CAPTURES)}."
    )
    actual = CAPTURES[block.name](pytester)
    if writing():
        rewrite(block, actual)
        return
    shown = "\n".join(line.rstrip() for line in block.text.splitlines())
    assert _comparable(block.name, shown) == _comparable(block.name, actual), (
        f"{block.where}: the shown output is not what pytest prints now. Rewrite it with "
        "NEST_TESTING_WRITE_DOCS=1 if the change is meant:\n"
        + "\n".join(
            difflib.unified_diff(
                shown.splitlines(), actual.splitlines(), "docs", "pytest", lineterm=""
            )
        )
    )


def test_every_capture_is_shown() -> None:
    shown = {block.name for block in BLOCKS}
    assert set(CAPTURES) <= shown, f"captures no page shows: {set(CAPTURES) - shown}"

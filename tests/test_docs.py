"""The docs do not rot: quoted code is the code CI runs, and every relative link resolves.

A ```python block in ``README.md`` or under ``docs/`` whose fence has, on the line
directly above it, ``<!-- from: examples/doubles_app/tests/test_doubles_mock.py -->``
(a path relative to the repository root) must appear verbatim in that file: the same
consecutive lines, compared after ``textwrap.dedent`` and ignoring trailing whitespace.
A marker that is not directly above a ```python fence is an error too, so a stray blank
line cannot switch the check off, and so is a ```python block without a marker: every
Python block in the docs is code CI runs.
"""

import difflib
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

MARKER = re.compile(r"^\s*<!--\s*from:\s*(?P<path>\S+)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
INLINE_CODE = re.compile(r"(`+).*?\1")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\((?P<target><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]+(?P<target>\S+)", re.MULTILINE)
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, first content line (1-based) and text."""

    info: str
    line: int
    text: str
    marker: str | None  # the ``from:`` path on the line above the fence, if any


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parse(markdown: Path) -> tuple[list[Block], list[tuple[int, str]], list[tuple[int, str]]]:
    """The file's fenced blocks, its ``from:`` markers and its links (line, target).
    Links inside code blocks and code spans are not links; link text may wrap lines."""
    lines = markdown.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    markers: list[tuple[int, str]] = []
    prose: list[str] = []  # the file with code blocks and code spans blanked out
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence is None:
            marker = MARKER.match(line)
            if marker is not None:
                markers.append((index + 1, marker["path"]))
            prose.append(INLINE_CODE.sub("", line))
            index += 1
            continue
        opening = fence["fence"]
        closing = re.compile(rf"^\s*{re.escape(opening[0])}{{{len(opening)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        above = MARKER.match(lines[index - 1]) if index > 0 else None
        blocks.append(
            Block(
                info=fence["info"].strip(),
                line=index + 2,
                text="\n".join(lines[index + 1 : end]),
                marker=above["path"] if above else None,
            )
        )
        prose.extend([""] * (min(end, len(lines) - 1) - index + 1))
        index = end + 1
    text = "\n".join(prose)
    links = [
        (text.count("\n", 0, m.start("target")) + 1, m["target"].strip("<>"))
        for pattern in (INLINE_LINK, REFERENCE_LINK)
        for m in pattern.finditer(text)
    ]
    return blocks, markers, sorted(links)


def normalise(text: str) -> list[str]:
    return [line.rstrip() for line in textwrap.dedent(text).strip("\n").splitlines()]


def appears_in(snippet: str, source: str) -> bool:
    """Whether ``snippet`` is a run of consecutive lines of ``source``, both dedented."""
    wanted = normalise(snippet)
    have = source.splitlines()
    return any(
        normalise("\n".join(have[start : start + len(wanted)])) == wanted
        for start in range(len(have) - len(wanted) + 1)
    )


def closest_diff(snippet: str, source: str) -> str:
    """A diff to ``snippet`` from the run of lines in ``source`` that agrees with it on
    the most lines."""
    wanted = normalise(snippet)
    have = source.splitlines()
    windows = [
        [line.rstrip() for line in textwrap.dedent("\n".join(run)).split("\n")]
        for run in (have[i : i + len(wanted)] for i in range(max(len(have) - len(wanted), 0) + 1))
    ]

    def agreement(window: list[str]) -> int:
        return sum(a == b for a, b in zip(window, wanted, strict=False))

    best = max(windows, key=agreement)
    return "\n".join(difflib.unified_diff(best, wanted, "source", "docs", lineterm=""))


def _quoted_blocks() -> list[object]:
    cases: list[object] = []
    for markdown in MARKDOWN:
        blocks, _, _ = parse(markdown)
        for block in blocks:
            if block.marker is not None:
                where = f"{_rel(markdown)}:{block.line}"
                cases.append(pytest.param(markdown, block, id=f"{where} <- {block.marker}"))
    return cases


def _markers() -> list[object]:
    cases: list[object] = []
    for markdown in MARKDOWN:
        blocks, markers, _ = parse(markdown)
        fenced = {block.line - 1: block for block in blocks}  # keyed by the fence line
        for line, path in markers:
            block = fenced.get(line + 1)
            info = block.info if block is not None else None
            cases.append(pytest.param(markdown, line, path, info, id=f"{_rel(markdown)}:{line}"))
    return cases


def _links() -> list[object]:
    cases: list[object] = []
    for markdown in MARKDOWN:
        _, _, links = parse(markdown)
        for line, target in links:
            if not EXTERNAL.match(target):
                cases.append(
                    pytest.param(markdown, line, target, id=f"{_rel(markdown)}:{line} {target}")
                )
    return cases


@pytest.mark.parametrize(("markdown", "block"), _quoted_blocks())
def test_quoted_code_is_verbatim_from_its_source(markdown: Path, block: Block) -> None:
    assert block.marker is not None
    source = ROOT / block.marker
    where = f"{_rel(markdown)}:{block.line}"
    assert source.is_file(), f"{where}: <!-- from: {block.marker} --> names no file"
    text = source.read_text(encoding="utf-8")
    assert appears_in(block.text, text), (
        f"{where}: this ```{block.info} block is not verbatim in {block.marker} "
        "(copy it again from the file, or fix the marker). Closest lines there:\n"
        + closest_diff(block.text, text)
    )


@pytest.mark.parametrize(("markdown", "line", "path", "info"), _markers())
def test_every_marker_sits_directly_above_a_python_block(
    markdown: Path, line: int, path: str, info: str | None
) -> None:
    assert info == "python", (
        f"{_rel(markdown)}:{line}: <!-- from: {path} --> must be on the line directly above "
        f"a ```python fence (found {'```' + info if info is not None else 'no fence'}), or "
        "the block below it is not checked."
    )


def _python_blocks() -> list[object]:
    cases: list[object] = []
    for markdown in MARKDOWN:
        blocks, _, _ = parse(markdown)
        for block in blocks:
            if block.info.split(" ", 1)[0].lower() in PYTHON:
                where = f"{_rel(markdown)}:{block.line}"
                cases.append(pytest.param(markdown, block, id=where))
    return cases


PYTHON = {"python", "py", "python3", "pycon"}


@pytest.mark.parametrize(("markdown", "block"), _python_blocks())
def test_every_python_block_comes_from_a_file_ci_runs(markdown: Path, block: Block) -> None:
    assert block.marker is not None, (
        f"{_rel(markdown)}:{block.line}: this ```{block.info} block is checked by nothing. "
        "Put the code in a file CI runs (a test under tests/docs_examples/ or an example "
        "app's tests) and add <!-- from: that/file.py --> on the line above the fence."
    )


@pytest.mark.parametrize(("markdown", "line", "target"), _links())
def test_relative_links_resolve(markdown: Path, line: int, target: str) -> None:
    path = target.split("#", 1)[0].split("?", 1)[0]
    resolved = (markdown.parent / path).resolve()
    assert resolved.exists(), (
        f"{_rel(markdown)}:{line}: the link {target!r} points to {resolved}, which does not exist."
    )


# ── the checker checks ────────────────────────────────────────────────────────


def test_appears_in_ignores_indentation_and_trailing_whitespace() -> None:
    source = "def f():\n    with x:\n        a = 1   \n\n        b = 2\n    return a\n"

    assert appears_in("a = 1\n\nb = 2", source)
    assert appears_in("    with x:\n        a = 1\n", source)
    assert not appears_in("a = 1\nb = 2", source)  # the blank line is part of the code
    assert not appears_in("a = 2", source)


def test_parse_finds_markers_blocks_and_links(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "See [the app](app.py), `[not](a-link.md)` and [web](https://example.com).\n"
        "\n"
        "<!-- from: examples/app.py -->\n"
        "```python\n"
        "x = [1](2)\n"
        "```\n"
        "<!-- from: examples/other.py -->\n"
        "\n"
        "```python\n"
        "y = 1\n"
        "```\n"
        "A [wrapped\nlink](wrapped.md).\n"
        "\n"
        "[ref]: ref.md\n",
        encoding="utf-8",
    )

    blocks, markers, links = parse(page)

    assert [(b.marker, b.line, b.text) for b in blocks] == [
        ("examples/app.py", 5, "x = [1](2)"),
        (None, 10, "y = 1"),
    ]
    assert markers == [(3, "examples/app.py"), (7, "examples/other.py")]
    assert links == [(1, "app.py"), (1, "https://example.com"), (13, "wrapped.md"), (15, "ref.md")]


def test_closest_diff_points_at_the_changed_line() -> None:
    diff = closest_diff("a = 1\nb = 3", "x = 0\ndef f():\n    a = 1\n    b = 2\n")

    assert diff.splitlines()[-2:] == ["-b = 2", "+b = 3"]

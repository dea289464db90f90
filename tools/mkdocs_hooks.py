"""mkdocs hooks for the documentation site. Its one job: a link out of ``docs/`` (to a
test, an example, a benchmark, the CI script) becomes a link to that file in the
repository.

The Markdown keeps relative links, so they work where the files are read as files (the
repository browser, an editor) and ``tests/test_docs.py`` checks that each resolves. The
site cannot serve those files, so this hook points them at ``repo_url``. It must not
touch links inside ``docs/`` (mkdocs checks those itself), external links, or code.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

# An inline link or image (link text may wrap lines), as tests/test_docs.py reads them.
_LINK = re.compile(r"(?P<head>!?\[[^\]]*\]\()(?P<target>[^)\s]+)(?P<tail>(?:\s+\"[^\"]*\")?\))")
_CODE_SPAN = re.compile(r"(`+).*?\1")
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    repo_url = str(config.get("repo_url") or "").rstrip("/")
    branch = str(config.get("extra", {}).get("repo_branch", "main"))
    docs_dir = Path(config["docs_dir"]).resolve()
    root = docs_dir.parent
    page_dir = (docs_dir / page.file.src_uri).parent

    def rewrite(match: re.Match[str]) -> str:
        target = match["target"]
        if _EXTERNAL.match(target):
            return match[0]
        path, _, anchor = target.partition("#")
        resolved = Path(posixpath.normpath(page_dir / path))
        if resolved.is_relative_to(docs_dir) or not resolved.is_relative_to(root):
            return match[0]
        if not repo_url:
            raise ValueError(
                f"{page.file.src_uri}: the link {target!r} leaves docs/; set repo_url in "
                "mkdocs.yml so the site can link to the repository."
            )
        kind = "tree" if resolved.is_dir() else "blob"
        url = f"{repo_url}/{kind}/{branch}/{resolved.relative_to(root).as_posix()}"
        return f"{match['head']}{url}{'#' + anchor if anchor else ''}{match['tail']}"

    return "".join(
        chunk if fenced else _rewrite_prose(chunk, rewrite) for fenced, chunk in _chunks(markdown)
    )


def _chunks(markdown: str) -> list[tuple[bool, str]]:
    """The page as (inside a fenced block?, text) runs, in order."""
    chunks: list[tuple[bool, str]] = []
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        opening = _FENCE.match(line)
        fenced = fence is not None or opening is not None
        if fence is None and opening:
            fence = opening[1]
        elif (
            fence is not None
            and line.strip().startswith(fence)
            and not line.strip()[len(fence) :].strip(fence[0])
        ):
            fence = None
        if chunks and chunks[-1][0] == fenced:
            chunks[-1] = (fenced, chunks[-1][1] + line)
        else:
            chunks.append((fenced, line))
    return chunks


def _rewrite_prose(text: str, rewrite: Any) -> str:
    spans = [m.span() for m in _CODE_SPAN.finditer(text)]

    def outside_code(match: re.Match[str]) -> str:
        start = match.start()
        if any(a <= start < b for a, b in spans):
            return match[0]
        return str(rewrite(match))

    return _LINK.sub(outside_code, text)

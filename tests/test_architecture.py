"""The package's shape, as docs/architecture.md describes it: no import cycles (also
under ``TYPE_CHECKING``), and every module says what its one job is."""

import ast
import graphlib
from pathlib import Path

import nest_testing

PACKAGE = Path(nest_testing.__file__).parent


def _imports(path: Path) -> set[str]:
    """The nest_testing modules ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "nest_testing":
                found.update(f"nest_testing.{alias.name}" for alias in node.names)
            elif node.module.startswith("nest_testing."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nest_testing."))
    modules = {f"nest_testing.{p.stem}" for p in PACKAGE.glob("*.py")}
    return found & modules


def test_no_import_cycle_even_under_type_checking() -> None:
    graph = {
        f"nest_testing.{path.stem}": _imports(path) - {"nest_testing.__init__"}
        for path in PACKAGE.glob("*.py")
        if path.stem != "__init__"
    }
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_every_private_module_opens_with_a_docstring_of_its_job() -> None:
    missing = [
        path.name
        for path in sorted(PACKAGE.glob("_*.py"))
        if path.stem != "__init__"
        and len(ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "") < 80
    ]
    assert missing == []

"""The plugin's side of deployed apps: what `nest_app_module` may name, and the
`nest_override_dependency` marker. `plugin.py` imports this inside its fixtures and
hooks; this module registers nothing with pytest by itself."""

from __future__ import annotations

from typing import Any

from nest.common.module import ModuleCompiler
from nest.core.pynest_application import PyNestApp

from nest_testing._builder import Test, TestingModuleBuilder
from nest_testing._deployed import is_click_group

EXPECTED = (
    "a PyNest @Module class ('package.module:AppModule') or the PyNestApp that "
    "PyNestFactory.create(AppModule, ...) returned ('src.app_module:app')"
)
MARKER = "nest_override_dependency"
MARKER_HELP = (
    "nest_override_dependency(dependency, replacement): replace a FastAPI Depends(...) "
    "of nest_app's routes, as builder.override_dependency() does; the closest marker "
    "wins per dependency"
)


def is_app_target(candidate: object) -> bool:
    """Whether `candidate` is something the plugin can build a testing module of."""
    return isinstance(candidate, PyNestApp) or (
        isinstance(candidate, type) and ModuleCompiler.has_module_metadata(candidate)
    )


def found(candidate: object) -> str:
    """What `candidate` is, for a message that says what was found instead; see
    `described`."""
    if isinstance(candidate, type):
        return "not a PyNest @Module class (a plain class)"
    kind = type(candidate)
    hint = ""
    if is_click_group(candidate):
        hint = " (a CLI app's click group: name its module class, e.g. 'src.app_module:AppModule')"
    return f"{candidate!r}, a {kind.__module__}.{kind.__qualname__}{hint}"


def described(candidate: object) -> str:
    """`is <what it is>` / `is not ...`, to follow the name in a message."""
    text = found(candidate)
    return text if text.startswith("not ") else f"is {text}"


def builder_for(target: Any) -> TestingModuleBuilder:
    """`Test.from_app(app)` for a PyNestApp, else a testing module importing it."""
    if isinstance(target, PyNestApp):
        return Test.from_app(target)
    return Test.create_testing_module(imports=[target])


def apply_dependency_marker(builder: TestingModuleBuilder, marker: Any) -> str | None:
    """Apply one `nest_override_dependency` marker; the expected form when it is wrong."""
    if len(marker.args) != 2 or marker.kwargs:
        return "nest_override_dependency(dependency, replacement)"
    builder.override_dependency(*marker.args)
    return None

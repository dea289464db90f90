"""nest-testing: the testing toolkit for PyNest apps.

Build a testing module from your real `AppModule`, override what you need, and assert
that every provider is constructed exactly as often as you expect:

```python
from nest_testing import Test

with (
    Test.create_testing_module(imports=[AppModule])
    .override_provider(Logger, FakeLogger)
    .compile()
) as module:
    module.client.get("/items")
    module.assert_singleton(Logger)
```
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from nest_testing import errors as _errors

try:
    __version__: str = version("nest-testing")
except PackageNotFoundError:  # pragma: no cover - a checkout imported without installing
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from nest_testing._builder import (
        OverrideBy,
        OverrideModuleBy,
        OverrideStepBy,
        Test,
        TestingModuleBuilder,
    )
    from nest_testing._doubles import Doubles
    from nest_testing._graph import GraphNode, ModuleGraph
    from nest_testing._ledger import ConstructionCounts, Phase
    from nest_testing._test_database import TestDatabase
    from nest_testing._testing_module import ModuleView, TestingModule
    from nest_testing.errors import (
        AppConfigurationError,
        CircularDependencyError,
        DatabaseError,
        EncapsulationError,
        ImplicitProviderError,
        LifecycleHookError,
        MissingProviderError,
        ModuleOverrideError,
        NestTestingError,
        ProviderConstructionError,
        ScopeError,
        UnknownExportError,
        UnknownOverrideError,
        UnknownTokenError,
        UsageError,
    )

# Public names are imported on first use (PEP 562): the pytest plugin lives in this
# package, and a session that never uses it must not pay for importing FastAPI and PyNest.
_HOMES = {
    "nest_testing._builder": (
        "OverrideBy",
        "OverrideModuleBy",
        "OverrideStepBy",
        "Test",
        "TestingModuleBuilder",
    ),
    "nest_testing._doubles": ("Doubles",),
    "nest_testing._graph": ("GraphNode", "ModuleGraph"),
    "nest_testing._ledger": ("ConstructionCounts", "Phase"),
    "nest_testing._test_database": ("TestDatabase",),
    "nest_testing._testing_module": ("ModuleView", "TestingModule"),
    # errors.py imports nothing heavy; its __all__ is the one list of the error names.
    "nest_testing.errors": tuple(_errors.__all__),
}
_HOME_OF = {name: home for home, names in _HOMES.items() for name in names}


if not TYPE_CHECKING:  # type checkers see the imports above, and flag a misspelt name

    def __getattr__(name: str) -> Any:
        home = _HOME_OF.get(name)
        if home is None:
            raise AttributeError(f"module 'nest_testing' has no attribute {name!r}")
        # Not cached here: the module that defines it is the one source (a test harness
        # that restores sys.modules, like pytester, gets the class in use after it).
        return getattr(importlib.import_module(home), name)

    def __dir__() -> list[str]:
        return sorted({*globals(), *_HOME_OF})


__all__ = [
    "AppConfigurationError",
    "CircularDependencyError",
    "ConstructionCounts",
    "DatabaseError",
    "Doubles",
    "EncapsulationError",
    "GraphNode",
    "ImplicitProviderError",
    "LifecycleHookError",
    "MissingProviderError",
    "ModuleGraph",
    "ModuleOverrideError",
    "ModuleView",
    "NestTestingError",
    "OverrideBy",
    "OverrideModuleBy",
    "OverrideStepBy",
    "Phase",
    "ProviderConstructionError",
    "ScopeError",
    "Test",
    "TestDatabase",
    "TestingModule",
    "TestingModuleBuilder",
    "UnknownExportError",
    "UnknownOverrideError",
    "UnknownTokenError",
    "UsageError",
]

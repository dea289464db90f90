"""nest-testing: the testing toolkit for PyNest apps.

Build a testing module from your real ``AppModule``, override what you need, and assert
that every provider is constructed exactly as often as you expect::

    from nest_testing import Test

    with (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(Logger, FakeLogger)
        .compile()
    ) as module:
        module.client.get("/items")
        module.assert_singleton(Logger)
"""

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
    UnknownOverrideError,
    UnknownTokenError,
    UsageError,
)

__all__ = [
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
    "UnknownOverrideError",
    "UnknownTokenError",
    "UsageError",
]

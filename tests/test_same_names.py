"""Two module classes with one name (``FeatureModule`` from two packages) are two modules
everywhere: graph, lookups, errors, module ids, with the blueprint cache on and off."""

from typing import Any

import pytest
from nest.core import Injectable, Module

from nest_testing import Test


def _feature(package: str) -> tuple[type, type]:
    @Injectable
    class Service:
        def __init__(self) -> None:
            self.package = package

    @Module(providers=[Service], exports=[Service])
    class FeatureModule:
        pass

    FeatureModule.__module__ = f"{package}.feature"
    FeatureModule.__qualname__ = "FeatureModule"
    return FeatureModule, Service


@pytest.mark.parametrize("cache", [True, False])
def test_same_named_modules_are_two_modules_with_qualified_names(cache: bool) -> None:
    (billing, billing_service), (shipping, shipping_service) = (
        _feature("billing"),
        _feature("shipping"),
    )
    builder = Test.create_testing_module(imports=[billing, shipping]).use_blueprint_cache(cache)
    with builder.compile() as module:
        graph = module.graph
        assert set(graph.modules) == {
            "billing.feature.FeatureModule",
            "shipping.feature.FeatureModule",
        }
        assert graph.node(billing_service).module == "billing.feature.FeatureModule"
        assert graph.node(shipping_service).module == "shipping.feature.FeatureModule"
        assert module.get(billing_service).package == "billing"
        assert module.select(shipping).get(shipping_service).package == "shipping"
        topology = module._container.topology
        tokens = {topology.ref_of(billing).token, topology.ref_of(shipping).token}  # type: ignore[union-attr]
        assert len(tokens) == 2
    mermaid = graph.to_mermaid()
    assert 'subgraph m0["billing.feature.FeatureModule"]' in mermaid
    assert 'subgraph m1["shipping.feature.FeatureModule"]' in mermaid


def test_unique_names_stay_short() -> None:
    feature, service = _feature("billing")
    with Test.create_testing_module(imports=[feature]).compile() as module:
        assert module.graph.node(service).module == "FeatureModule"


def test_same_qualified_names_are_numbered() -> None:
    first, second = _feature("same")[0], _feature("same")[0]
    modules: Any = Test.create_testing_module(imports=[first, second])._prepare().graph.modules
    assert set(modules) == {"same.feature.FeatureModule#1", "same.feature.FeatureModule#2"}

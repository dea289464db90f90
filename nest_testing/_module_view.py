"""`module.select(SomeModule)`: lookups limited to what one module may inject.

A view asks the `Topology` whether the module can see a
token (its own providers and controllers, what its imports export, global providers),
then looks it up as `TestingModule.get` / `resolve` do. It holds no instance and
never widens what PyNest's encapsulation allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from nest.common.provider import InjectionToken
from nest.core.pynest_container import ModuleRef

from nest_testing import _graph_errors
from nest_testing._topology import Topology

T = TypeVar("T")


class ModuleView:
    """One module's view of the graph, from `TestingModule.select()`: only what that
    module may inject (its own providers and controllers, what its imports export, and
    global providers, and what `use_mocker` supplied, global as in NestJS) can be looked
    up.

    Example:
        ```python
        module.select(ItemModule).get(ItemService)
        ```
    """

    def __init__(
        self,
        topology: Topology,
        ref: ModuleRef,
        get: Callable[[Any], Any],
        resolve: Callable[[Any], Any],
        supplied_by_mocker: Callable[[object], bool],
        unknown: Callable[[object], Exception],
    ) -> None:
        self._topology = topology
        self._ref = ref
        self._get = get
        self._resolve = resolve
        self._supplied_by_mocker = supplied_by_mocker
        self._unknown = unknown

    @overload
    def get(self, token: type[T]) -> T: ...
    @overload
    def get(self, token: InjectionToken | str) -> Any: ...

    def get(self, token: Any) -> Any:
        """`TestingModule.get`, limited to what this module can see."""
        self._check_visible(token)
        return self._get(token)

    @overload
    def resolve(self, token: type[T]) -> T: ...
    @overload
    def resolve(self, token: InjectionToken | str) -> Any: ...

    def resolve(self, token: Any) -> Any:
        """`TestingModule.resolve`, limited to what this module can see."""
        self._check_visible(token)
        return self._resolve(token)

    def _check_visible(self, token: object) -> None:
        topology = self._topology
        if token in topology.visible_from(self._ref):
            return
        owner = topology.owner_of(token)
        if owner is None:
            # What `use_mocker` supplied is global, as NestJS's mocker adds it to its
            # internal global module: every consumer that asked holds the one object.
            if self._supplied_by_mocker(token):
                return
            raise self._unknown(token)
        raise _graph_errors.not_visible(token, self._ref, owner, topology)

"""Reading what PyNest's closures hold (a guard's class, a route's filters)."""

from __future__ import annotations

from nest.core.decorators.guards import BaseGuard

from nest_testing._closures import closure_variables


class AdminGuard(BaseGuard):
    def can_activate(self, request: object) -> bool:
        return True


def test_reads_the_guard_class_pynest_closes_over() -> None:
    dependency = AdminGuard.as_dependency().dependency  # what a guarded route's dependant calls
    assert closure_variables(dependency).get("cls") is AdminGuard


def test_reads_a_closure_through_a_bound_method() -> None:
    def outer() -> object:
        filters = ["kept"]

        class Holder:
            def method(self) -> list[str]:
                return filters

        return Holder().method

    assert closure_variables(outer()) == {"filters": ["kept"]}


def test_nothing_for_what_closes_over_nothing() -> None:
    def plain() -> None:
        pass

    assert closure_variables(plain) == {}
    assert closure_variables(len) == {}
    assert closure_variables(AdminGuard) == {}


def test_a_variable_not_assigned_yet_is_left_out() -> None:
    def outer() -> object:
        def inner() -> object:
            return (early, late)

        early = 1
        found = closure_variables(inner)
        late = 2
        return found, late

    assert outer() == ({"early": 1}, 2)

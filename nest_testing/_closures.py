"""What a closure PyNest or FastAPI made closes over, read from its cells.

PyNest keeps per-route state in closures (a guard's class in `as_dependency()`, a
route's filter list, a parameter's `ParamMetadata`) and FastAPI nests lifespans as
closures; the toolkit reads those values back. `inspect.getclosurevars` would do it,
but it also resolves every global and builtin name the code uses, for values we never
read.
"""

from __future__ import annotations

from typing import Any


def closure_variables(function: Any) -> dict[str, Any]:
    """The free variables of `function` and their values (what
    `inspect.getclosurevars(function).nonlocals` returns); a bound method is read
    through its function; `{}` for anything that closes over nothing (a plain
    function, a class, a builtin).

    >>> def outer():
    ...     filters = ["a"]
    ...     return lambda: filters
    >>> closure_variables(outer())
    {'filters': ['a']}
    """
    cells = getattr(function, "__closure__", None)
    if not cells:
        return {}
    found: dict[str, Any] = {}
    for name, cell in zip(function.__code__.co_freevars, cells, strict=True):
        try:
            found[name] = cell.cell_contents
        except ValueError:  # an empty cell (not assigned yet): getclosurevars would raise
            continue
    return found

"""The cyclic garbage collector paused while a testing module is compiled.

A compile allocates tens of thousands of long-lived objects (providers, routes, their
validators): every 700 allocations the collector runs, and the older generations it
walks grow with the app, so a compile of a large app spent a growing share in the
collector (a 300 x 20 compile was 25-45% cheaper with it off, a 1,000 x 20 one more).
Reference counting still frees everything acyclic at once; cycles wait for the first
collection after the compile. This module only pauses and restores: the collector is
on again after the block exactly when it was on before it, also when the block raises.
It must not collect, freeze or change thresholds.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Within the block the cyclic collector does not run; after it, it is as before."""
    if not gc.isenabled():  # the user's choice (or an enclosing compile's): left alone
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()

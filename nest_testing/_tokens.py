"""How tokens are named in messages, and the did-you-mean that follows an unknown one.

Every message that names a provider, a module or an InjectionToken names it through
`token_name()`, so a token reads the same in every error. Pure functions of their
arguments: nothing here looks at a graph or raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Iterable

from nest.common.provider import InjectionToken


def token_name(token: object) -> str:
    """The name a user wrote: `Logger`, `InjectionToken('DB_URL')`, `'db_url'`."""
    if isinstance(token, type):
        return token.__name__
    if isinstance(token, InjectionToken):
        return repr(token)
    if isinstance(token, str):
        return repr(token)
    return getattr(token, "__qualname__", None) or repr(token)


def _bare_name(token: object) -> str:
    if isinstance(token, type):
        return token.__name__
    if isinstance(token, InjectionToken):
        return str(token.name)
    return str(token)


def did_you_mean(
    token: object, candidates: Iterable[Hashable], render: Callable[[object], str] = token_name
) -> str:
    """` Did you mean: Logger?` for the closest candidate names, or `""`."""
    by_name: dict[str, Hashable] = {}
    for candidate in candidates:
        by_name.setdefault(_bare_name(candidate).lower(), candidate)
    wanted = _bare_name(token).lower()
    # A suffix every name shares ("...Module", "...Service") makes unrelated names look
    # alike (CacheModule ~ AppModule): compare what comes before it.
    shared = len(_common_suffix([wanted, *by_name]))
    if shared < 4 or shared >= min(len(name) for name in [wanted, *by_name]):
        shared = 0
    stems = {name[: len(name) - shared]: name for name in by_name}
    close = difflib.get_close_matches(wanted[: len(wanted) - shared], stems, n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean: " + ", ".join(render(by_name[stems[stem]]) for stem in close) + "?"


def _common_suffix(names: list[str]) -> str:
    shortest = min(names, key=len)
    length = 0
    while length < len(shortest) and len({name[-length - 1] for name in names}) == 1:
        length += 1
    return shortest[len(shortest) - length :]

"""`builder.app_options(**kwargs)`: the keyword arguments of `PyNestFactory.create`.

`PyNestFactory.create(AppModule, **kwargs)` hands `kwargs` to `FastAPI(**kwargs)`
unchanged, so the options a testing module accepts are exactly the parameters of
`FastAPI.__init__`, read from its signature (never a list of our own). This module
only checks and holds them; it does not build the app (`new_app` does, with the
options every extension gave, these last).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from nest_testing._extensions import ModuleExtension
from nest_testing._tokens import did_you_mean
from nest_testing.errors import UsageError


@functools.cache  # FastAPI's signature is fixed for the process; asked per from_app
def fastapi_parameters() -> tuple[str, ...]:
    """The keyword parameters `FastAPI(...)` names (`**extra` aside)."""
    return tuple(
        name
        for name, parameter in inspect.signature(FastAPI.__init__).parameters.items()
        if name != "self"
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    )


def check_app_options(options: Mapping[str, Any], method: str = "app_options") -> None:
    """Raise `UsageError` for a keyword `FastAPI(...)` does not take.

    FastAPI itself stores unknown keywords in `app.extra` without a word, so a typo
    (`titel=`) would pass silently; here it is an error with a did-you-mean.
    """
    known = fastapi_parameters()
    unknown = [name for name in options if name not in known]
    if unknown:
        lines = [
            f"  {name}=: FastAPI(...) has no such parameter.{did_you_mean(name, known, str)}"
            for name in unknown
        ]
        raise UsageError(
            f"{method}() takes the keyword arguments of PyNestFactory.create(AppModule, "
            "**kwargs), which are FastAPI(...)'s:\n"
            + "\n".join(lines)
            + f"\nFastAPI's parameters: {', '.join(known)}."
        )


class AppOptions(ModuleExtension):
    """The builder's own `app_options(...)`: applied after every other extension's, so
    they win per keyword (over `Test.from_app`'s too)."""

    def __init__(self) -> None:
        self._options: dict[str, Any] = {}

    def update(self, options: Mapping[str, Any]) -> None:
        check_app_options(options)
        self._options.update(options)

    def app_options(self) -> Mapping[str, Any]:
        return dict(self._options)

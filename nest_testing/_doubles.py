"""Test doubles: autospec'd mocks of providers, and spies around real ones.

How a mock or a spy of one provider is made (`unittest.mock` underneath) and the
read-only `module.mocks` / `module.spies` views. Which provider gets a double is
the plan's business, where it is bound the container's; nothing here touches either.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Iterator, Mapping
from typing import Any
from unittest import mock

from nest_testing._tokens import did_you_mean, token_name
from nest_testing.errors import UnknownTokenError


def autospec(cls: type, attrs: dict[str, Any]) -> Any:
    """An instance mock of `cls`: methods keep their signatures, async methods are
    `AsyncMock`, unknown attributes raise `AttributeError`, and nothing the class
    lacks (lifecycle hooks included) is faked into existence.

    `attrs` preconfigures it as `Mock.configure_mock` does:
    `{"send.return_value": True, "name": "fake"}`.
    """
    double = mock.create_autospec(cls, instance=True)
    double.configure_mock(**attrs)
    return double


class Spy:
    """Behaves like the real instance (same results, same exceptions, attributes read and
    written through), while every method call is recorded on a `unittest.mock` object:
    `spy.log.assert_called_with("hi")`.

    `isinstance(spy, RealClass)` holds, as it does for a spec'd mock.
    """

    __slots__ = ("_nest_testing_methods", "_nest_testing_real")

    def __init__(self, real: object) -> None:
        object.__setattr__(self, "_nest_testing_real", real)
        object.__setattr__(self, "_nest_testing_methods", {})

    @property  # type: ignore[misc]  # a property named __class__, as mock.NonCallableMock has
    def __class__(self) -> type:
        return type(object.__getattribute__(self, "_nest_testing_real"))

    def __getattr__(self, name: str) -> Any:
        real = object.__getattribute__(self, "_nest_testing_real")
        methods: dict[str, Any] = object.__getattribute__(self, "_nest_testing_methods")
        if name in methods:
            return methods[name]
        value = getattr(real, name)
        if not inspect.ismethod(value):
            return value  # data attributes are the real ones, read live
        recorder: mock.Mock
        if inspect.iscoroutinefunction(value):
            recorder = mock.AsyncMock(side_effect=value, name=name)
        else:
            recorder = mock.MagicMock(side_effect=value, name=name)
        methods[name] = recorder
        return recorder

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_nest_testing_real"), name, value)

    def __repr__(self) -> str:
        real = object.__getattribute__(self, "_nest_testing_real")
        return f"<spy of {real!r}>"


def spy_on(real: object) -> Any:
    """A `Spy` around `real`."""
    return Spy(real)


class Doubles(Mapping[Hashable, Any]):
    """`module.mocks` / `module.spies`: token -> the double consumers received.

    A token without a double raises `UnknownTokenError` naming the
    tokens that have one.

    Example:
        ```python
        module.mocks[EmailService].send.assert_awaited_once()
        module.spies[Logger].log.assert_called_with("started")
        ```
    """

    def __init__(self, kind: str, plural: str, doubles: dict[Hashable, Any]) -> None:
        self._kind = kind
        self._plural = plural
        self._doubles = doubles

    def __getitem__(self, token: Hashable) -> Any:
        try:
            return self._doubles[token]
        except KeyError:
            have = ", ".join(token_name(t) for t in self._doubles) or "none"
            raise UnknownTokenError(
                f"{token_name(token)} has no {self._kind} in this testing module "
                f"(tokens with one: {have}).{did_you_mean(token, self._doubles)}",
                token=token,
            ) from None

    def __iter__(self) -> Iterator[Hashable]:
        return iter(dict(self._doubles))

    def __len__(self) -> int:
        return len(self._doubles)

    def __repr__(self) -> str:
        inner = ", ".join(f"{token_name(t)}: {d!r}" for t, d in self._doubles.items())
        return f"{self._plural}({{{inner}}})"

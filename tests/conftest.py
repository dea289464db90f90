"""Shared configuration for nest-testing's own suite."""

import fuzz_apps  # noqa: F401  # registers hypothesis profiles before --hypothesis-profile is read
import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _inner_runs_print_as_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest prints the short test summary in full when CI is set (as .ci/run sets it);
    the pytester sessions these tests inspect must print the same everywhere."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)

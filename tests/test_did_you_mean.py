"""Suggestions for a mistyped token: a suffix every name shares is set aside only when it
is long enough to make unrelated names look alike, and shorter than every name."""

import pytest

from nest_testing._tokens import did_you_mean


@pytest.mark.parametrize(
    ("wanted", "candidates", "expected"),
    [
        # "...module" (6 letters) shared: CacheModule is not AppModule's typo
        ("CacheModule", ["AppModule", "CoreModule"], ""),
        # "ger" (3) is part of the names, not a shared ending to set aside
        ("Logger", ["Ledger"], " Did you mean: Ledger?"),
        # the shared suffix is a whole name: nothing would be left to compare
        ("CacheModule", ["Module"], " Did you mean: Module?"),
    ],
    ids=["long-suffix", "short-suffix", "suffix-is-a-name"],
)
def test_did_you_mean_sets_aside_only_a_long_shared_suffix(
    wanted: str, candidates: list[str], expected: str
) -> None:
    assert did_you_mean(wanted, candidates, render=str) == expected

"""The bounded map behind the caches that outlive a testing module."""

from nest_testing._lru import LRU


def test_the_least_recently_used_entry_goes_first_and_is_returned() -> None:
    seen: LRU[str, int] = LRU(2)
    assert seen.put("a", 1) == []
    assert seen.put("b", 2) == []
    assert seen.get("a") == 1  # "a" is now the most recent
    assert seen.put("c", 3) == [2]
    assert seen.get("b") is None
    assert (seen.get("a"), seen.get("c"), len(seen)) == (1, 3, 2)
    assert seen.pop("a") == 1
    assert seen.pop("a") is None
    seen.clear()
    assert len(seen) == 0

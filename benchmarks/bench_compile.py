"""Compare ``Test.create_testing_module(imports=[App]).compile()`` + ``close()`` with
``PyNestFactory.create(App)`` on the same synthetic app, in one process.

Usage::

    python benchmarks/bench_compile.py            # sizes 10x20, 100x20, 300x20
    python benchmarks/bench_compile.py --quick    # sizes 10x20, 100x20, fewer rounds
    python benchmarks/bench_compile.py --json results.json

For each size one app class is built (``synthetic.make_app``) and both sides are measured
on that same class, interleaved: every round measures each size once per side, and the
order of the two sides alternates from round to round so slow drift (thermal, other load)
hits both equally. A warm-up round is run first and thrown away; ``gc.collect()`` runs
before every measurement. Figures are medians over the rounds.

Not like for like, reported as is: ``PyNestFactory.create`` builds the app and runs the
startup hooks but never enters the ASGI lifespan and never shuts down; ``compile()`` also
starts the module's event loop and its ``TestClient`` (lifespan entered), and ``close()``
runs the shutdown hooks and stops both.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

from nest.core import PyNestFactory
from synthetic import make_app

from nest_testing import Test

FULL_SIZES = [(10, 20), (100, 20), (300, 20)]
QUICK_SIZES = [(10, 20), (100, 20)]
FULL_ROUNDS = 9
QUICK_ROUNDS = 5


def _measure_create(app: type) -> dict[str, float]:
    start = time.perf_counter()
    created = PyNestFactory.create(app)
    elapsed = time.perf_counter() - start
    del created
    return {"create": elapsed}


def _measure_compile(app: type) -> dict[str, float]:
    start = time.perf_counter()
    module = Test.create_testing_module(imports=[app]).compile()
    compiled = time.perf_counter()
    module.close()
    closed = time.perf_counter()
    del module
    return {"compile": compiled - start, "close": closed - compiled}


def _run(measure: Callable[[type], dict[str, float]], app: type) -> dict[str, float]:
    gc.collect()
    return measure(app)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _parse_size(text: str) -> tuple[int, int]:
    try:
        modules, providers = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 100x20, not {text!r}") from None
    if modules < 1 or providers < 1:
        raise argparse.ArgumentTypeError(f"size must be positive, not {text!r}")
    return modules, providers


def bench(sizes: list[tuple[int, int]], rounds: int) -> list[dict[str, Any]]:
    apps = {size: make_app(*size) for size in sizes}
    samples: dict[tuple[int, int], dict[str, list[float]]] = {
        size: {"create": [], "compile": [], "close": []} for size in sizes
    }
    errors: dict[tuple[int, int], str] = {}

    for round_no in range(-1, rounds):  # round -1 is the warm-up
        create_first = round_no % 2 == 0
        sides = [_measure_create, _measure_compile]
        if not create_first:
            sides.reverse()
        label = "warm-up" if round_no < 0 else f"round {round_no + 1}/{rounds}"
        print(f"{label}: {'create first' if create_first else 'compile first'}", file=sys.stderr)
        for size in sizes:
            if size in errors:
                continue
            try:
                results = [_run(side, apps[size]) for side in sides]
            except Exception as exc:  # report and go on with the other sizes
                errors[size] = f"{type(exc).__name__}: {exc}"
                print(f"  {size[0]}x{size[1]} failed: {errors[size]}", file=sys.stderr)
                continue
            if round_no < 0:
                continue
            for result in results:
                for key, value in result.items():
                    samples[size][key].append(value)

    rows = []
    for size in sizes:
        modules, providers = size
        row: dict[str, Any] = {
            "size": f"{modules}x{providers}",
            "modules": modules,
            "providers_per_module": providers,
            "providers": modules * providers,
        }
        if size in errors:
            row["error"] = errors[size]
            rows.append(row)
            continue
        data = samples[size]
        totals = [c + d for c, d in zip(data["compile"], data["close"], strict=True)]
        paired = [t / c for t, c in zip(totals, data["create"], strict=True)]
        create = statistics.median(data["create"])
        total = statistics.median(totals)
        row.update(
            {
                "rounds": len(totals),
                "create_ms": create * 1e3,
                "compile_ms": statistics.median(data["compile"]) * 1e3,
                "close_ms": statistics.median(data["close"]) * 1e3,
                "compile_close_ms": total * 1e3,
                "ratio": total / create,
                "paired_ratio_median": statistics.median(paired),
                "paired_ratio_min": min(paired),
                "paired_ratio_max": max(paired),
                "samples_s": {key: list(values) for key, values in data.items()},
            }
        )
        rows.append(row)
    return rows


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pynest-api": _version("pynest-api"),
        "nest-testing": _version("nest-testing"),
        "fastapi": _version("fastapi"),
        "injector": _version("injector"),
        "starlette": _version("starlette"),
    }


def markdown(rows: list[dict[str, Any]], env: dict[str, Any]) -> str:
    lines = [
        f"Python {env['python']}, {env['cpus']} CPUs, pynest-api {env['pynest-api']}, "
        f"nest-testing {env['nest-testing']}. Medians; compare ratios, not times.",
        "",
        "| size | providers | rounds | create (ms) | compile (ms) | close (ms) "
        "| compile+close (ms) | ratio | paired ratio: median [min-max] |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(
                f"| {row['size']} | {row['providers']} | - | - | - | - | - | - "
                f"| failed: {row['error'][:80]} |"
            )
            continue
        lines.append(
            f"| {row['size']} | {row['providers']} | {row['rounds']} "
            f"| {row['create_ms']:.1f} | {row['compile_ms']:.1f} | {row['close_ms']:.1f} "
            f"| {row['compile_close_ms']:.1f} | {row['ratio']:.2f}x "
            f"| {row['paired_ratio_median']:.2f}x "
            f"[{row['paired_ratio_min']:.2f}-{row['paired_ratio_max']:.2f}] |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="sizes 10x20 and 100x20 only, fewer rounds"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help=f"measured rounds (default {FULL_ROUNDS}, {QUICK_ROUNDS} with --quick)",
    )
    parser.add_argument(
        "--sizes",
        type=_parse_size,
        nargs="+",
        default=None,
        metavar="MxP",
        help="app sizes as MODULESxPROVIDERS (overrides --quick's choice)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)

    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    if rounds < 1:
        parser.error("--rounds must be at least 1")

    env = environment()
    rows = bench(sizes, rounds)
    print(markdown(rows, env))

    if args.json:
        payload = {
            "benchmark": "compile+close vs PyNestFactory.create",
            "environment": env,
            "rounds": rounds,
            "results": rows,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
            fh.write("\n")
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

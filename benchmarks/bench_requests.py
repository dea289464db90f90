"""What a request through a testing module's client costs, against a raw client on the
production app, measured side by side in one process.

Usage::

    python benchmarks/bench_requests.py                 # 300 requests per round, 9 rounds
    python benchmarks/bench_requests.py --quick         # 5 rounds
    python benchmarks/bench_requests.py --requests 500 --rounds 15

Two comparisons, each on ``GET /items`` of the seed app (``examples/seed_app``,
``WiredAppModule``):

- **sync**: ``module.client`` of ``Test.create_testing_module(imports=[App]).compile()``
  against a starlette ``TestClient(app.http_server)`` entered with ``with``, where
  ``app = PyNestFactory.create(App)``;
- **async**: ``module.async_client()`` of a module from ``await compile_async()``
  against ``httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app.http_server))``
  on the same kind of production app, both on one event loop.

Clients are opened once, before the first round, and reused: only requests are timed.
Each round sends ``--requests`` requests through each side, in blocks of 10 that
alternate between the sides (toolkit-raw, raw-toolkit, ...; the first block alternates
from round to round), so a burst of load from another process lands on both sides
instead of on one. ``gc.collect()`` runs before every round and the collector is paused
inside it, as ``timeit`` does, so neither side pays for a collection of the other's
garbage; a warm-up round is discarded. The figure is a ratio (toolkit / raw) of the
medians over the rounds, with the per-round paired ratios' median and range; absolute
times are not reported, they mean nothing on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "seed_app"))

import httpx2
from nest.core import PyNestFactory
from seed_app import WiredAppModule
from starlette.testclient import TestClient

from nest_testing import Test

ROUTE = "/items"
REQUESTS = 300
FULL_ROUNDS = 9
QUICK_ROUNDS = 5
BLOCK = 10  # requests per side before switching sides within a round


def paired_ratio(numerator: list[float], denominator: list[float]) -> dict[str, Any]:
    """``median(numerator) / median(denominator)``, and the per-round ratios' median and
    range (the spread says how noisy the run was)."""
    paired = [n / d for n, d in zip(numerator, denominator, strict=True)]
    return {
        "rounds": len(paired),
        "ratio": statistics.median(numerator) / statistics.median(denominator),
        "paired_median": statistics.median(paired),
        "paired_min": min(paired),
        "paired_max": max(paired),
    }


def _progress(label: str, round_no: int, rounds: int) -> None:
    when = "warm-up" if round_no < 0 else f"round {round_no + 1}/{rounds}"
    print(f"  {label} {when}", file=sys.stderr)


def _check(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"GET {ROUTE}: {response.status_code} {response.text}")


def _orders(round_no: int, blocks: int) -> list[tuple[str, str]]:
    """The side order of each block of a round: toolkit-raw, raw-toolkit, ... (ABBA), so
    drift within a round lands on both sides; the first block alternates by round."""
    pair = ("toolkit", "raw")
    return [pair if (block + round_no) % 2 == 0 else pair[::-1] for block in range(blocks)]


def _blocks(requests: int) -> list[int]:
    sizes = [BLOCK] * (requests // BLOCK)
    if requests % BLOCK:
        sizes.append(requests % BLOCK)
    return sizes


def _round(
    sides: dict[str, Callable[[int], float]], requests: int, round_no: int
) -> dict[str, float]:
    totals = dict.fromkeys(sides, 0.0)
    sizes = _blocks(requests)
    gc.collect()
    gc.disable()  # as timeit does: neither side pays for a collection of the other's garbage
    try:
        for size, order in zip(sizes, _orders(round_no, len(sizes)), strict=True):
            for side in order:
                totals[side] += sides[side](size)
    finally:
        gc.enable()
    return totals


async def _around(
    sides: dict[str, Callable[[int], Awaitable[float]]], requests: int, round_no: int
) -> dict[str, float]:
    totals = dict.fromkeys(sides, 0.0)
    sizes = _blocks(requests)
    gc.collect()
    gc.disable()
    try:
        for size, order in zip(sizes, _orders(round_no, len(sizes)), strict=True):
            for side in order:
                totals[side] += await sides[side](size)
    finally:
        gc.enable()
    return totals


def _send(client: TestClient, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        _check(client.get(ROUTE))
    return time.perf_counter() - start


async def _asend(
    client: httpx2.AsyncClient, requests: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    start = clock()
    for _ in range(requests):
        _check(await client.get(ROUTE))
    return clock() - start


def _collect(samples: dict[str, list[float]], results: dict[str, float], round_no: int) -> None:
    if round_no >= 0:  # round -1 is the warm-up
        for side, value in results.items():
            samples[side].append(value)


def _row(name: str, requests: int, samples: dict[str, list[float]]) -> dict[str, Any]:
    return {
        "name": name,
        "requests": requests,
        **paired_ratio(samples["toolkit"], samples["raw"]),
        "samples_s": samples,
    }


def bench_sync(requests: int = REQUESTS, rounds: int = FULL_ROUNDS) -> dict[str, Any]:
    """``module.client`` against ``with TestClient(PyNestFactory.create(App).http_server)``."""
    samples: dict[str, list[float]] = {"toolkit": [], "raw": []}
    app = PyNestFactory.create(WiredAppModule)
    with (
        Test.create_testing_module(imports=[WiredAppModule]).compile() as module,
        TestClient(app.http_server) as raw,
    ):
        client = module.client
        sides: dict[str, Callable[[int], float]] = {
            "toolkit": lambda n: _send(client, n),
            "raw": lambda n: _send(raw, n),
        }
        for round_no in range(-1, rounds):
            _progress("sync", round_no, rounds)
            _collect(samples, _round(sides, requests, round_no), round_no)
    return _row("sync", requests, samples)


async def _against_raw(
    module: Any,
    app: Any,
    name: str,
    requests: int,
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """``module.async_client()`` against a raw ``httpx2.AsyncClient`` on ``app``."""
    samples: dict[str, list[float]] = {"toolkit": [], "raw": []}
    async with (
        module.async_client() as client,
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app.http_server),
            base_url="http://testserver",
        ) as raw,
    ):
        sides: dict[str, Callable[[int], Awaitable[float]]] = {
            "toolkit": lambda n: _asend(client, n, clock),
            "raw": lambda n: _asend(raw, n, clock),
        }
        for round_no in range(-1, rounds):
            _progress(name, round_no, rounds)
            _collect(samples, await _around(sides, requests, round_no), round_no)
    return _row(name, requests, samples)


async def _bench_async(requests: int, rounds: int, app: Any) -> dict[str, Any]:
    module = await Test.create_testing_module(imports=[WiredAppModule]).compile_async()
    try:
        return await _against_raw(module, app, "async", requests, rounds)
    finally:
        await module.aclose()


def bench_async(requests: int = REQUESTS, rounds: int = FULL_ROUNDS) -> dict[str, Any]:
    """``module.async_client()`` (module from ``compile_async()``) against a raw
    ``httpx2.AsyncClient`` over ``ASGITransport`` on the production app, one loop."""
    app = PyNestFactory.create(WiredAppModule)  # outside the loop, as an app's main.py does
    return asyncio.run(_bench_async(requests, rounds, app))


async def _bench_async_thread(requests: int, rounds: int, app: Any) -> dict[str, Any]:
    cpu = time.process_time  # every thread of the process: the module's loop thread too
    with Test.create_testing_module(imports=[WiredAppModule]).compile() as module:
        return await _against_raw(module, app, "async-thread", requests, rounds, cpu)


def bench_async_thread(requests: int = REQUESTS, rounds: int = FULL_ROUNDS) -> dict[str, Any]:
    """``module.async_client()`` of a ``compile()`` module (its loop in a thread of its
    own) against a raw ``httpx2.AsyncClient`` on the test's loop, in CPU time."""
    app = PyNestFactory.create(WiredAppModule)
    return asyncio.run(_bench_async_thread(requests, rounds, app))


def bench(requests: int = REQUESTS, rounds: int = FULL_ROUNDS) -> list[dict[str, Any]]:
    return [
        bench_sync(requests, rounds),
        bench_async(requests, rounds),
        bench_async_thread(requests, rounds),
    ]


LABELS = {
    "sync": "`module.client` vs `with TestClient(app.http_server)`",
    "async": "`module.async_client()` vs `httpx2.AsyncClient(ASGITransport(app.http_server))`",
    "async-thread": "`module.async_client()` of a `compile()` module vs the same raw "
    "`httpx2.AsyncClient`, CPU time",
}


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"`GET {ROUTE}` on the seed app (`WiredAppModule`); ratio = toolkit / raw, "
        "median over rounds.",
        "",
        "| comparison | requests per round | rounds | ratio | paired ratio: median [min-max] |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {LABELS[row['name']]} | {row['requests']} | {row['rounds']} "
            f"| {row['ratio']:.3f}x | {row['paired_median']:.3f}x "
            f"[{row['paired_min']:.3f}-{row['paired_max']:.3f}] |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="requests per round")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help=f"measured rounds (default {FULL_ROUNDS}, {QUICK_ROUNDS} with --quick)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    if rounds < 1 or args.requests < 1:
        parser.error("--rounds and --requests must be at least 1")
    print(markdown(bench(args.requests, rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

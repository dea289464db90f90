"""The rows of bench_all.py added for issue 16: scaling slopes, Depends counting in
instructions, `Test.from_app` against the same module without it.

Each `measure_*` returns a JSON-able dict; `rows(results)` turns the ones present into
table rows in bench_all's format. Kept apart so bench_all stays one command without
growing further.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from typing import Any

import bench_depends
import bench_instructions
import bench_scaling
import bench_suite
from nest.core import PyNestFactory
from synthetic import make_app

from nest_testing import Test

SLOPE_TARGET = 1.05
DEPENDS_TARGET = 1.05
NO_CLASS_TARGET = 1.00
FROM_APP_TARGET = 1.05
DEEP_CHAIN = (10, 20)  # the deepest provider of a 10x20 app is 200 providers deep


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_scaling(sizes: list[tuple[int, int]], rounds: int) -> dict[str, Any]:
    log("scaling: create, compile cache off/on, lazy, in CPU time")
    rows = bench_scaling.measure(sizes, rounds)
    sides = ("create", "cache off", "cache on", "lazy")
    slopes = {side: bench_scaling.slope(rows, side) for side in sides}
    app = make_app(*DEEP_CHAIN)
    deepest = app.__synthetic__.providers[-1][-1]
    try:
        with Test.create_testing_module(imports=[app]).lazy().compile() as module:
            module.get(deepest)
            deep = f"ok ({len(module.constructions)} providers built by one get())"
    except Exception as exc:  # reported in the table
        deep = f"failed: {type(exc).__name__}"
    return {"rows": rows, "slopes": slopes, "deep_lazy_chain": deep}


def measure_depends(requests: int) -> dict[str, Any] | None:
    if not bench_instructions.available():
        log("depends: valgrind is not installed; row skipped")
        return None
    log("depends: per-request instructions under callgrind")
    return bench_depends.measure(requests)


def measure_from_app(size: tuple[int, int], rounds: int) -> dict[str, Any]:
    """`Test.from_app(app).compile()+close()` against
    `Test.create_testing_module(imports=[App]).compile()+close()`, CPU time, interleaved."""
    log(f"from_app: {size[0]}x{size[1]}")
    root = make_app(*size)
    deployed = PyNestFactory.create(root)
    sides = {
        "from_app": lambda: Test.from_app(deployed).compile().close(),
        "imports": lambda: Test.create_testing_module(imports=[root]).compile().close(),
    }
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for round_no in range(-1, rounds):
        order = list(sides) if round_no % 2 else list(sides)[::-1]
        for name in order:
            gc.collect()
            start = time.process_time()
            sides[name]()
            if round_no >= 0:
                samples[name].append(time.process_time() - start)
    paired = [a / b for a, b in zip(samples["from_app"], samples["imports"], strict=True)]
    return {
        "size": f"{size[0]}x{size[1]}",
        "rounds": rounds,
        "ratio": statistics.median(samples["from_app"]) / statistics.median(samples["imports"]),
        "paired_median": statistics.median(paired),
        "paired_min": min(paired),
        "paired_max": max(paired),
    }


def measure_isolation(rounds: int, quick: bool) -> list[dict[str, Any]]:
    """Issue 16 target 1: 300-test suites on synthetic apps, per-test `nest_app` against
    one shared app and against per-test `PyNestFactory.create` (quick: one round, and
    the per-test create side only at the smaller size: 300 creates of 100x20 take
    minutes)."""
    log("isolation: per-test nest_app vs one shared app vs per-test create, 300-test suites")
    rows = []
    for size in bench_suite.SYNTHETIC_SIZES:
        for kind in bench_suite.KINDS:
            skip = ("create",) if quick and size != bench_suite.SYNTHETIC_SIZES[0] else ()
            rows.append(
                bench_suite.bench_synthetic(
                    size, kind, bench_suite.TESTS, 1 if quick else rounds, skip=skip
                )
            )
    return rows


def _collector_note(row: dict[str, Any], side: str) -> str:
    """The cyclic collector's CPU time in both runs (medians), where it was measured."""
    per_test = row.get("collector_s", {}).get("per_test") or []
    other = row.get("collector_s", {}).get(side) or []
    if not per_test or not other or None in per_test or None in other:
        return ""  # an earlier --json file, or a run that did not report it
    cpu = row["cpu_s"]
    return (
        f"; cyclic collector {statistics.median(per_test):.1f} s of "
        f"{statistics.median(cpu['per_test']):.1f} s against "
        f"{statistics.median(other):.1f} s of {statistics.median(cpu[side]):.1f} s"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def rows(results: dict[str, Any]) -> list[list[str]]:
    out: list[list[str]] = []
    scaling = results.get("scaling")
    if scaling:
        sizes = ", ".join(r["size"] for r in scaling["rows"])
        failed = [f"{r['size']}: {r['error']}" for r in scaling["rows"] if "error" in r]
        for side, label in (
            ("cache off", "compile()+close(), cache off"),
            ("cache on", "compile()+close(), cache on (warm)"),
            ("lazy", "lazy compile + get(leaf) + close()"),
        ):
            slope = scaling["slopes"][side]
            out.append(
                [
                    "9",
                    f"scaling: log-log slope of CPU time, {label}",
                    f"<= {SLOPE_TARGET:.2f}",
                    "-" if slope is None else f"{slope:.2f}",
                    "-",
                    _verdict(slope is not None and slope <= SLOPE_TARGET and not failed),
                    f"sizes {sizes} (x20 for the slope; `create` itself "
                    f"{scaling['slopes']['create']:.2f}); GC on; "
                    + ("; ".join(failed) if failed else "every size built")
                    + (
                        f"; lazy get() of a 200-deep chain: {scaling['deep_lazy_chain']}"
                        if side == "lazy"
                        else ""
                    ),
                ]
            )
    depends = results.get("depends")
    if depends:
        per = depends["instructions_per_request"]
        for route, target, label in (
            ("class", DEPENDS_TARGET, "a route with `Depends(Class)` (counted)"),
            ("function", NO_CLASS_TARGET, "a route with only a function dependency"),
        ):
            ratio = depends[f"{route}_ratio"]
            out.append(
                [
                    "10",
                    f"one request, {label}, module's app / production app, in instructions",
                    f"<= {target:.2f}",
                    f"{ratio:.3f}x",
                    "-",
                    _verdict(round(ratio, 2) <= target),
                    f"callgrind, {depends['requests']} requests: "
                    f"{per['counted ' + route] / 1e3:.0f}k against "
                    f"{per['raw ' + route] / 1e3:.0f}k instructions per request",
                ]
            )
    for row in results.get("isolation") or []:
        for side, name in bench_suite.SIDE_NAMES.items():
            stats = row.get(f"vs_{side}")
            if stats is None:
                continue
            cpu, wall = stats["cpu"], stats["wall"]
            target = bench_suite.side_target(side)
            out.append(
                [
                    "12",
                    f"{row['tests']}-test suite, {row['kind']} tests, {row['size']}: "
                    f"per-test `nest_app` / {name}, CPU time",
                    f"<= {target:.2f}",
                    f"{cpu['ratio']:.2f}x",
                    f"{cpu['paired_median']:.2f}x "
                    f"[{cpu['paired_min']:.2f}-{cpu['paired_max']:.2f}]",
                    _verdict(max(cpu["ratio"], cpu["paired_median"]) <= target),
                    f"wall time {wall['ratio']:.2f}x; {row['rounds']} rounds"
                    + _collector_note(row, side),
                ]
            )
    from_app = results.get("from_app")
    if from_app:
        out.append(
            [
                "11",
                f"`Test.from_app(app)` compile()+close() / the same module by imports, "
                f"{from_app['size']}",
                f"<= {FROM_APP_TARGET:.2f}",
                f"{from_app['ratio']:.2f}x",
                f"{from_app['paired_median']:.2f}x "
                f"[{from_app['paired_min']:.2f}-{from_app['paired_max']:.2f}]",
                _verdict(max(from_app["ratio"], from_app["paired_median"]) <= FROM_APP_TARGET),
                f"CPU time, cache on, {from_app['rounds']} rounds",
            ]
        )
    return out


EXPLANATIONS = """\
7. **Scaling** (`benchmarks/bench_scaling.py`): for each size one synthetic app, the sides
   interleaved in CPU time (`time.process_time`), the garbage collector on as in a real
   session: `PyNestFactory.create`; `compile()+close()` with the blueprint cache off;
   a warm repeat `compile()+close()` with it on; `.lazy().compile()`, `get()` of a leaf
   provider, `close()`. The figure is the least-squares slope of log(CPU time) against
   log(providers) over the `x20` sizes: 1.0 is linear. The notes say whether every size
   (1,000 modules in the full run) was built, and whether a lazy `get()` of the top of a
   200-provider chain works.
8. **Counting `Depends(SomeClass)`** (`benchmarks/bench_depends.py`): instructions per
   request under callgrind (fresh interpreters; a 0-request run subtracted; the
   collector run once before the counted requests, as before every round of row 2), a raw
   `TestClient` on a compiled module's app against one on `PyNestFactory.create`'s, for
   a route taking `Depends(Session)` (which takes `Depends(Settings)`) and for a route
   taking only a function dependency. Both apps are started, the production one with its
   lifespan running in an entered `TestClient` as a deployed app's runs: the measuring
   client, never entered, opens and closes an event loop per request, and closing one
   walks every task of the process, so an app started on one side only would be
   measured as a per-request cost of the other.
9. **`Test.from_app`**: `Test.from_app(PyNestFactory.create(App)).compile()+close()`
   against `Test.create_testing_module(imports=[App]).compile()+close()`, CPU time,
   interleaved, cache on.
10. **Per-test isolation** (`benchmarks/bench_suite.py --synthetic`): 300 generated
   tests on a synthetic app (10x20, 100x20), one file per side, each run with
   `python -m pytest -q` in a subprocess, interleaved: an HTTP test (`GET` through
   `nest_client`) and a service-only test (`nest_app.get(Service)`), with the
   plugin's per-test `nest_app`; the same test bodies on one module-scoped
   `compile()` (and, for HTTP, `PyNestFactory.create` once + one `TestClient`); and
   `PyNestFactory.create` + `TestClient` per test. The figure is CPU time of the
   pytest process (all threads), per-test / the other side; the notes give the
   cyclic garbage collector's share of each run (timed with `gc.callbacks`).
"""

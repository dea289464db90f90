"""Per-request cost of counting `Depends(SomeClass)`, in instructions (valgrind callgrind).

    python benchmarks/bench_depends.py [--requests 200]

One small PyNest app with two routes: `GET /class` takes `Depends(Session)` (a class that
itself takes `Depends(Settings)`), `GET /function` takes only a function dependency.
Each is requested `--requests` times through a raw starlette `TestClient` (never
entered) on two started apps: `PyNestFactory.create(App).http_server` (uncounted: what
production runs; its lifespan running in another, entered, `TestClient`, as a deployed
app's runs) and a compiled testing module's `module.app.http_server` (every
`Depends(Class)` counted; the module's lifespan runs on its loop). Both started: the
measuring client opens and closes an event loop per request, and closing one walks every
task of the process (`asyncio.all_tasks()`), so a started app on one side only would
count as a per-request cost of the other (0.5% of a request, before both were started).
Each measurement is a fresh interpreter under callgrind,
instrumented only around the requests (`--instr-atstart=no`, then
`callgrind_control -i on`, after a `gc.collect()`); the same workload with 0 requests
is subtracted, so the figure is instructions per request.
Instruction counts do not move with the machine's load. Needs `valgrind`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bench_instructions

WORKLOAD = r"""
import os, sys
from fastapi import Depends
from nest.core import Controller, Get, Module, PyNestFactory
from starlette.testclient import TestClient
from nest_testing import Test

class Settings:
    def __init__(self) -> None:
        self.name = "real"

class Session:
    def __init__(self, settings: Settings = Depends(Settings)) -> None:
        self.settings = settings

def token() -> str:
    return "t"

@Controller("/")
class C:
    @Get("/class")
    def with_class(self, session: Session = Depends(Session)) -> dict:
        return {"name": session.settings.name}

    @Get("/function")
    def with_function(self, value: str = Depends(token)) -> dict:
        return {"value": value}

@Module(controllers=[C])
class App:
    pass

mode, route, requests = sys.argv[1], sys.argv[2], int(sys.argv[4])
if mode == "counted":
    module = Test.create_testing_module(imports=[App]).compile()
    server = module.app.http_server
else:
    server = PyNestFactory.create(App).http_server
    # Started, as a deployed app is (its lifespan running): both sides then hold a
    # started app's idle tasks (its lifespan, the host of the loop it runs on; the
    # module one more), which the measuring client's per-request loop scans as it closes.
    TestClient(server).__enter__()
client = TestClient(server)
for _ in range(3):  # first requests: FastAPI's and starlette's lazy set-up
    client.get("/" + route)
import subprocess
def instrument(on):  # count only the requests: start-up runs uninstrumented (fast)
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                   check=True, capture_output=True)
# As bench_requests does before every round: a collection of what the set-up left young
# (a compile pauses the collector, so its objects are all young at this point) is a
# one-off cost of the set-up, not of a request.
import gc
gc.collect()
instrument(True)
for _ in range(requests):
    client.get("/" + route)
instrument(False)
sys.stdout.flush()
os._exit(0)
"""


def measure(requests: int, pythonpath: str | None = None) -> dict[str, Any]:
    env = dict(os.environ, PYTHONHASHSEED="0")  # same dict layouts on both sides
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    per: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "workload.py"
        script.write_text(WORKLOAD)
        runs = [
            (m, r, n)
            for r in ("class", "function")
            for m in ("raw", "counted")
            for n in (requests, 0)
        ]

        def run(mode: str, route: str, n: int) -> int:
            print(f"  {mode} GET /{route}, {n} requests, under callgrind ...", file=sys.stderr)
            # argv of the workload: mode, route (as "modules"), iterations, requests
            return bench_instructions.instructions(  # type: ignore[arg-type]
                script, mode, route, n, 0, env, ("--instr-atstart=no",)
            )

        with ThreadPoolExecutor(2) as pool:  # counts do not depend on the load
            counts = dict(zip(runs, pool.map(lambda args: run(*args), runs), strict=True))
        for mode, route, n in runs:
            if n:
                per[f"{mode} {route}"] = (counts[(mode, route, n)] - counts[(mode, route, 0)]) / n
    return {
        "requests": requests,
        "instructions_per_request": per,
        "class_ratio": per["counted class"] / per["raw class"],
        "function_ratio": per["counted function"] / per["raw function"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pythonpath", default=None, help="measure another checkout")
    args = parser.parse_args()
    if not bench_instructions.available():
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    result = measure(args.requests, args.pythonpath)
    per = result["instructions_per_request"]
    print("| route | uncounted (k instr./request) | counted | ratio |")
    print("|---|---:|---:|---:|")
    for route in ("class", "function"):
        print(
            f"| GET /{route} | {per['raw ' + route] / 1e3:.0f} | "
            f"{per['counted ' + route] / 1e3:.0f} | {result[route + '_ratio']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

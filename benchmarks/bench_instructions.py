"""Instruction counts (valgrind callgrind) for compile() against PyNestFactory.create.

    python benchmarks/bench_instructions.py [--sizes 10x20 100x20] [--iterations 3]

Wall-clock ratios on a shared 2-core machine swing by 30% or more between runs; the
number of instructions executed does not. Each measurement runs a fresh interpreter
under callgrind that imports everything, builds the synthetic app, then does the work
``--iterations`` times; a baseline run that stops before the work is subtracted. Needs
``valgrind`` (Debian package). Slow: about 50x a normal run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOAD = r"""
import os, sys
sys.path.insert(0, {benchmarks!r})
from synthetic import make_app
from nest.core import PyNestFactory
from nest_testing import Test
import starlette.testclient, asgi_lifespan  # imported before the measured work
mode, modules, iterations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
providers = int(sys.argv[4])
App = make_app(modules, providers)
kept = []
for _ in range(iterations if mode != "base" else 0):
    if mode == "create":
        PyNestFactory.create(App)
    elif mode == "compile":
        kept.append(Test.create_testing_module(imports=[App]).compile())
    elif mode == "compile+close":
        Test.create_testing_module(imports=[App]).compile().close()
sys.stdout.flush()
os._exit(0)  # modules kept open are not closed: their shutdown is not part of compile()
"""

MODES = ("base", "create", "compile", "compile+close")


def instructions(script: Path, mode: str, modules: int, providers: int, iterations: int) -> int:
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}/callgrind.out",
                sys.executable,
                str(script),
                mode,
                str(modules),
                str(iterations),
                str(providers),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{result.stderr}")
    return int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10x20", "100x20"])
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    benchmarks = str(Path(__file__).resolve().parent)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "workload.py"
        script.write_text(WORKLOAD.format(benchmarks=benchmarks))
        print("| size | create (M instr.) | compile | ratio | compile+close | ratio |")
        print("|---|---:|---:|---:|---:|---:|")
        for size in args.sizes:
            modules, providers = (int(n) for n in size.split("x"))
            counts = {}
            for mode in MODES:
                print(f"  {size} {mode} ...", file=sys.stderr)
                counts[mode] = instructions(script, mode, modules, providers, args.iterations)
            per = {mode: (counts[mode] - counts["base"]) / args.iterations / 1e6 for mode in MODES}
            print(
                f"| {size} | {per['create']:.0f} | {per['compile']:.0f} "
                f"| {per['compile'] / per['create']:.2f} | {per['compile+close']:.0f} "
                f"| {per['compile+close'] / per['create']:.2f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

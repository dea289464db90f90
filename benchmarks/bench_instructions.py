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
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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


def instructions(
    script: Path,
    mode: str,
    modules: int,
    providers: int,
    iterations: int,
    env: dict[str, str],
    options: tuple[str, ...] = (),
) -> int:
    """Instructions valgrind collected running `script`; `options` go to valgrind (e.g.
    `--instr-atstart=no` for a script that turns instrumentation on itself)."""
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}/callgrind.out",
                *options,
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
            env=env,
        )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{result.stderr}")
    return int(match.group(1))


def available() -> bool:
    return shutil.which("valgrind") is not None


def count(
    sizes: list[tuple[int, int]], iterations: int, cache: bool | None = None
) -> list[dict[str, Any]]:
    """Millions of instructions per iteration of each mode, per size, and the ratios to
    ``create``. ``cache`` sets ``NEST_TESTING_BLUEPRINT_CACHE`` for the workload (None:
    as in this process's environment)."""
    env = dict(os.environ)
    if cache is not None:
        env["NEST_TESTING_BLUEPRINT_CACHE"] = "1" if cache else "0"
    benchmarks = str(Path(__file__).resolve().parent)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "workload.py"
        script.write_text(WORKLOAD.format(benchmarks=benchmarks))
        for modules, providers in sizes:
            counts = {}
            for mode in MODES:
                print(f"  {modules}x{providers} {mode} under callgrind ...", file=sys.stderr)
                counts[mode] = instructions(script, mode, modules, providers, iterations, env)
            per = {m: (counts[m] - counts["base"]) / iterations / 1e6 for m in MODES}
            rows.append(
                {
                    "size": f"{modules}x{providers}",
                    "iterations": iterations,
                    "millions": {m: per[m] for m in MODES if m != "base"},
                    "compile_vs_create": per["compile"] / per["create"],
                    "compile_close_vs_create": per["compile+close"] / per["create"],
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10x20", "100x20"])
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args()
    if not available():
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    sizes = [tuple(int(n) for n in size.split("x")) for size in args.sizes]
    print("| size | create (M instr.) | compile | ratio | compile+close | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in count([(m, p) for m, p in sizes], args.iterations):
        per = row["millions"]
        print(
            f"| {row['size']} | {per['create']:.0f} | {per['compile']:.0f} "
            f"| {row['compile_vs_create']:.2f} | {per['compile+close']:.0f} "
            f"| {row['compile_close_vs_create']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

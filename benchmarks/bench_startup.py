"""What loading the nest-testing plugin costs a pytest session that never uses it.

Usage::

    python benchmarks/bench_startup.py              # 15 rounds
    python benchmarks/bench_startup.py --rounds 30

A temporary project with one test that uses no nest fixture (``def test_one(): pass``)
and a ``pytest.ini`` that configures an app (``nest_app_module =
seed_app:WiredAppModule``, as a real project's would), run as ``python -m pytest -q -p
no:randomly -p no:cacheprovider`` in a subprocess, with the plugin (as installed) and
with ``-p no:nest_testing``. One warm-up run of each (bytecode caches filled), then the
order alternates round by round. The figure is the ratio of median wall times (with /
without), with the per-round paired ratios, and the ratio of median CPU times (user +
system), which the load of a shared machine moves less. Target: <= 1.10. Every run must pass its
test, or the benchmark stops.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET = 1.10
ROOT = Path(__file__).resolve().parents[1]
SIDES = {"with plugin": [], "-p no:nest_testing": ["-p", "no:nest_testing"]}


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(project: Path, extra: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p"]
    command += ["no:cacheprovider", *extra, "test_one.py"]
    cpu, start = _cpu_of_children(), time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _cpu_of_children() - cpu
    if done.returncode != 0 or "1 passed" not in done.stdout:
        raise SystemExit(f"bench_startup: {' '.join(command)} failed:\n{done.stdout}")
    return elapsed, cpu


def bench(rounds: int) -> dict[str, Any]:
    """Median wall times of both sides, their ratio and the paired per-round ratios."""
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    cpu: dict[str, list[float]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "pytest.ini").write_text(
            "[pytest]\nnest_app_module = seed_app:WiredAppModule\n"
            f"pythonpath = {ROOT / 'examples' / 'seed_app'}\n"
            "asyncio_default_fixture_loop_scope = function\n",
            encoding="utf-8",
        )
        (project / "test_one.py").write_text("def test_one():\n    pass\n", encoding="utf-8")
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(project / "pycache")}
        names = list(SIDES)
        for round_no in range(-1, rounds):
            order = names if round_no % 2 == 0 else names[::-1]
            for side in order:
                elapsed, used = _run(project, SIDES[side], env)
                if round_no >= 0:
                    samples[side].append(elapsed)
                    cpu[side].append(used)
    with_plugin, without = samples["with plugin"], samples["-p no:nest_testing"]
    paired = sorted(a / b for a, b in zip(with_plugin, without, strict=True))
    return {
        "rounds": rounds,
        "with_s": statistics.median(with_plugin),
        "without_s": statistics.median(without),
        "ratio": statistics.median(with_plugin) / statistics.median(without),
        "paired_median": statistics.median(paired),
        "paired_min": paired[0],
        "paired_max": paired[-1],
        # CPU time moves less than wall time with the load of a shared machine.
        "cpu_ratio": statistics.median(cpu["with plugin"])
        / statistics.median(cpu["-p no:nest_testing"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    result = bench(args.rounds)
    met = max(result["ratio"], result["paired_median"]) <= TARGET
    verdict = "met" if met else "NOT MET"
    print(
        f"pytest start-up, one test, with the plugin / -p no:nest_testing: "
        f"{result['ratio']:.3f}x (target <= {TARGET:.2f}: {verdict}); paired "
        f"{result['paired_median']:.3f} [{result['paired_min']:.3f}-{result['paired_max']:.3f}]; "
        f"medians "
        f"{result['with_s']:.3f}s / {result['without_s']:.3f}s; CPU time "
        f"{result['cpu_ratio']:.3f}x; {result['rounds']} rounds"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

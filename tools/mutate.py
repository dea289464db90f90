"""Mutation testing for nest_testing: does the suite notice when the code is wrong?

A small AST mutator (mutmut 3 was tried first: see docs/architecture.md). It
copies the working tree to a scratch workspace once, measures which tests execute
which line (coverage with one context per test), then for a seeded sample of mutants
per file writes one mutant at a time into the *workspace copy* of the file and runs
only the tests that execute the mutated line:

    python -m pytest -x -q -p no:randomly <those tests>     (timeout per mutant)

A mutant is *killed* when that run fails, *timeout* when it exceeds the timeout
(counted as killed, reported apart), *survived* when it passes, *uncovered* when no
test executes the line (counted as survived). Known-equivalent mutants are listed in
tools/mutants_equivalent.txt with a reason each and left out of the rate:

    kill rate = (killed + timeout) / (total - equivalent)

Only code inside functions is mutated (module and class bodies run at import, where
any mutation breaks every test or none). Operators: comparison flips (< <=, == !=,
is / is not, in / not in), and/or, `not` removal, negated if/while conditions,
integer constants off by one (incl. [0]/[1] indexing), True/False, `return X` ->
`return None`, removal of a call, await, raise or augmented assignment.

Usage (from the repository root, venv active):

    python tools/mutate.py                       # every file, --per-file 5, --seed 1 (~15 min)
    python tools/mutate.py --files _tokens.py _lifecycle.py --per-file 30
    python tools/mutate.py --resume              # re-run only last run's survivors
    python tools/mutate.py --list _tokens.py     # show the mutants, run nothing

The real tree is never written: the workspace lives in a temporary directory and is
removed at the end; the mutated copy is restored in `finally` after every mutant.
Results go to .mutate/results.json (git-ignored) for --resume.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "nest_testing"
EQUIVALENT_FILE = ROOT / "tools" / "mutants_equivalent.txt"
STATE_DIR = ROOT / ".mutate"
IMPORT_TIME = "<import>"
ALL_TESTS: set[str] = set()  # every test id, from the coverage run

_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


# ---------------------------------------------------------------- the pytest plugin
# Loaded as `-p mutate` in the coverage run: one coverage context per test, switched
# for every thread (the testing module's loop thread runs hooks and the lifespan, so
# coverage's own per-thread `test_function` context would miss them).


def pytest_runtest_protocol(item: Any, nextitem: Any) -> None:
    import coverage

    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(item.nodeid)


_durations: dict[str, float] = {}


def pytest_runtest_logreport(report: Any) -> None:
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: Any) -> None:
    path = os.environ.get("MUTATE_DURATIONS")
    if path:
        Path(path).write_text(json.dumps(_durations))


# ---------------------------------------------------------------- mutants


@dataclasses.dataclass(frozen=True)
class Mutant:
    file: str  # nest_testing/_x.py
    line: int
    qualname: str
    kind: str
    before: str
    after: str
    start: tuple[int, int]
    end: tuple[int, int]

    @property
    def key(self) -> str:
        """Stable across line moves: file, function, and the text change."""
        return f"{self.file} | {self.qualname} | {self.before} -> {self.after}"

    def describe(self) -> str:
        where = f"{self.file}:{self.line} [{self.qualname}]"
        return f"{where} {self.kind}: {self.before!r} -> {self.after!r}"


class _Collector(ast.NodeVisitor):
    def __init__(self, file: str, source: str) -> None:
        self.file = file
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.stack: list[str] = []
        self.in_function = 0
        self.skip = 0
        self.found: list[Mutant] = []

    def _segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def _add(self, node: ast.AST, kind: str, after: str) -> None:
        if not self.in_function or self.skip:
            return
        before = self._segment(node)
        if not before or before == after:
            return
        self.found.append(
            Mutant(
                file=self.file,
                line=node.lineno,  # type: ignore[attr-defined]
                qualname=".".join(self.stack) or "<module>",
                kind=kind,
                before=" ".join(before.split()),
                after=after,
                start=(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                end=(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
            )
        )

    # scopes
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.stack.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        self.stack.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.stack.append(node.name)
        self.in_function += 1
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        for stmt in body:
            self.visit(stmt)
        self.in_function -= 1
        self.stack.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.body)

    # places never mutated
    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # message text; positions inside f-strings are unreliable on 3.11

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
            return
        self._negate(test)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def _negate(self, test: ast.expr) -> None:
        if isinstance(test, ast.Compare | ast.BoolOp | ast.UnaryOp | ast.Constant):
            return  # the operators below cover these
        self._add(test, "negate condition", f"(not {self._segment(test)})")

    def visit_Assign(self, node: ast.Assign) -> None:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if names == ["__tracebackhide__"]:
            return  # pytest display only
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "cast":
            for arg in node.args[1:]:
                self.visit(arg)
            return
        self.generic_visit(node)

    # operators
    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            flipped = _FLIP.get(type(op))
            if flipped is None:
                continue
            copy = ast.Compare(left=node.left, ops=list(node.ops), comparators=node.comparators)
            copy.ops[i] = flipped()
            self._add(node, "comparison", f"({ast.unparse(copy)})")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self._add(node, "and/or", f"({ast.unparse(ast.BoolOp(op=other, values=node.values))})")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._add(node, "not removed", f"({self._segment(node.operand)})")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self._add(node, "bool", str(not value))
        elif isinstance(value, int):
            for other in sorted({value + 1, value - 1 if value != 0 else value + 1}):
                self._add(node, "number", f"({other})")

    def visit_Subscript(self, node: ast.Subscript) -> None:
        index = node.slice
        if isinstance(index, ast.Constant) and type(index.value) is int:
            base = self._segment(node.value)
            for other in sorted({index.value + 1, index.value - 1 if index.value else 1}):
                self._add(node, "index", f"{base}[{other}]")
            self.visit(node.value)
            return
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            self._add(node, "return None", "return None")
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call | ast.Await):
            self._add(node, "statement removed", "pass")
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self._add(node, "statement removed", "pass")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._add(node, "statement removed", "pass")
        self.generic_visit(node)


def mutants_of(file: str, source: str) -> list[Mutant]:
    collector = _Collector(file, source)
    collector.visit(ast.parse(source))
    seen: dict[str, int] = {}
    result = []
    for mutant in collector.found:
        # Same text change twice in one function: number the copies so keys stay unique.
        n = seen.get(mutant.key, 0)
        seen[mutant.key] = n + 1
        if n:
            mutant = dataclasses.replace(mutant, after=f"{mutant.after}  # {n}")
        if _compiles(apply(source, mutant)):
            result.append(mutant)
    return result


def apply(source: str, mutant: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    (l1, c1), (l2, c2) = mutant.start, mutant.end
    # Columns are UTF-8 byte offsets.
    head = "".join(lines[: l1 - 1]) + lines[l1 - 1].encode()[:c1].decode()
    tail = lines[l2 - 1].encode()[c2:].decode() + "".join(lines[l2:])
    after = mutant.after.split("  # ")[0]
    return head + after + tail


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True


# ---------------------------------------------------------------- equivalents


def load_equivalent() -> dict[str, str]:
    equivalent: dict[str, str] = {}
    if not EQUIVALENT_FILE.exists():
        return equivalent
    for raw in EQUIVALENT_FILE.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        key, _, reason = raw.partition("  ## ")
        if not reason.strip():
            raise SystemExit(f"{EQUIVALENT_FILE}: no reason given for {key!r}")
        equivalent[key.strip()] = reason.strip()
    return equivalent


# ---------------------------------------------------------------- workspace


def make_workspace(ref: str | None = None) -> Path:
    """A copy of the tree (tracked and untracked files), or of commit `ref`."""
    workspace = Path(tempfile.mkdtemp(prefix="nt-mutate-"))
    if ref is not None:
        archive = subprocess.run(
            ["git", "archive", ref], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(workspace)], input=archive, check=True)
        return workspace
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = workspace / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return workspace


def _env(workspace: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The workspace copy of nest_testing wins over the editable install of the tree.
    # This file's folder: `-p mutate` (a --ref commit may predate it).
    env["PYTHONPATH"] = os.pathsep.join([str(workspace), str(Path(__file__).resolve().parent)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def measure_contexts(workspace: Path) -> tuple[dict[str, dict[int, list[str]]], dict[str, float]]:
    """Which tests execute which line ({file: {line: [nodeid, ...]}}) and how long each takes."""
    print("measuring coverage per test (one full suite run) ...", flush=True)
    data_file = workspace / ".coverage.mutate"
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--data-file={data_file}",
            f"--source={PACKAGE}",
            "--concurrency=thread",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "mutate",
            "-p",
            "no:cacheprovider",
        ],
        cwd=workspace,
        env={**_env(workspace), "MUTATE_DURATIONS": str(workspace / "durations.json")},
        stdout=subprocess.DEVNULL,
        check=False,
    )
    import coverage

    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    result: dict[str, dict[int, list[str]]] = {}
    for measured in data.measured_files():
        rel = Path(measured).resolve().relative_to(workspace.resolve()).as_posix()
        by_line = data.contexts_by_lineno(measured)
        # "" is the time between tests: imports and collection. A line run only then
        # (module-level objects' __init__, say) is tried against the whole suite.
        result[rel] = {
            line: sorted(c if c else IMPORT_TIME for c in ctx) for line, ctx in by_line.items()
        }
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    if not (workspace / "durations.json").exists():
        raise SystemExit("the coverage run of the suite did not finish; run it alone to see why")
    durations = json.loads((workspace / "durations.json").read_text())
    return result, durations


def cached_contexts(
    workspace: Path,
) -> tuple[dict[str, dict[int, list[str]]], dict[str, float]]:
    """`measure_contexts`, reused while no file of the tree changed."""
    digest = hashlib.sha256()
    for path in sorted(workspace.rglob("*.py")):
        digest.update(path.relative_to(workspace).as_posix().encode() + path.read_bytes())
    cache = STATE_DIR / "contexts.json"
    if cache.exists():
        saved = json.loads(cache.read_text())
        if saved["digest"] == digest.hexdigest():
            contexts = {
                f: {int(n): t for n, t in lines.items()} for f, lines in saved["contexts"].items()
            }
            return contexts, saved["durations"]
    contexts, durations = measure_contexts(workspace)
    cache.write_text(
        json.dumps({"digest": digest.hexdigest(), "contexts": contexts, "durations": durations})
    )
    return contexts, durations


def tests_for(mutant: Mutant, contexts: dict[str, dict[int, list[str]]]) -> list[str]:
    by_line = contexts.get(mutant.file, {})
    tests: set[str] = set()
    for line in range(mutant.start[0], mutant.end[0] + 1):
        tests.update(by_line.get(line, ()))
    if tests == {IMPORT_TIME}:
        return sorted(ALL_TESTS)
    tests.discard(IMPORT_TIME)
    return sorted(tests)


def ordered(tests: list[str], durations: dict[str, float]) -> list[str]:
    """Fastest first: most mutants die in the first few tests that run the line."""
    return sorted(tests, key=lambda t: (durations.get(t, 1.0), t))


def run_mutant(
    workspace: Path, mutant: Mutant, tests: list[str], timeout: float
) -> tuple[str, float]:
    target = workspace / mutant.file
    original = target.read_text()
    started = time.monotonic()
    try:
        target.write_text(apply(original, mutant))
        shutil.rmtree(target.parent / "__pycache__", ignore_errors=True)
        args = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *tests]
        if _preloaded:
            pid = os.fork()
            if pid == 0:  # the child: a pytest session over the mutated workspace
                _child(workspace, args)
            return _wait_forked(pid, timeout, started)
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *args],
            cwd=workspace,
            env=_env(workspace),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return "timeout", time.monotonic() - started
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        return ("survived" if code == 0 else "killed"), time.monotonic() - started
    finally:
        target.write_text(original)
        shutil.rmtree(target.parent / "__pycache__", ignore_errors=True)


# Forking runner: the third-party imports (pytest, FastAPI, pydantic, PyNest,
# SQLAlchemy) take most of a short pytest run, so they are imported once here and each
# mutant's session runs in a fork. nest_testing and the tests are never imported in this
# process: every child imports them from the mutated workspace.
_preloaded = False
_PRELOAD = ("pytest", "fastapi", "fastapi.testclient", "nest.core", "sqlalchemy")


def preload() -> None:
    global _preloaded
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    assert not any(m == PACKAGE or m.startswith(PACKAGE + ".") for m in sys.modules)
    _preloaded = True


def _child(workspace: Path, args: list[str]) -> None:
    code = 3
    try:
        os.setsid()  # its own process group: a timeout kills what it started too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.chdir(workspace)
        os.environ.update(_env(workspace))
        sys.dont_write_bytecode = True
        sys.path[:0] = [str(workspace)]
        import pytest

        # anyio (a pytest plugin) came in with FastAPI, too early for pytest to rewrite
        # its asserts; say so the way pytest reads it, or every session (the tests'
        # pytester sessions too) warns, and warnings are errors here.
        anyio = sys.modules["anyio"]
        anyio.__doc__ = (anyio.__doc__ or "") + "\nPYTEST_DONT_REWRITE"
        code = int(pytest.main(args))
    finally:
        os._exit(code)


def _wait_forked(pid: int, timeout: float, started: float) -> tuple[str, float]:
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                return ("survived" if code == 0 else "killed"), time.monotonic() - started
            if time.monotonic() - started > timeout:
                _kill_group(pid)
                return "timeout", time.monotonic() - started
            time.sleep(0.05)
    except BaseException:
        _kill_group(pid)
        raise


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


# ---------------------------------------------------------------- driver


def sample(
    files: list[Path], per_file: int, seed: int, match: str | None = None, base: Path = ROOT
) -> Iterator[tuple[str, list[Mutant]]]:
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        everything = mutants_of(rel, (base / rel).read_text())
        if match:
            everything = [m for m in everything if match in m.describe()]
        rng = random.Random(f"{seed}:{rel}")
        chosen = (
            everything if per_file <= 0 else rng.sample(everything, min(per_file, len(everything)))
        )
        yield rel, sorted(chosen, key=lambda m: m.start)


def _files(names: list[str] | None) -> list[Path]:
    package = ROOT / PACKAGE
    if not names:
        return sorted(p for p in package.glob("*.py") if p.name != "__init__.py")
    paths = []
    for name in names:
        path = package / Path(name).name
        if not path.exists():
            raise SystemExit(f"no such file: {path}")
        paths.append(path)
    return paths


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="*", help="files of nest_testing/ (default: all)")
    parser.add_argument("--per-file", type=int, default=5, help="mutants per file (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds per mutant (at least 1.5x the selected tests' own time + 20 s)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="re-run only survivors of the last run"
    )
    parser.add_argument("--match", help="only mutants whose description contains this text")
    parser.add_argument(
        "--tests", nargs="+", help="run these tests for every mutant (no coverage run)"
    )
    parser.add_argument(
        "--no-fork", action="store_true", help="a fresh interpreter per mutant (slower)"
    )
    parser.add_argument(
        "--ref", help="test the code and tests of this commit (e.g. the numbers before a change)"
    )
    parser.add_argument("--list", nargs="*", metavar="FILE", help="print the mutants, run nothing")
    args = parser.parse_args(argv)

    if args.list is not None:
        for _rel, mutants in sample(_files(args.list), args.per_file, args.seed, args.match):
            for mutant in mutants:
                print(mutant.describe())
        return 0

    equivalent = load_equivalent()
    STATE_DIR.mkdir(exist_ok=True)
    results_path = STATE_DIR / "results.json"
    saved: dict[str, Any] = json.loads(results_path.read_text()) if results_path.exists() else {}
    previous = saved if args.resume else {}
    # Merged, never replaced: a --match or --tests run must not drop a full run's results.
    results: dict[str, Any] = dict(saved)

    if not args.no_fork:
        preload()
    # `kill <pid>` (background jobs ignore SIGINT) still restores and removes the workspace.
    signal.signal(signal.SIGTERM, _terminate)
    files = _files(args.files)  # as the tree is now, when it is copied (it may change after)
    workspace = make_workspace(args.ref)
    started = time.monotonic()
    try:
        if args.tests:
            contexts, durations = {}, {}
        else:
            contexts, durations = cached_contexts(workspace)
            ALL_TESTS.update(durations)
        if args.tests and _preloaded:  # a test that fails anyway kills every mutant
            pid = os.fork()
            if pid == 0:
                _child(workspace, ["-x", "-q", "-p", "no:randomly", *args.tests])
            if _wait_forked(pid, 600, time.monotonic())[0] != "survived":
                raise SystemExit(f"{' '.join(args.tests)} fails without any mutation")
        if _preloaded and not args.tests:
            print("checking that the unmutated suite passes in the forking runner ...", flush=True)
            pid = os.fork()
            if pid == 0:
                _child(workspace, ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"])
            outcome, took = _wait_forked(pid, 600, time.monotonic())
            if outcome != "survived":
                raise SystemExit(f"the unmutated suite {outcome} in a fork: run with --no-fork")
            print(f"  passed in {took:.0f} s", flush=True)
        per_file: dict[str, dict[str, int]] = {}
        survivors: list[str] = []
        timeouts: list[str] = []
        for rel, mutants in sample(files, args.per_file, args.seed, args.match, workspace):
            digest = _digest((workspace / rel).read_text())
            counts = per_file.setdefault(
                rel, dict.fromkeys(("total", "equivalent", "killed", "timeout", "survived"), 0)
            )
            for mutant in mutants:
                counts["total"] += 1
                if mutant.key in equivalent:
                    counts["equivalent"] += 1
                    continue
                cache_key = f"{digest} {mutant.key}"
                old = previous.get(cache_key)
                if old in ("killed", "timeout"):
                    outcome = old
                else:
                    tests = args.tests or ordered(tests_for(mutant, contexts), durations)
                    if not tests:
                        outcome, took = "survived", 0.0
                        note = " (no test executes this line)"
                    else:
                        # A survivor runs every selected test: allow for that.
                        expected = sum(durations.get(t, 1.0) for t in tests)
                        # (durations were measured under coverage: slower than this run)
                        limit = max(args.timeout, 1.5 * expected + 20)
                        outcome, took = run_mutant(workspace, mutant, tests, limit)
                        note = ""
                    print(
                        f"  {outcome:8} {took:5.1f}s {len(tests):4} tests"
                        f"  {mutant.describe()}{note}",
                        flush=True,
                    )
                    if outcome == "survived":
                        survivors.append(f"{mutant.describe()}{note}\n    key: {mutant.key}")
                results[cache_key] = outcome
                counts[outcome] += 1
                if outcome == "timeout":
                    timeouts.append(mutant.describe())
            results_path.write_text(json.dumps(results, indent=0, sort_keys=True))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)

    header = ("total", "equiv", "killed", "t/out", "surv", "rate")
    print(f"\n{'file':32} " + " ".join(f"{h:>6}" for h in header))
    grand = dict.fromkeys(("total", "equivalent", "killed", "timeout", "survived"), 0)
    for rel, counts in per_file.items():
        for name in grand:
            grand[name] += counts[name]
        print(_row(Path(rel).name, counts))
    print(_row("TOTAL", grand))
    if timeouts:
        print("\ntimeouts (counted as killed):\n  " + "\n  ".join(timeouts))
    if survivors:
        print("\nsurvivors:\n  " + "\n  ".join(survivors))
    print(f"\n{time.monotonic() - started:.0f} s")
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def _row(name: str, counts: dict[str, int]) -> str:
    live = counts["total"] - counts["equivalent"]
    rate = (counts["killed"] + counts["timeout"]) / live if live else 1.0
    return (
        f"{name:32} {counts['total']:6} {counts['equivalent']:6} {counts['killed']:6} "
        f"{counts['timeout']:6} {counts['survived']:6} {rate:6.1%}"
    )


if __name__ == "__main__":
    sys.exit(main())

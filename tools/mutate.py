"""Mutation testing: change one operator or constant at a time and see whether a test notices.

mutmut 3 leaves decorated functions out, and every check is decorated (``@check``), so it would
skip exactly the code whose verdicts matter. This tool reads a module's syntax tree, decorated
functions included, and makes one small change per mutant:

- comparisons: ``<`` to ``<=`` or ``>``, ``>=`` to ``>`` or ``<=``, ``==`` to ``!=``, ``is``/``in`` to
  their negation; the same swaps for ``operator.lt``... and for strings that name an operator (``">="``);
- ``and`` to ``or`` and back; ``not`` removed;
- constants: an int or float one up and one down, ``True`` to ``False`` and back;
- ``return X`` to ``return None``;
- a severity one step toward the other verdict: ``error`` to ``warning``, ``warning`` to ``error`` or
  ``ok``, ``ok`` to ``warning``, ``info`` to ``ok``; as helper calls (``error(...)``) and as
  ``Severity.ERROR``.

Left alone: decorators, annotations, docstrings, f-strings, and lines marked ``# pragma: no mutate``.

Each mutant is written into a temporary copy of the repository (its stale bytecode removed) and
the given pytest selection runs there, stopping at the first failure, under a timeout. A mutant
survives when the tests still pass: each survivor is printed with its file, line and diff, then a
score per module. Exit 0 when every mutant was killed, 1 when some survived, 2 when the command line
is wrong or the tests fail before anything was mutated.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import difflib
import io
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_HYPOTHESIS = ("-p", "no:hypothesispytest")
"""Hypothesis' plugin adds about a second to every pytest start; these selections do not use it."""
TARGETS: dict[str, tuple[str, ...]] = {
    "mlops/core/thresholds.py": (*NO_HYPOTHESIS, "tests/core/test_thresholds.py"),
    "mlops/monitoring/checks/alerts.py": (*NO_HYPOTHESIS, "tests/monitoring/test_checks_alerts.py"),
    "mlops/monitoring/checks/files.py": (*NO_HYPOTHESIS, "tests/monitoring/test_checks_files.py"),
}
"""What ``nox -s mutate`` mutates with no arguments, each module with the fast tests that judge it."""
CACHES = shutil.ignore_patterns("__pycache__", ".*_cache", ".hypothesis", "*.egg-info")
TOP_LEVEL_IGNORED = {".git", ".nox", "runs", "mlruns", "mlflow.db", ".env"}
"""Not copied from the repository's root: envs, history and what training or a developer left there."""
PYTEST = ("-x", "-q", "-p", "no:cacheprovider")
PRAGMA = "# pragma: no mutate"

COMPARISONS = {
    "<": ("<=", ">"), "<=": ("<", ">="), ">": (">=", "<"), ">=": (">", "<="), "==": ("!=",), "!=": ("==",),
    "is": ("is not",), "is not": ("is",), "in": ("not in",), "not in": ("in",),
}  # fmt: skip
SYMBOLS = frozenset(op for op in COMPARISONS if not op[0].isalpha())
OPERATOR_FUNCTIONS = {
    "lt": ("le", "gt"), "le": ("lt", "ge"), "gt": ("ge", "lt"), "ge": ("gt", "le"), "eq": ("ne",), "ne": ("eq",),
}  # fmt: skip
SEVERITY_HELPERS = {"error": ("warning",), "warning": ("error", "ok"), "ok": ("warning",), "info": ("ok",)}
SEVERITY_MEMBERS = {k.upper(): tuple(v.upper() for v in vs) for k, vs in SEVERITY_HELPERS.items()}
SKIPPED_FIELDS = {"decorator_list", "returns", "annotation", "type_params"}

Point = tuple[int, int]
"""(line, column in characters), as :mod:`tokenize` counts them."""


@dataclass(frozen=True)
class Mutant:
    path: str
    """Relative to the repository root, with forward slashes."""
    line: int
    description: str
    original: str
    source: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def diff(self) -> str:
        before, after = self.original.splitlines(keepends=True), self.source.splitlines(keepends=True)
        lines = difflib.unified_diff(before, after, f"a/{self.path}", f"b/{self.path}", n=0)
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class Source:
    """A module's text, tokens and syntax tree, with the conversions between their positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tree = ast.parse(text)
        self.lines = text.split("\n")
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line) + 1)
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        self.tokens = [t for t in tokens if t.type in (tokenize.NAME, tokenize.OP)]
        self.starts = [t.start for t in self.tokens]
        self.quiet = {n for n, line in enumerate(self.lines, 1) if PRAGMA in line}

    def point(self, line: int, byte_col: int) -> Point:
        """``ast`` counts columns in UTF-8 bytes, :mod:`tokenize` in characters."""
        return line, len(self.lines[line - 1].encode()[:byte_col].decode(errors="replace"))

    def start(self, node: ast.AST) -> Point:
        return self.point(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> Point:
        return self.point(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def offset(self, point: Point) -> int:
        return self.offsets[point[0] - 1] + point[1]

    def tokens_between(self, start: Point, end: Point) -> list[tokenize.TokenInfo]:
        first = bisect.bisect_left(self.starts, start)
        return [t for t in self.tokens[first : bisect.bisect_left(self.starts, end)] if t.end <= end]

    def replace(self, start: Point, end: Point, text: str) -> str:
        return self.text[: self.offset(start)] + text + self.text[self.offset(end) :]


def nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node worth mutating: decorated functions included, their decorators and annotations not."""
    if isinstance(node, ast.JoinedStr):
        return  # f-strings build messages; their inner positions are unreliable before Python 3.12
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return  # a docstring
    if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "__name__":
        return
    yield node
    for name, value in ast.iter_fields(node):
        if name in SKIPPED_FIELDS or (isinstance(node, ast.ClassDef) and name in ("bases", "keywords")):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                yield from nodes(child)


def edits(src: Source, node: ast.AST) -> Iterator[tuple[Point, Point, str, str]]:
    """``(start, end, replacement, description)`` for each mutant of this one node."""
    if isinstance(node, ast.Compare):
        left: ast.expr = node.left
        for right in node.comparators:
            ops = [t for t in src.tokens_between(src.end(left), src.start(right)) if t.string not in ("(", ")")]
            if ops:
                text = " ".join(t.string for t in ops)
                for new in COMPARISONS.get(text, ()):
                    yield ops[0].start, ops[-1].end, new, f"{text!r} -> {new!r}"
            left = right
    elif isinstance(node, ast.BoolOp):
        for before, after in zip(node.values, node.values[1:], strict=False):
            for t in src.tokens_between(src.end(before), src.start(after)):
                if t.string in ("and", "or"):
                    new = "or" if t.string == "and" else "and"
                    yield t.start, t.end, new, f"{t.string!r} -> {new!r}"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        start = src.start(node)
        (word,) = src.tokens_between(start, (start[0], start[1] + 3))
        following = src.tokens_between(word.end, src.end(node))[0].start
        end = following if following[0] == start[0] else word.end
        yield start, end, "", "'not' removed"
    elif isinstance(node, ast.Constant):
        yield from constant_edits(src, node)
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield src.start(node.value), src.end(node.value), "None", "return value -> None"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        for new in SEVERITY_HELPERS.get(node.func.id, ()):
            yield src.start(node.func), src.end(node.func), new, f"{node.func.id}(...) -> {new}(...)"
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        table = {"operator": OPERATOR_FUNCTIONS, "Severity": SEVERITY_MEMBERS}.get(node.value.id, {})
        end = src.end(node)
        for new in table.get(node.attr, ()):
            yield (end[0], end[1] - len(node.attr)), end, new, f"{node.value.id}.{node.attr} -> {node.value.id}.{new}"


def constant_edits(src: Source, node: ast.Constant) -> Iterator[tuple[Point, Point, str, str]]:
    start, end, value = src.start(node), src.end(node), node.value
    if isinstance(value, bool):
        yield start, end, str(not value), f"{value} -> {not value}"
    elif isinstance(value, int | float) and math.isfinite(value):
        for number in (value + 1, value - 1):
            yield start, end, repr(number), f"{value!r} -> {number!r}"
    elif isinstance(value, str) and value in SYMBOLS:
        quote = src.text[src.offset(start)]
        for symbol in COMPARISONS[value]:
            yield start, end, f"{quote}{symbol}{quote}", f"{value!r} -> {symbol!r}"


def mutants(path: str, text: str) -> list[Mutant]:
    """Every mutant of one module, in source order; each one still compiles."""
    src = Source(text)
    found: list[Mutant] = []
    for node in nodes(src.tree):
        for start, end, new, description in edits(src, node):
            if start[0] in src.quiet:
                continue
            source = src.replace(start, end, new)
            try:
                ast.parse(source)
            except SyntaxError:
                continue
            found.append(Mutant(path, start[0], description, text, source))
    return sorted(found, key=lambda m: m.line)


# --- running the tests against each mutant ------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    status: str
    """``killed`` (a test failed), ``timeout`` (counted as killed) or ``survived``."""


def copy_repository(root: Path, dst: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        top = TOP_LEVEL_IGNORED.intersection(names) if Path(folder) == root else set()
        return top | CACHES(folder, names)

    return Path(shutil.copytree(root, dst, ignore=ignore, symlinks=True))


def pytest_run(copy: Path, tests: Sequence[str], timeout: float | None) -> tuple[int | None, str]:
    """Run the tests in ``copy``: (exit code, output), or (None, output) when they ran out of time."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "pytest", *PYTEST, *tests]
    posix = os.name == "posix"
    with subprocess.Popen(
        command, cwd=copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=posix
    ) as process:
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            if posix:
                os.killpg(process.pid, signal.SIGKILL)  # the tests' own children too
            else:
                process.kill()
            out, _ = process.communicate()
            return None, out.decode(errors="replace")
    return process.returncode, out.decode(errors="replace")


def write_source(path: Path, text: str) -> None:
    """Write a module and drop its compiled copies: a .pyc is trusted when the source's size and mtime
    (whole seconds) match, and ``1 -> 2`` then ``1 -> 0`` within a second match both."""
    path.write_bytes(text.encode())
    for compiled in path.parent.glob(f"__pycache__/{path.stem}.*.pyc"):
        compiled.unlink()


def judge(mutant: Mutant, copies: queue.Queue[Path], tests: Sequence[str], timeout: float) -> Outcome:
    copy = copies.get()
    target = copy / mutant.path
    try:
        write_source(target, mutant.source)
        code, _ = pytest_run(copy, tests, timeout)
    finally:
        write_source(target, mutant.original)
        copies.put(copy)
    return Outcome(mutant, "timeout" if code is None else "survived" if code == 0 else "killed")


def score(outcomes: Sequence[Outcome]) -> str:
    killed = sum(o.status != "survived" for o in outcomes)
    timeouts = sum(o.status == "timeout" for o in outcomes)
    percent = 100.0 * killed / len(outcomes) if outcomes else 100.0
    return f"{killed}/{len(outcomes)} killed ({percent:.1f}%), {timeouts} by timeout"


@dataclass(frozen=True)
class Target:
    path: str
    text: str
    """The module as it was when the repository was copied: what every mutant starts from."""
    tests: tuple[str, ...]


def mutate_module(
    target: Target, copies: queue.Queue[Path], jobs: int, timeout: float | None, verbose: bool
) -> list[Outcome] | None:
    """Judge every mutant of one module; None when its tests fail before any mutation."""
    path, tests = target.path, target.tests
    copy = copies.get()
    try:
        started = time.monotonic()
        code, output = pytest_run(copy, tests, timeout)
        took = time.monotonic() - started
    finally:
        copies.put(copy)
    if code != 0:
        print(f"mutate: {path}: the tests fail before any mutation (pytest exit {code}):\n{output}", file=sys.stderr)
        return None
    found = mutants(path, target.text)
    limit = timeout if timeout is not None else max(30.0, 10 * took)
    selection = " ".join(tests)
    print(f"mutate: {path}: {len(found)} mutants; pytest {selection} ({took:.1f} s unmutated, timeout {limit:.0f} s)")
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        for outcome in pool.map(lambda m: judge(m, copies, tests, limit), found):
            outcomes.append(outcome)
            if verbose or outcome.status == "survived":
                print(f"  {outcome.status:8} {outcome.mutant.where}: {outcome.mutant.description}", flush=True)
    finally:
        pool.shutdown(cancel_futures=True)  # Ctrl-C: run no more mutants, only let the running ones end
    return outcomes


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str] | None]:
    args = list(argv)
    tests = args[args.index("--") + 1 :] if "--" in args else None
    mine = args[: args.index("--")] if "--" in args else args
    parser = argparse.ArgumentParser(
        prog="python -m tools.mutate",
        description="Mutate modules one change at a time and print the mutants the tests let live.",
        epilog=f"With no PATH: {', '.join(TARGETS)}, each with its own tests.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="modules to mutate, relative to --root")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to copy (default: this one)")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 10x the unmutated run, >= 30)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants judged at once, one repository copy each")
    parser.add_argument("--list", action="store_true", help="print the mutants and run nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mutant's outcome, not only survivors")
    parsed = parser.parse_args(mine)
    if parsed.jobs < 1:
        parser.error("--jobs must be at least 1")
    if tests == []:
        parser.error("nothing after '--': give the pytest selection, e.g. -- tests/core")
    if tests is None and (unknown := [p for p in parsed.paths if p not in TARGETS]):
        parser.error(f"{unknown[0]} has no default tests: give them after '--' (known: {', '.join(TARGETS)})")
    return parsed, tests


def main(argv: Sequence[str] | None = None) -> int:
    args, tests = parse_args(sys.argv[1:] if argv is None else argv)
    root: Path = args.root.resolve()
    plan: list[Target] = []
    for path in args.paths or list(TARGETS):
        if not (root / path).is_file():
            print(f"mutate: {root / path}: not found", file=sys.stderr)
            return 2
        text = (root / path).read_bytes().decode()
        plan.append(Target(Path(path).as_posix(), text, tuple(tests) if tests is not None else TARGETS[path]))
    if args.list:
        for target in plan:
            for mutant in mutants(target.path, target.text):
                print(f"{mutant.where}: {mutant.description}")
        return 0
    results: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="mutate-") as scratch:
        copies: queue.Queue[Path] = queue.Queue()
        for n in range(args.jobs):
            copies.put(copy_repository(root, Path(scratch, f"copy{n}")))
        for target in plan:
            outcomes = mutate_module(target, copies, args.jobs, args.timeout, args.verbose)
            if outcomes is None:
                return 2
            results[target.path] = outcomes
    survivors = [o.mutant for outcomes in results.values() for o in outcomes if o.status == "survived"]
    if survivors:
        print(f"\n{len(survivors)} surviving mutant(s): no test noticed these changes")
        for mutant in survivors:
            print(f"\n{mutant.where}: {mutant.description}\n{mutant.diff()}", end="")
    print("\nscore per module:")
    width = max(map(len, results))
    for path, outcomes in results.items():
        print(f"  {path:{width}}  {score(outcomes)}")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())

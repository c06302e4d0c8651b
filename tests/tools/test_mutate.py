"""tools.mutate on tiny modules: which mutants it makes, and how it judges them with real pytest runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tools.mutate import NO_HYPOTHESIS, main, mutants

SAMPLE = '''\
"""A module docstring: never mutated."""
import operator

from results import Severity


@check("MON999", "family", 3)
def judge(value: float, limit: float = 0.5) -> Iterator[Result]:
    """A decorated check, which mutmut 3 would skip."""
    if value >= limit and not value is None:
        yield error(f"{value:.4g} over {limit + 1}")
    elif value in (1, 2) or True:
        yield ok("fine")
    return Severity.WARNING


TABLE = {">=": operator.ge}
LIMIT: int = 3
SKIPPED = 7  # pragma: no mutate

if __name__ == "__main__":
    judge(0.1)
'''


def test_every_kind_of_mutant_is_made_inside_decorated_functions() -> None:
    """Decorators, annotations, docstrings, f-strings, the main guard and marked lines stay as written."""
    found = mutants("sample.py", SAMPLE)
    assert [(m.line, m.description) for m in found] == [
        (8, "0.5 -> 1.5"), (8, "0.5 -> -0.5"),
        (10, "'and' -> 'or'"), (10, "'>=' -> '>'"), (10, "'>=' -> '<='"), (10, "'not' removed"),
        (10, "'is' -> 'is not'"),
        (11, "error(...) -> warning(...)"),
        (12, "'or' -> 'and'"), (12, "'in' -> 'not in'"), (12, "1 -> 2"), (12, "1 -> 0"), (12, "2 -> 3"),
        (12, "2 -> 1"), (12, "True -> False"),
        (13, "ok(...) -> warning(...)"),
        (14, "return value -> None"), (14, "Severity.WARNING -> Severity.ERROR"),
        (14, "Severity.WARNING -> Severity.OK"),
        (17, "'>=' -> '>'"), (17, "'>=' -> '<='"), (17, "operator.ge -> operator.gt"),
        (17, "operator.ge -> operator.le"),
        (18, "3 -> 4"), (18, "3 -> 2"),
        (22, "0.1 -> 1.1"), (22, "0.1 -> -0.9"),
    ]  # fmt: skip
    for mutant in found:
        ast.parse(mutant.source)
        changed = [line for line in mutant.diff().splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
        assert len(changed) == 2, mutant.diff()
    (removed,) = [m for m in found if m.description == "'not' removed"]
    assert (
        "-    if value >= limit and not value is None:\n+    if value >= limit and value is None:\n" in removed.diff()
    )
    (swapped,) = [m for m in found if m.description == "'>=' -> '>'" and m.line == 17]
    assert '+TABLE = {">": operator.ge}\n' in swapped.diff()


def test_columns_are_counted_in_characters_after_non_ascii_text() -> None:
    (mutant, _) = mutants("m.py", 'x = ("é", 1 < 2)[1]\n')[:2]
    assert mutant.source == 'x = ("é", 1 <= 2)[1]\n'


def project(tmp_path: Path, module: str, tests: str) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (root / "sample.py").write_text(module, encoding="utf-8")
    (root / "test_sample.py").write_text(tests, encoding="utf-8")
    return root


JUDGE = """\
def registered(func):
    return func


@registered
def judge(value, limit=0.5):
    if value >= limit and not value > 1:
        return "ok"
    return "error"


def at_least_one(n):
    return n >= 1
"""
WEAK_TESTS = """\
from sample import at_least_one, judge


def test_judge():
    assert judge(0.7) == "ok"
    assert judge(0.2) == "error"


def test_at_least_one():
    assert at_least_one(2)
    assert not at_least_one(0)
"""


@pytest.mark.slow
def test_survivors_are_printed_with_their_line_and_diff_and_a_score(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Weak tests: nothing probes a limit, so the boundary mutants live. ``1 -> 2`` survives where
    ``1 -> 0``, the same size, is killed: a stale bytecode cache would have judged both alike."""
    root = project(tmp_path, JUDGE, WEAK_TESTS)
    code = main(["--root", str(root), "--jobs", "2", "sample.py", "--", *NO_HYPOTHESIS, "test_sample.py"])
    out = capsys.readouterr().out
    assert code == 1
    survivors = [line.split(None, 1)[1] for line in out.splitlines() if line.startswith("  survived")]
    assert survivors == [
        "sample.py:7: '>=' -> '>'", "sample.py:7: '>' -> '>='", "sample.py:7: 1 -> 2",
        "sample.py:13: '>=' -> '>'", "sample.py:13: 1 -> 2",
    ]  # fmt: skip
    assert (
        "\nsample.py:7: '>=' -> '>'\n--- a/sample.py\n+++ b/sample.py\n@@ -7 +7 @@\n"
        "-    if value >= limit and not value > 1:\n+    if value > limit and not value > 1:\n"
    ) in out
    assert "sample.py  13/18 killed (72.2%), 0 by timeout" in out
    assert (root / "sample.py").read_text(encoding="utf-8") == JUDGE


@pytest.mark.slow
def test_a_mutant_that_never_ends_is_killed_by_the_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    countdown = "def countdown(n):\n    while n > 0:\n        n -= 1\n    return n\n"
    root = project(tmp_path, countdown, "from sample import countdown\n\n\ndef test():\n    assert countdown(3) == 0\n")
    code = main(["--root", str(root), "--timeout", "10", "-v", "sample.py", "--", *NO_HYPOTHESIS, "test_sample.py"])
    out = capsys.readouterr().out
    assert code == 0
    assert "  timeout  sample.py:3: 1 -> 0" in out
    assert "sample.py  7/7 killed (100.0%), 1 by timeout" in out


def test_tests_that_fail_before_any_mutation_stop_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, "def f():\n    return 1\n", "from sample import f\n\n\ndef test():\n    assert f() == 2\n")
    assert main(["--root", str(root), "sample.py", "--", "test_sample.py"]) == 2
    assert "sample.py: the tests fail before any mutation (pytest exit 1)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["elsewhere.py"], "elsewhere.py has no default tests: give them after '--'"),
        (["sample.py", "--"], "nothing after '--'"),
        (["--jobs", "0", "sample.py", "--", "t.py"], "--jobs must be at least 1"),
    ],
)
def test_a_wrong_command_line_is_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_default_targets_include_the_decorated_checks(capsys: pytest.CaptureFixture[str]) -> None:
    """Every function in checks/alerts.py is a decorated @check: their verdicts are mutated too."""
    assert main(["--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("mlops/core/thresholds.py:") and "operator.gt -> operator.lt" in line for line in listed)
    assert any(
        line.startswith("mlops/monitoring/checks/alerts.py:") and "error(...) -> warning(...)" in line
        for line in listed
    )
    assert any(line.startswith("mlops/monitoring/checks/files.py:") for line in listed)

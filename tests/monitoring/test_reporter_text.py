"""The text report's trends: a sparkline after a drifting signal's line on a UTF-8 terminal, nothing elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from mlops.monitoring.reporters import REPORTERS, resolve, text
from mlops.monitoring.reporters.spark import BARS
from mlops.monitoring.results import Band, ExitCode, Finding, Report, Severity, Trend

ROOT = Path(__file__).resolve().parents[2]


def drift(signal: str, severity: Severity, psi: tuple[float | None, ...]) -> Finding:
    trend = Trend(
        windows=tuple(f"2026-11-{d:02d}T12:00:00Z" for d in range(1, len(psi) + 1)),
        statistics=(("psi", psi),),
        bands=(Band(statistic="psi", warning=0.1, error=0.25),),
    )
    return Finding(
        check="MON401", family="drift", title="signal drift", severity=severity,
        message=f"{signal}: PSI", subject=signal, details=(("psi", 0.3),), series=trend,
    )  # fmt: skip


REPORT = Report(
    findings=(
        drift("brightness", Severity.ERROR, (0.0, None, 0.15, 0.3)),
        drift("confidence", Severity.OK, (0.01, 0.02, 0.01, 0.01)),
        Finding(check="MON105", family="files", title="freshness", severity=Severity.WARNING, message="stale"),
    ),
    workspace="ws",
    as_of="2026-11-20T12:05:00+00:00",
    as_of_is_now=False,
    fail_on=Severity.ERROR,
    exit_code=ExitCode.FINDINGS,
)


def test_on_a_terminal_a_drifting_signal_is_followed_by_its_trend() -> None:
    plain, drawn = text.render(REPORT).splitlines(), text.render(REPORT, trends=True).splitlines()
    at = drawn.index(next(line for line in drawn if "brightness: PSI" in line))
    assert drawn[at + 1].strip() == f"trend psi {BARS[0]} {BARS[4]}{BARS[-1]} 0.3"
    assert drawn[at + 1].index("trend") == drawn[at].index("brightness: PSI")  # under the message
    assert [line for line in drawn if "trend" not in line] == plain  # only the drifting signal, only one line
    assert sum("trend" in line for line in drawn) == 1


def test_without_the_terminal_flag_the_report_is_unchanged() -> None:
    bare = replace(REPORT, findings=tuple(replace(f, series=None) for f in REPORT.findings))
    assert text.render(REPORT) == text.render(bare)
    assert not any(c in text.render(REPORT) for c in BARS)


def test_the_cli_decides_and_resolve_passes_it_on() -> None:
    assert resolve("text", {}, terminal=True).render(REPORT) == text.render(REPORT, trends=True)
    assert resolve("auto", {}, terminal=True).render(REPORT) == text.render(REPORT, trends=True)
    assert resolve("text", {}).render(REPORT) == text.render(REPORT)
    assert resolve("auto", {"GITHUB_ACTIONS": "true"}, terminal=True) is REPORTERS["github"]
    assert resolve("json", {}, terminal=True) is REPORTERS["json"]


PROBE = "from mlops.monitoring.cli import utf8_terminal; import sys; sys.stderr.write(str(utf8_terminal()))"


def probe(*, tty: bool, encoding: str) -> str:
    """What the CLI decides in a real process whose stdout is a pseudo-terminal or a pipe."""
    env = os.environ | {"PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT)}
    if not tty:
        done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False)
        return done.stderr
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, stdout=follower, stderr=subprocess.PIPE, text=True, check=False
        )
    finally:
        os.close(follower)
        os.close(leader)
    return done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_only_a_utf8_terminal_counts_as_one() -> None:
    assert probe(tty=True, encoding="utf-8").endswith("True")
    assert probe(tty=True, encoding="latin-1").endswith("False")
    assert probe(tty=False, encoding="utf-8").endswith("False")

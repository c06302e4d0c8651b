"""Reports with every kind of chart data, built in the test: a realistic one and a 1,000-window one.

Until the checks fill :attr:`Finding.series` themselves, these are what the page is drawn from;
``hostile`` puts an injection string into every text a file or a server could supply.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from mlops.monitoring.results import (
    AlertEvent,
    AlertTimeline,
    Band,
    ExitCode,
    Finding,
    Freshness,
    Histogram,
    Link,
    MetricPoint,
    Metrics,
    Report,
    Severity,
    Trend,
)

AS_OF = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)
NUMERIC = ("confidence", "boxes_per_image", "brightness", "input_width", "input_height")
CATEGORICAL = ("classes", "empty_images")
PSI = Band(statistic="psi", warning=0.1, error=0.25)
KS_P = Band(statistic="ks_p", warning=0.05, lower_is_worse=True)
CHI2_P = Band(statistic="chi2_p", warning=0.05, lower_is_worse=True)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def wave(i: int, n: int, seed: int, drift: float) -> float:
    """A statistic that wanders, and creeps up towards the newest windows when ``drift`` is large."""
    return abs(0.02 + 0.015 * math.sin(i * 0.7 + seed) + drift * (i / max(n - 1, 1)) ** 3)


def trend(signal: str, seed: int, n: int, *, drift: float = 0.0, hostile: str = "") -> Trend:
    windows = tuple(stamp(AS_OF - timedelta(hours=n - i)) for i in range(n))
    gap = n // 3  # a window too small to judge: the line breaks there
    if signal in CATEGORICAL:
        chi2 = tuple(None if i == gap else round(1 + 3 * wave(i, n, seed, drift), 4) for i in range(n))
        p = tuple(None if v is None else round(math.exp(-v / 2), 4) for v in chi2)
        labels = (f"circle{hostile}", "square", "triangle") if signal == "classes" else ("false", "true")
        hist = Histogram(
            labels=labels, baseline=(500.0, 300.0, 200.0)[: len(labels)], current=(180.0, 100.0, 60.0)[: len(labels)]
        )
        return Trend(windows=windows, statistics=(("chi2", chi2), ("chi2_p", p)), bands=(CHI2_P,), histogram=hist)
    psi = tuple(None if i == gap else round(wave(i, n, seed, drift), 4) for i in range(n))
    js = tuple(None if v is None else round(math.sqrt(v) / 2, 4) for v in psi)
    stats: list[tuple[str, tuple[float | None, ...]]] = [("psi", psi), ("js", js)]
    bands = [PSI]
    if signal not in ("input_width", "input_height"):
        stats += [("ks_d", tuple(None if v is None else round(v / 2, 4) for v in psi)),
                  ("ks_p", tuple(None if v is None else round(math.exp(-40 * v), 4) for v in psi))]  # fmt: skip
        bands.append(KS_P)
    edges = tuple(round(i / 10, 2) for i in range(11))
    base = tuple(float(30 + 10 * (5 - abs(5 - i))) for i in range(10))
    cur = tuple(float(b + (i - 5) * 4 * (1 + drift * 10)) for i, b in enumerate(base))
    return Trend(
        windows=windows,
        statistics=tuple(stats),
        bands=tuple(bands),
        histogram=Histogram(edges=edges, baseline=base, current=cur),
    )


def severity_of(t: Trend) -> Severity:
    psi = dict(t.statistics).get("psi")
    newest = next((v for v in reversed(psi or ()) if v is not None), 0.0)
    return Severity.ERROR if newest >= 0.25 else Severity.WARNING if newest >= 0.1 else Severity.OK


def report(
    windows: int = 12, *, hostile: str = "", link: str = "http://127.0.0.1:5000/#/models/m/versions/3"
) -> Report:
    """The example's shape: files, alerts, MLflow and drift findings, one series of each kind."""
    h = hostile
    findings = [
        Finding(
            check="MON100",
            family="files",
            title="workspace",
            severity=Severity.OK,
            message=f"ws{h} is a readable folder",
        ),
        Finding(
            check="MON105",
            family="files",
            title="freshness",
            severity=Severity.WARNING,
            message=f"newest window windows/{h}.json ended 7.1 h ago",
            subject=f"windows/{h}x.json",
            series=Freshness(
                ends=tuple(stamp(AS_OF - timedelta(hours=7 + k)) for k in range(min(windows, 48)))[::-1],
                as_of=stamp(AS_OF),
                warn_age_hours=6,
                max_age_hours=26,
            ),
        ),
        Finding(
            check="MON201",
            family="alerts",
            title="recent alerts",
            severity=Severity.WARNING,
            message=f"alerts.json: 3 alert(s) in the last 24 h; e.g. {h}",
            subject="alerts.json",
            series=AlertTimeline(
                start=stamp(AS_OF - timedelta(hours=24)),
                end=stamp(AS_OF),
                events=(
                    AlertEvent(
                        at=stamp(AS_OF - timedelta(hours=20)), severity="info", id="dep-1", title=f"deployed{h}"
                    ),
                    AlertEvent(
                        at=stamp(AS_OF - timedelta(hours=4)), severity="warning", id=f"lat{h}", title=f"p99 latency{h}"
                    ),
                    AlertEvent(
                        at=stamp(AS_OF - timedelta(hours=1)), severity="critical", id="err-7", title=f"5xx rate{h}"
                    ),
                    AlertEvent(at="not a time", severity=f"odd{h}", id="x", title="unplaceable"),
                ),
            ),
        ),
        Finding(
            check="MON305",
            family="mlflow",
            title="alias",
            severity=Severity.OK,
            message=f"@champion -> version 3 of 'm{h}'",
        ),
        Finding(
            check="MON309",
            family="mlflow",
            title="run metrics",
            severity=Severity.ERROR,
            message=f"metrics/mAP50B = 0.41 < 0.7{h}",
            series=Metrics(
                points=(
                    MetricPoint(name="metrics/mAP50-95B", value=0.62, condition=">= 0.5", met=True),
                    MetricPoint(name=f"metrics/mAP50B{h}", value=0.41, condition=">= 0.7", met=False),
                    MetricPoint(name="metrics/recall", value=None, condition=">= 0.3", met=False),
                )
            ),
        ),
        Finding(
            check="MON501",
            family="peers",
            title="Evidently tests",
            severity=Severity.INFO,
            message="skipped: no snapshot",
        ),
    ]
    for seed, signal in enumerate((*NUMERIC, *CATEGORICAL)):
        t = trend(signal, seed, windows, drift=0.3 if signal == "brightness" else 0.0, hostile=h)
        first = dict(t.statistics)
        details = tuple((name, v[-1]) for name, v in first.items() if v[-1] is not None)
        severity = severity_of(t)
        message = f"{signal}{h}: newest window"
        findings.append(Finding(check="MON401", family="drift", title="signal drift", severity=severity,
                                message=message, subject=signal + h, details=details, series=t))  # fmt: skip
    return Report(
        findings=tuple(findings),
        workspace=f"monitoring/ws{h}",
        as_of=stamp(AS_OF),
        as_of_is_now=False,
        fail_on=Severity.ERROR,
        exit_code=ExitCode.FINDINGS,
        links=(Link(key="model_version", label=f"m{h} v3 in MLflow", url=link),),
        config=f"monitor{h}.yaml",
        config_source="from --config",
        workspace_source="from the config file",
        model=f"shapes-detector{h}",
        alias=f"champion{h}",
    )

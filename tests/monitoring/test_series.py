"""The data behind each chart (a finding's ``series``): drift window by window, alerts, freshness, metrics.

Checks run through ``compute_check`` on real workspace files (a copy of the bundled example) and the
example's real MLflow file store; the JSON report runs through the README's entry point and is held
to the published schema by the project's validator and by check-jsonschema.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.validate import SCHEMA_DIR, validate
from mlops.monitoring import stats
from mlops.monitoring.checks import compute_check
from mlops.monitoring.checks.alerts import TIMELINE_ALERTS
from mlops.monitoring.config import Config, load_config
from mlops.monitoring.mlflow.gather import gather
from mlops.monitoring.results import AlertTimeline, ExitCode, Finding, Freshness, Metrics, Report, Severity, Trend
from mlops.monitoring.runner import scrub_report
from mlops.monitoring.workspace import TREND_WINDOWS
from tests.conftest import EXAMPLE_CONFIG, NoxMonitor

NOW = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)
ENDS = tuple(f"2026-11-20T{h:02d}:00:00Z" for h in range(7, 13))
"""The example's six hourly windows, oldest first."""
STATISTICS = {
    "confidence": ("psi", "js", "ks_d", "ks_p"),
    "boxes_per_image": ("psi", "js", "ks_d", "ks_p"),
    "brightness": ("psi", "js", "ks_d", "ks_p"),
    "input_width": ("psi", "js"),
    "input_height": ("psi", "js"),
    "classes": ("chi2", "chi2_p"),
    "empty_images": ("chi2", "chi2_p"),
}
KINDS = {
    "drift": {"kind", "windows", "statistics", "bands", "histogram"},
    "alerts": {"kind", "start", "end", "events", "left_out"},
    "freshness": {"kind", "ends", "as_of", "warn_age_hours", "max_age_hours"},
    "metrics": {"kind", "points"},
}
"""The fields of each kind (docs/report.md): the schema's subset has no oneOf, so this test holds the tie."""


def example(workspace: Path, **overrides: Any) -> Config:
    return load_config(EXAMPLE_CONFIG, env={}, overrides={"workspace": str(workspace), **overrides}, cwd=workspace)


def read(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def edit(path: Path, change: Any) -> None:
    doc = read(path)
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def trends(workspace: Path, **overrides: Any) -> dict[str, Trend]:
    found = {}
    for f in compute_check("MON401", config=example(workspace, **overrides), now=NOW):
        assert isinstance(f.series, Trend), f
        found[f.subject] = f.series
    return found


def column(trend: Trend, name: str) -> tuple[float | None, ...]:
    return dict(trend.statistics)[name]


# MON401: the trend


def test_each_signal_has_a_trend_over_every_window_read(workspace: Path) -> None:
    found = trends(workspace)
    assert set(found) == set(STATISTICS)
    for signal, trend in found.items():
        assert trend.windows == ENDS, signal
        assert tuple(name for name, _ in trend.statistics) == STATISTICS[signal]
        assert all(len(values) == len(ENDS) and None not in values for _, values in trend.statistics)


def test_a_window_alone_is_recomputed_from_its_file(workspace: Path) -> None:
    """The oldest window, which the default verdict (drift.windows: 1) does not even sum."""
    found = trends(workspace)
    base = read(workspace / "baseline.json")["signals"]
    oldest = read(workspace / "windows" / "2026-11-20T070000Z.json")["signals"]
    ref, cur = base["brightness"]["counts"], oldest["brightness"]["counts"]
    assert column(found["brightness"], "psi")[0] == stats.psi(ref, cur)
    assert column(found["brightness"], "ks_p")[0] == stats.ks_binned(ref, cur)[1]
    empty = stats.chi_square(
        [base["empty_images"], base["images"] - base["empty_images"]],
        [oldest["empty_images"], oldest["images"] - oldest["empty_images"]],
    )
    assert (column(found["empty_images"], "chi2")[0], column(found["empty_images"], "chi2_p")[0]) == empty


def test_the_newest_window_alone_is_the_verdict_of_one_window(workspace: Path) -> None:
    findings = compute_check("MON401", config=example(workspace), now=NOW)
    for f in findings:
        assert isinstance(f.series, Trend)
        assert tuple((name, values[-1]) for name, values in f.series.statistics) == f.details, f.subject


def test_a_window_too_small_or_on_other_edges_is_none_there(workspace: Path) -> None:
    edit(workspace / "windows" / "2026-11-20T090000Z.json",
         lambda d: d["signals"]["brightness"].update(edges=[0, 1, 2, 3, 4, 5, 6, 7, 8]))  # fmt: skip
    found = trends(workspace, **{"drift.min_images": 250})  # the 07:00 window has 240 images
    for signal, trend in found.items():
        for name, values in trend.statistics:
            assert values[0] is None, (signal, name)
            assert (values[2] is None) == (signal == "brightness"), (signal, name)
            assert None not in values[3:]
    messages = [f.message for f in compute_check("MON401", config=example(workspace), now=NOW)]
    assert all("too small" not in m and "differ" not in m for m in messages), "the verdict judges the newest alone"


def test_bands_and_histogram_come_from_the_config_and_the_files(workspace: Path) -> None:
    found = trends(workspace, **{"drift.psi_warning": 0.2, "drift.p_value": 0.01, "drift.windows": 2})
    (psi, ks_p) = found["brightness"].bands
    assert (psi.statistic, psi.warning, psi.error, psi.lower_is_worse) == ("psi", 0.2, 0.25, False)
    assert (ks_p.statistic, ks_p.warning, ks_p.error, ks_p.lower_is_worse) == ("ks_p", 0.01, None, True)
    assert [b.statistic for b in found["input_width"].bands] == ["psi"]
    assert [b.statistic for b in found["classes"].bands] == ["chi2_p"]
    base = read(workspace / "baseline.json")["signals"]
    newest = [read(workspace / "windows" / f"2026-11-20T{h}0000Z.json")["signals"] for h in ("11", "12")]
    hist = found["brightness"].histogram
    assert hist is not None and hist.edges == tuple(base["brightness"]["edges"]) and not hist.labels
    assert hist.baseline == tuple(base["brightness"]["counts"])
    assert hist.current == tuple(a + b for a, b in zip(*(w["brightness"]["counts"] for w in newest), strict=True))
    classes = found["classes"].histogram
    assert classes is not None and classes.labels == ("circle", "square", "triangle") and not classes.edges
    assert classes.current == tuple(sum(w["classes"][n] for w in newest) for n in classes.labels)
    empty = found["empty_images"].histogram
    assert empty is not None and empty.labels == ("empty", "with detections")
    assert empty.baseline == (base["empty_images"], base["images"] - base["empty_images"])


def test_the_verdict_is_unchanged_when_the_edges_differ_and_the_histogram_is_none(workspace: Path) -> None:
    edit(workspace / "windows" / "2026-11-20T120000Z.json",
         lambda d: d["signals"]["brightness"].update(edges=[0, 1, 2, 3, 4, 5, 6, 7, 8]))  # fmt: skip
    (f,) = [f for f in compute_check("MON401", config=example(workspace), now=NOW) if f.subject == "brightness"]
    assert f.severity is Severity.ERROR and "bin edges differ" in f.message
    assert isinstance(f.series, Trend) and f.series.histogram is None
    assert column(f.series, "psi")[-1] is None and None not in column(f.series, "psi")[:-1]


def test_windows_of_another_version_are_left_out_of_the_trend(workspace: Path) -> None:
    edit(workspace / "windows" / "2026-11-20T080000Z.json", lambda d: d["model"].update(version="2"))
    assert trends(workspace)["confidence"].windows == ENDS[:1] + ENDS[2:]
    (fresh,) = compute_check("MON105", config=example(workspace), now=NOW)
    assert isinstance(fresh.series, Freshness) and fresh.series.ends == ENDS  # freshness: every model


def many_windows(workspace: Path, count: int) -> list[str]:
    """``count`` hourly copies of the newest window, ending at 12:00 and before; their end times, oldest first."""
    folder = workspace / "windows"
    template = read(folder / "2026-11-20T120000Z.json")
    for path in folder.iterdir():
        path.unlink()
    ends = []
    for back in range(count):
        end = datetime(2026, 11, 20, 12, tzinfo=UTC) - timedelta(hours=back)
        stamp = end.strftime("%Y-%m-%dT%H:%M:%SZ")
        start = (end - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        doc = dict(template, window={"start": start, "end": stamp})
        (folder / f"{end:%Y-%m-%dT%H%M%S}Z.json").write_text(json.dumps(doc), encoding="utf-8")
        ends.append(stamp)
    return ends[::-1]


def test_the_trend_and_freshness_keep_the_newest_thousand_windows(workspace: Path) -> None:
    ends = many_windows(workspace, TREND_WINDOWS + 5)
    found = trends(workspace, **{"files.scan": "all"})
    assert TREND_WINDOWS == 1000
    for trend in found.values():
        assert trend.windows == tuple(ends[-TREND_WINDOWS:])
        assert all(None not in values for _, values in trend.statistics), "old windows keep their signals aside"
    (fresh,) = compute_check("MON105", config=example(workspace, **{"files.scan": "all"}), now=NOW)
    assert isinstance(fresh.series, Freshness) and fresh.series.ends == tuple(ends[-TREND_WINDOWS:])


# MON105, MON201, MON309


def test_freshness_lists_the_window_ends_against_the_limits(workspace: Path) -> None:
    (f,) = compute_check("MON105", config=example(workspace, **{"files.warn_age_hours": 2}), now=NOW)
    assert f.series == Freshness(ends=ENDS, as_of="2026-11-20T12:05:00Z", warn_age_hours=2.0, max_age_hours=26.0)


def alerts_file(workspace: Path, alerts: list[dict[str, str]]) -> None:
    edit(workspace / "alerts.json", lambda d: d.update(alerts=alerts))


def alert(n: int, at: str, severity: str = "info") -> dict[str, str]:
    return {"id": f"a-{n}", "raised_at": at, "severity": severity, "title": f"alert {n}"}


def test_the_alert_timeline_lists_the_counted_alerts_oldest_first(workspace: Path) -> None:
    alerts_file(workspace, [
        alert(1, "2026-11-20T11:00:00Z", "warning"),
        alert(2, "2026-11-20T06:00:00+02:00", "critical"),  # 04:00 UTC
        alert(3, "2026-11-18T11:00:00Z"),  # before the window: not counted
        alert(4, "2026-11-20T12:09:00Z"),  # ahead of now, within the clock-skew tolerance
        alert(5, "2026-11-20T13:00:00Z"),  # beyond it: MON104's, not counted
    ])  # fmt: skip
    (f,) = compute_check("MON201", config=example(workspace), now=NOW)
    assert f.severity is Severity.ERROR and "e.g. a-2" in f.message
    series = f.series
    assert isinstance(series, AlertTimeline)
    assert (series.start, series.end, series.left_out) == ("2026-11-19T12:05:00Z", "2026-11-20T12:10:00Z", 0)
    assert [(e.at, e.severity, e.id, e.title) for e in series.events] == [
        ("2026-11-20T04:00:00Z", "critical", "a-2", "alert 2"),
        ("2026-11-20T11:00:00Z", "warning", "a-1", "alert 1"),
        ("2026-11-20T12:09:00Z", "info", "a-4", "alert 4"),
    ]


def test_the_alert_timeline_keeps_the_newest_thousand(workspace: Path) -> None:
    alerts_file(workspace, [alert(n, f"2026-11-20T{n // 60 % 12:02d}:{n % 60:02d}:00Z") for n in range(720)] * 2)
    (f,) = compute_check("MON201", config=example(workspace), now=NOW)
    assert isinstance(f.series, AlertTimeline) and "1440 alert(s)" in f.message
    assert len(f.series.events) == TIMELINE_ALERTS == 1000 and f.series.left_out == 440
    assert f.series.events[-1].at == "2026-11-20T11:59:00Z"
    assert f.series.events[0].at == "2026-11-20T03:40:00Z"  # 500 minutes, two alerts each


def metrics(workspace: Path, thresholds: dict[str, str]) -> list[Finding]:
    config = example(workspace, **{"mlflow.metrics": thresholds})
    return compute_check("MON309", config=config, now=NOW, gatherer=lambda m: gather(m, {}))


def test_metrics_against_their_thresholds_on_the_example_store(workspace: Path) -> None:
    (passed,) = metrics(workspace, {"metrics/mAP50-95B": ">= 0.5", "metrics/mAP50B": ">= 0.7"})
    assert passed.severity is Severity.OK and isinstance(passed.series, Metrics)
    assert [(p.name, p.value, p.condition, p.met) for p in passed.series.points] == [
        ("metrics/mAP50-95B", 0.62, ">= 0.5", True),
        ("metrics/mAP50B", 0.81, ">= 0.7", True),
    ]
    first, second = metrics(workspace, {"metrics/absent": "> 0", "metrics/mAP50B": ">= 0.9"})
    assert first.severity is second.severity is Severity.ERROR and second.series is None
    assert isinstance(first.series, Metrics)
    assert [(p.name, p.value, p.met) for p in first.series.points] == [
        ("metrics/absent", None, False),
        ("metrics/mAP50B", 0.81, False),
    ]


# Secrets and the report


def test_scrubbing_cleans_file_text_and_keeps_the_monitors_own(workspace: Path) -> None:
    """A password that happens to read like a year must not break the series' times."""
    alerts_file(workspace, [alert(1, "2026-11-20T11:00:00Z", "warning") | {"title": "token s3cr3t-2026"}])
    (f,) = compute_check("MON201", config=example(workspace), now=NOW)
    report = Report(findings=(f,), workspace="ws", as_of="", as_of_is_now=False, fail_on=Severity.ERROR,
                    exit_code=ExitCode.OK)  # fmt: skip
    clean = scrub_report(report, lambda text: text.replace("s3cr3t-2026", "***").replace("2026", "***"))
    series = clean.findings[0].series
    assert isinstance(series, AlertTimeline)
    assert series.events[0].title == "token ***" and series.events[0].at == "2026-11-20T11:00:00Z"
    assert series.start.startswith("2026")


@pytest.fixture(scope="module")
def example_runs(nox_monitor: NoxMonitor) -> list[str]:
    runs = [nox_monitor("--example", "--format", "json") for _ in range(2)]
    assert all(r.code == 0 for r in runs), runs[0].text
    return [r.out for r in runs]


def test_the_example_report_carries_every_series_and_matches_the_schema(
    example_runs: list[str], tmp_path: Path
) -> None:
    doc = json_from_text(example_runs[0])
    by_check: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        if "series" in f:
            by_check.setdefault(f["check"], []).append(f)
            assert set(f["series"]) == KINDS[f["series"]["kind"]], f["check"]
    assert sorted(by_check) == ["MON105", "MON201", "MON309", "MON401"]
    drift = {f["subject"]: f["series"] for f in by_check["MON401"]}
    assert set(drift) == set(STATISTICS)
    assert all(s["kind"] == "drift" and list(s["statistics"]) == list(STATISTICS[n]) for n, s in drift.items())
    assert drift["brightness"]["windows"] == list(ENDS)
    assert drift["brightness"]["bands"]["psi"] == {"warning": 0.1, "error": 0.25, "lower_is_worse": False}
    (alerts,) = by_check["MON201"]
    assert [e["id"] for e in alerts["series"]["events"]] == ["lat-0419", "cfg-0007"]
    (fresh,) = by_check["MON105"]
    assert fresh["series"]["ends"] == list(ENDS) and fresh["series"]["as_of"] == "2026-11-20T12:05:00Z"
    (metric,) = by_check["MON309"]
    assert [p["name"] for p in metric["series"]["points"]] == ["metrics/mAP50-95B", "metrics/mAP50B"]
    assert validate(doc, "report.v1") == []
    path = tmp_path / "report.json"
    path.write_text(example_runs[0], encoding="utf-8")
    schema = SCHEMA_DIR / "report.v1.schema.json"
    tool = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([tool, "--schemafile", schema, path], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_report_is_the_same_bytes_in_two_runs(example_runs: list[str]) -> None:
    """Series included; only MON302's measured seconds may differ (docs/report.md)."""
    first, second = (re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', run) for run in example_runs)
    assert first == second and '"series"' in first


def test_the_schema_refuses_a_series_a_consumer_could_trip_on(example_runs: list[str]) -> None:
    doc = json_from_text(example_runs[0])
    series = next(f["series"] for f in doc["findings"] if f.get("series", {}).get("kind") == "drift")
    series["statistics"]["psi"][0] = "high"
    series["bands"]["psi"]["extra"] = 1
    errors = validate(doc, "report.v1")
    assert any("expected number or null" in e for e in errors) and any("unexpected key" in e for e in errors)


def json_from_text(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    return doc


def test_scrubbing_cleans_the_model_and_alias_the_page_and_incident_show() -> None:
    """They are escaped for HTML before the page's last scrub: a secret with < or & must go before that."""
    report = Report(findings=(), workspace="ws", as_of="", as_of_is_now=False, fail_on=Severity.ERROR,
                    exit_code=ExitCode.OK, model="det<&s3cret", alias="s3cret&alias")  # fmt: skip
    clean = scrub_report(report, lambda text: text.replace("s3cret", "***"))
    assert (clean.model, clean.alias) == ("det<&***", "***&alias")

"""The HTML page: written beside any format, drawn from the Report alone, inert and self-contained
whatever the files and servers say, and accessible (every chart has its words and its table)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlops.monitoring.reporters.html import render
from mlops.monitoring.reporters.svg import visible
from mlops.monitoring.results import Finding, Severity
from tests.conftest import EXAMPLE_CONFIG
from tests.monitoring import html_reports
from tests.monitoring.conftest import RunMonitor

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "</svg><script>alert(1)</script>",
    "]]><script>alert(1)</script>",
    "</title></desc><style>*{background:url(http://evil.test/x)}</style>",
    "<!--",
    "\x1b[2J\x00\x07\u202eevil\r\nforged",
    "&lt;script&gt;",
]
HOSTILE_LINKS = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    '//evil.test/"><script>',
    "http://",
]
LIVE_URL = re.compile(r"^https?://[^\s]+$")


class Parsed(HTMLParser):
    """What a browser would build: elements with their attributes, the text, each chart's title and desc."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.stack: list[str] = []
        self.svgs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "svg":
            self.svgs.append({"title": "", "desc": "", "role": dict(attrs).get("role") or ""})
        if tag not in ("meta", "br", "path", "rect", "line", "circle"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self.stack and self.stack[-1] in ("title", "desc") and "svg" in self.stack:
            self.svgs[-1][self.stack[-1]] += data

    @property
    def text(self) -> str:
        return "".join(self.texts)


def parse(page: str) -> Parsed:
    parsed = Parsed()
    parsed.feed(page)
    parsed.close()
    return parsed


def assert_inert(page: str) -> Parsed:
    """Nothing on the page can run or fetch: no script, no handler, no link but http(s), no remote style."""
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "iframe", "object", "embed", "img", "image", "use", "link", "base", "form"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert "javascript:" not in (value or "").lower().replace("\t", ""), (tag, name, value)
            if name in ("href", "src", "xlink:href", "action", "formaction"):
                assert tag == "a" and LIVE_URL.match(value or ""), (tag, name, value)
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert "url(" not in style and "@import" not in style
    assert page.count("<style>") == 1 and page.count("<script") == 0
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]", page), "a raw control character reached the page"
    return parsed


# --html through the CLI


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_html_is_written_beside_any_format_and_changes_nothing_else(
    monitor: RunMonitor, tmp_path: Path, fmt: str
) -> None:
    plain = monitor("--format", fmt)
    page = tmp_path / "page.html"
    with_page = monitor("--format", fmt, "--html", page)
    assert with_page.code == plain.code
    assert re.sub(r"\d", "N", with_page.out) == re.sub(r"\d", "N", plain.out)  # the same report (timings aside)
    written = page.read_text(encoding="utf-8")
    parsed = assert_inert(written)
    assert written.startswith("<!doctype html>") and "mlops monitor report" in parsed.text
    assert list(tmp_path.glob(".page.html.*")) == []  # the atomic write left no temporary sibling


def test_html_from_a_config_file_is_relative_to_that_file(
    run_monitor: RunMonitor, workspace: Path, tmp_path: Path
) -> None:
    config = tmp_path / "conf" / "monitor.yaml"
    config.parent.mkdir()
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8") + "\nhtml: out/page.html\n", encoding="utf-8")
    (config.parent / "out").mkdir()
    outcome = run_monitor("--config", config, "--workspace", workspace)  # its mlruns/ is elsewhere: MON3xx fail
    assert outcome.code in (0, 1), outcome.text
    assert (config.parent / "out" / "page.html").is_file()


def test_an_unwritable_page_is_exit_2_naming_the_file(monitor: RunMonitor, tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "page.html"
    outcome = monitor("--html", target, "--format", "json")
    assert outcome.code == 2
    assert f"{target}: cannot write the HTML page (No such file or directory)" in outcome.err
    assert outcome.out.startswith("{")  # the report itself was written first


def test_the_page_keeps_an_existing_file_until_it_is_complete(monitor: RunMonitor, tmp_path: Path) -> None:
    """A folder where the page goes: refused, and no half-written page appears anywhere."""
    target = tmp_path / "page.html"
    target.mkdir()
    outcome = monitor("--html", target)
    assert outcome.code == 2 and str(target) in outcome.err
    assert target.is_dir() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".page.html")] == []


# what the page shows


def test_the_page_shows_the_verdict_first_then_findings_by_severity_then_each_chart() -> None:
    report = html_reports.report(12)
    page = render(report)
    parsed = assert_inert(page)
    order = ["FAILED", "exit code 1", "fail-on: error", "shapes-detector", "@champion", "version 3",
             "m v3 in MLflow", "2026-11-20T12:05:00Z", "monitor.yaml", "from --config", "monitoring/ws",
             "from the config file", "Errors (2)", "Warnings (2)", "Info (1)", "passing (ok)", "Drift over time",
             "Baseline vs current", "Alerts over time", "Freshness", "MLflow metrics against thresholds"]  # fmt: skip
    body = parsed.text[parsed.text.index("mlops monitor report") :]
    at = [body.find(word) for word in order]
    assert -1 not in at, [w for w, i in zip(order, at, strict=True) if i < 0]
    assert at == sorted(at), order
    assert ("a", {"href": "http://127.0.0.1:5000/#/models/m/versions/3", "rel": "noopener noreferrer"}) in parsed.tags
    ok = page[page.index("<details><summary>8 passing") :]
    assert "MON100" in ok.split("</details>")[0]  # the passing checks are folded away
    for f in report.findings:
        assert f.message in parsed.text and f.check in parsed.text


def test_every_chart_is_an_image_with_words_and_a_table() -> None:
    report = html_reports.report(12)
    parsed = parse(render(report))
    trends = [f for f in report.findings if f.family == "drift"]
    statistics = sum(
        len(f.series.statistics) for f in trends if f.series is not None and hasattr(f.series, "statistics")
    )
    assert (
        len(parsed.svgs) == statistics + len(trends) + 3
    )  # one per statistic, a histogram each, alerts, freshness, metrics
    for svg in parsed.svgs:
        assert svg["role"] == "img" and svg["title"] and re.search(r"\d", svg["desc"]), svg
    descs = "\n".join(s["desc"] for s in parsed.svgs)
    assert "psi of brightness over 12 windows" in descs and "newest 0.316 (error)" in descs
    assert "1 critical, 1 warning, 2 info" in descs
    assert "newest window ended 7 h before 2026-11-20T12:05:00Z (warning)" in descs
    assert "metrics/mAP50B = 0.41, needs >= 0.7: not met" in descs
    assert parsed.tags.count(("table", {})) >= len(parsed.svgs) - statistics  # the same numbers, as a table


def test_colour_is_never_the_only_signal() -> None:
    page = render(html_reports.report(12))
    for word in (
        "error",
        "warning",
        "ok",
        "no threshold",
        "NOT met",
        "warning ≥ 0.1",
        "error ≥ 0.25",
        "warning &lt; 0.05",
    ):
        assert word in page, word
    assert '<rect class="error"' in page and '<path class="warning"' in page  # squares and triangles, not just red


def test_light_dark_narrow_and_print() -> None:
    page = render(html_reports.report(12))
    for rule in ("prefers-color-scheme:dark", "@media print", 'name="viewport"', ".scroll{overflow-x:auto",
                 "Content-Security-Policy", "default-src 'none'"):  # fmt: skip
        assert rule in page, rule


def test_a_thousand_windows_stay_under_a_megabyte() -> None:
    page = render(html_reports.report(1000))
    size = len(page.encode("utf-8"))
    print(f"1,000-window page: {size / 1e6:.2f} MB")
    assert size <= 1_000_000
    assert_inert(page)
    assert page.count("<details><summary>Numbers per window (1000 windows)") == 7  # folded, not hidden from print


def test_a_report_with_no_series_is_still_a_page() -> None:
    report = html_reports.report(3)
    bare = type(report)(**{**report.__dict__, "findings": (Finding(check="MON100", family="files", title="w",
                        severity=Severity.OK, message="fine"),), "links": (), "model": ""})  # fmt: skip
    parsed = assert_inert(render(bare))
    assert parsed.svgs == [] and "fine" in parsed.text


# hostile strings


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_strings_everywhere_show_as_text_and_never_run(hostile: str) -> None:
    report = html_reports.report(12, hostile=hostile)
    page = render(report)
    parsed = assert_inert(page)
    assert len(parsed.svgs) == len(parse(render(html_reports.report(12))).svgs), "a string broke out of a chart"
    assert parsed.text.count(visible(hostile)) >= 10  # there to read, in every place a file or server put it


@pytest.mark.parametrize("url", HOSTILE_LINKS)
def test_only_http_links_are_links(url: str) -> None:
    page = render(html_reports.report(3, link=url))
    parsed = assert_inert(page)
    assert not [a for tag, a in parsed.tags if tag == "a"]
    assert "not a web link" in parsed.text


def test_control_characters_are_shown_escaped() -> None:
    parsed = assert_inert(render(html_reports.report(3, hostile="\x1b[31m\x00\u202e")))
    assert "\\x1b[31m\\x00\\u202e" in parsed.text


@pytest.mark.parametrize(
    ("ends", "severity", "said"),
    [
        (("2026-11-18T00:00:00Z", "2026-11-21T00:00:00Z"), Severity.ERROR, "newest window ended 60 h before"),
        (("2026-11-21T00:00:00Z",), Severity.ERROR, "every end is in the future"),
        (("2026-11-20T09:00:00Z",), Severity.OK, "newest window ended 3 h before"),
    ],
)
def test_the_freshness_chart_never_calls_a_window_in_the_future_the_fresh_one(
    ends: tuple[str, ...], severity: Severity, said: str
) -> None:
    """A window ending after the judging time is never fresh (MON105): the chart agrees with its finding."""
    from mlops.monitoring.results import ExitCode, Freshness, Report

    fresh = Freshness(ends=ends, as_of="2026-11-20T12:00:00Z", warn_age_hours=6.0, max_age_hours=26.0)
    finding = Finding(check="MON105", family="files", title="freshness", severity=severity, message="m", series=fresh)
    code = ExitCode.OK if severity is Severity.OK else ExitCode.FINDINGS
    report = Report(
        findings=(finding,), workspace="ws", as_of=fresh.as_of, as_of_is_now=False, fail_on=Severity.ERROR,
        exit_code=code,
    )  # fmt: skip
    page = render(report)
    desc = re.search(r"<desc>([^<]*window end\(s\)[^<]*)</desc>", page)
    assert desc is not None and said in desc[1], page
    assert f"({severity.label})" in desc[1] and "-12 h" not in page
    if len(ends) > 1 or severity is not Severity.OK:
        assert "in the future" in page

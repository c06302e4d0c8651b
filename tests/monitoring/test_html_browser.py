"""The page in a real browser: Debian's chromium driven by Playwright, every request refused and recorded.

Playwright's own browser download cannot work offline, so the tests drive the system ``chromium``
(``.ci/run`` installs it). Without it they skip, except under ``CI=true``, where they fail: a CI
run must never pass by not looking. Screenshots at 1280x800 and 390x844 stay in the test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlops.monitoring.reporters.html import render
from tests.conftest import NoxMonitor, json_from
from tests.monitoring import html_reports

pytestmark = [pytest.mark.slow]  # a browser starts: a few seconds per page
SIZES = ((1280, 800), (390, 844))
OPEN_ALL = "document.querySelectorAll('details').forEach(d => { d.open = true })"


def unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}; under CI=true the browser tests must run (.ci/run installs Debian's chromium)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = shutil.which("chromium")
    if path is None:
        unavailable("no chromium on PATH (apt-get install chromium)")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            # No name resolves: a request that escaped the route could still not leave the machine.
            args = ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND"]
            chromium = p.chromium.launch(executable_path=path, args=args)
        except Error as exc:
            unavailable(f"chromium at {path} does not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """What loading one page did: requests other than the page itself, console and page errors, screenshots."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)


def look(browser: Any, page_file: Path, shots: Path, findings: list[str] | None) -> Visit:
    """Load ``page_file`` at each size and check what a reader would see (``findings``: their messages)."""
    url = page_file.as_uri()
    visit = Visit()

    def route(r: Any) -> None:
        if r.request.url == url:
            r.continue_()
        else:
            visit.requests.append(r.request.url)
            r.abort()

    charts = page_file.read_text(encoding="utf-8").count('<svg role="img"')
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: visit.errors.append(str(e)))
        page.route("**/*", route)
        page.goto(url)
        shot = shots / f"{page_file.stem}-{width}x{height}.png"
        page.screenshot(path=str(shot))
        visit.screenshots.append(shot)
        try:
            if findings is not None:
                check_page(page, width, findings, charts)
        except AssertionError:
            print(f"screenshots kept: {', '.join(map(str, visit.screenshots))}")
            raise
        finally:
            context.close()
    return visit


def check_page(page: Any, width: int, findings: list[str], page_charts: int) -> None:
    scroll_width: int = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{scroll_width} px wide at {width}: the page scrolls sideways"
    page.evaluate(OPEN_ALL)  # the folded parts too: a reader can open them
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{scroll_width} px wide at {width} with every <details> open"
    items = page.locator("li.finding")
    assert items.count() == len(findings)
    shown = []
    for i in range(items.count()):
        item = items.nth(i)
        assert item.is_visible(), item.inner_text()
        shown.append(item.inner_text())
    for message in findings:
        assert any(message in text for text in shown), message
    charts = page.locator("svg[role=img]")
    assert charts.count() == page_charts
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, charts.nth(i).locator("title").inner_text()


def report_counts(name: str, visit: Visit) -> None:
    print(f"browser, {name}: {len(visit.requests)} request(s) besides the page, {len(visit.errors)} console error(s)")
    assert visit.requests == [], visit.requests
    assert visit.errors == [], visit.errors


@pytest.mark.nox
def test_the_example_page_in_a_browser(browser: Any, nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    """The page the README's entry point writes: ``--example --html PAGE``, every chart of the example on it."""
    page_file = tmp_path / "example.html"
    outcome = nox_monitor("--example", "--format", "json", "--html", page_file)
    assert outcome.code == 0, outcome.err
    findings = json_from(outcome)["findings"]
    kinds = [f["series"]["kind"] for f in findings if "series" in f]
    assert sorted(set(kinds)) == ["alerts", "drift", "freshness", "metrics"]
    statistics = sum(len(f["series"]["statistics"]) for f in findings if f.get("series", {}).get("kind") == "drift")
    assert page_file.read_text(encoding="utf-8").count('<svg role="img"') >= statistics + 3  # and the others
    visit = look(browser, page_file, tmp_path, [f["message"] for f in findings])
    report_counts("example", visit)


@pytest.mark.nox
def test_a_thousand_window_page_in_a_browser(browser: Any, nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    """A real workspace of 1,000 windows (five minutes apart) judged together: 1,000 points per line."""
    from benchmarks.scale import write_workspace

    config = write_workspace(tmp_path / "ws", 1000)
    page_file = tmp_path / "thousand.html"
    outcome = nox_monitor("--config", config, "--windows", "1000", "--format", "json", "--html", page_file)
    assert outcome.code in (0, 1), outcome.err
    findings = json_from(outcome)["findings"]
    trends = [f["series"] for f in findings if f.get("series", {}).get("kind") == "drift"]
    assert trends and all(len(t["windows"]) == 1000 for t in trends)
    size = page_file.stat().st_size
    print(f"1,000-window page: {size / 1e6:.2f} MB")
    assert size <= 1_000_000
    visit = look(browser, page_file, tmp_path, [f["message"] for f in findings])
    report_counts("1,000 windows", visit)


def test_a_hostile_page_runs_nothing_and_fetches_nothing(browser: Any, tmp_path: Path) -> None:
    """The injection corpus, all at once, where a browser would act on it if escaping failed."""
    hostile = '"><img src=http://evil.test/x onerror=alert(1)></svg><script>alert(2)</script>]]><style>@import "http://evil.test/y"</style>'
    report = html_reports.report(12, hostile=hostile, link="javascript:alert(3)")
    page_file = tmp_path / "hostile.html"
    page_file.write_text(render(report), encoding="utf-8")
    visit = look(browser, page_file, tmp_path, [f.message for f in report.findings])
    report_counts("hostile strings", visit)


def test_the_harness_sees_a_page_that_fetches_or_fails(browser: Any, tmp_path: Path) -> None:
    """The control: a page that asks for an image, a style sheet and a font, and logs an error, is caught."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        '<!doctype html><link rel="stylesheet" href="http://cdn.test/a.css"><style>@font-face{font-family:f;'
        'src:url(f.woff2)}body{font-family:f}</style><p>x</p><img src="pic.png"><script>console.error("boom")</script>',
        encoding="utf-8",
    )
    visit = look(browser, leaky, tmp_path, None)
    assert any(u.startswith("http://cdn.test/") for u in visit.requests) and any(
        u.endswith("pic.png") for u in visit.requests
    )
    assert "boom" in visit.errors

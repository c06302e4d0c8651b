"""The page people open: one self-contained HTML file rendered from the :class:`Report` alone.

Inline CSS and inline SVG, no script and nothing fetched (a Content-Security-Policy says so to the
browser too). Top to bottom: the verdict, the findings by severity, then the charts the findings
carry (:mod:`~mlops.monitoring.reporters.charts`), each with its numbers in a table beside it.
Every string from a file or a server is escaped for where it lands (:mod:`~mlops.monitoring.reporters.svg`).
"""

from __future__ import annotations

from collections.abc import Iterable

from mlops.monitoring.reporters import charts
from mlops.monitoring.reporters.base import Reporter
from mlops.monitoring.reporters.svg import href, text
from mlops.monitoring.results import AlertTimeline, ExitCode, Finding, Freshness, Metrics, Report, Severity, Trend

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"
"""Nothing runs and nothing is fetched, even if escaping were ever wrong."""

HEADINGS = ((Severity.ERROR, "Errors"), (Severity.WARNING, "Warnings"), (Severity.INFO, "Info"))

STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;
--ok:#1a7f37;--info:#0969da;--warning:#9a6700;--error:#cf222e;--warnband:#fff1c2;--errband:#ffd8d3;
--series:#0550ae;--base:#6e7781}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;
--card:#151b23;--ok:#3fb950;--info:#4493f8;--warning:#d29922;--error:#f85149;--warnband:#3b2e0a;
--errband:#4a1b1b;--series:#79c0ff;--base:#9198a1}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1rem;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
a{color:var(--info)}
.verdict{border:2px solid var(--line);border-radius:8px;padding:.8rem 1rem;background:var(--card)}
.verdict.s-failed{border-color:var(--error)}.verdict.s-healthy{border-color:var(--ok)}
.status{font-size:1.15rem;margin:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.6rem 0 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0}
.sev{display:inline-block;min-width:4.6em;font-weight:700;font-size:.8rem;text-transform:uppercase}
.sev.ok{color:var(--ok)}.sev.info{color:var(--info)}.sev.warning{color:var(--warning)}.sev.error{color:var(--error)}
.sev.warning::before{content:"\\25B2 "}.sev.error::before{content:"\\25A0 "}
.sev.ok::before,.sev.info::before{content:"\\25CF "}
ul.findings{list-style:none;padding:0;margin:0}
ul.findings li{border-left:4px solid var(--line);padding:.3rem .6rem;margin:.3rem 0;background:var(--card)}
ul.findings li.error{border-color:var(--error)}ul.findings li.warning{border-color:var(--warning)}
ul.findings li.info{border-color:var(--info)}ul.findings li.ok{border-color:var(--ok)}
.subject{color:var(--muted)}.msg{margin:.15rem 0 0;white-space:pre-wrap}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,21rem),1fr));gap:.8rem}
figure{margin:0;min-width:0}figcaption{font-size:.85rem;color:var(--muted)}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
svg.wide{max-width:40rem}
svg text{font:11px system-ui,sans-serif;fill:var(--muted)}
svg .axis{stroke:var(--line);stroke-width:1}
svg .warnband{fill:var(--warnband)}svg .errband{fill:var(--errband)}
svg .series{fill:none;stroke:var(--series);stroke-width:1.6;stroke-linejoin:round}
svg .pt{fill:var(--series)}
svg .ok{fill:var(--ok)}svg .info{fill:var(--info)}svg .warning{fill:var(--warning)}svg .error{fill:var(--error)}
svg .thr{stroke:var(--fg);stroke-width:1.5;stroke-dasharray:3 2}
svg .cur{fill:var(--series);fill-opacity:.55}
svg .base{fill:none;stroke:var(--base);stroke-width:1.5;stroke-dasharray:4 2}
svg .lw{fill:var(--warning)}svg .le{fill:var(--error)}svg text.band{font-size:10px;fill:var(--fg)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85rem;margin:.3rem 0}
th,td{border:1px solid var(--line);padding:.15rem .4rem;text-align:right;white-space:nowrap}
th,td:first-child{text-align:left}
td.t{white-space:normal;text-align:left;min-width:10rem}
details{margin:.4rem 0}summary{cursor:pointer;color:var(--muted)}
footer{margin-top:2rem;color:var(--muted);font-size:.8rem}
@media print{body{max-width:none;background:#fff;color:#000;font-size:11pt}a{color:#000}
.verdict,ul.findings li{background:none}figure,table,li{break-inside:avoid}
details::details-content{content-visibility:visible;display:block}summary{display:none}}
"""


def render(report: Report) -> str:
    status = "healthy" if report.exit_code is ExitCode.OK else "failed"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        f"<title>mlops monitor: {status}{text(' - ' + report.model) if report.model else ''}</title>",
        f"<style>{STYLE}</style></head><body>",
        verdict(report, status),
        findings(report),
        *sections(report),
        f"<footer>mlops monitor report for {text(report.workspace)}, judged as of {text(report.as_of)}.</footer>",
        "</body></html>\n",
    ]
    return "".join(parts)


def verdict(report: Report, status: str) -> str:
    """Status, exit code and fail-on first; then what was judged, when, and with which config and workspace."""
    code = report.exit_code
    why = {
        ExitCode.OK: f"nothing at or above fail-on: {report.fail_on.label}",
        ExitCode.FINDINGS: f"findings at or above fail-on: {report.fail_on.label}",
    }.get(code, code.name.lower())
    facts: list[tuple[str, str]] = []
    if report.model:
        facts.append(
            ("Model", f"<code>{text(report.model)}</code>" + (f" @{text(report.alias)}" if report.alias else ""))
        )
    if version := served_version(report):
        facts.append(("Version", text(version)))
    if report.links:
        facts.append(("MLflow", " · ".join(link_html(link.label, link.url) for link in report.links)))
    when = "now" if report.as_of_is_now else "pinned: as_of"
    facts.append(("Judged", f"{text(report.as_of)} ({when})"))
    for name, (value, source) in zip(("Config", "Workspace"), report.inputs, strict=True):
        facts.append((name, f"<code>{text(value)}</code>" + (f" ({text(source)})" if source else "")))
    counts = ", ".join(
        f"{report.count(s)} {s.label}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.OK)
    )
    facts.append(("Findings", f"{len(report.findings)}: {counts}"))
    rows = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    return (
        f'<header class="verdict s-{status}"><h1>mlops monitor report</h1>'
        f'<p class="status"><strong>{status.upper()}</strong>: exit code {int(code)} ({text(why)})</p>'
        f'<dl class="facts">{rows}</dl></header>'
    )


def served_version(report: Report) -> str:
    """What the alias check said it points to (the Report has no version field of its own)."""
    for f in report.findings:
        if f.check == "MON305" and f.severity is Severity.OK:
            return f.message
    return ""


def link_html(label: str, url: str) -> str:
    """A link only to http(s); anything else (``javascript:``, ``data:``, ``file:``) stays visible text."""
    target = href(url)
    if target is None:
        return f"{text(label)} (<code>{text(url)}</code>, not a web link)"
    return f'<a href="{target}" rel="noopener noreferrer">{text(label)}</a>'


def findings(report: Report) -> str:
    """Errors, warnings, info with their IDs and subjects; the passing checks folded away."""
    out = ['<section id="findings"><h2>Findings</h2>']
    for severity, heading in HEADINGS:
        found = [f for f in report.findings if f.severity is severity]
        if found:
            out.append(f"<h3>{heading} ({len(found)})</h3>{finding_list(found)}")
    ok = [f for f in report.findings if f.severity is Severity.OK]
    if ok:
        out.append(f"<details><summary>{len(ok)} passing (ok)</summary>{finding_list(ok)}</details>")
    if not report.findings:
        out.append("<p>No check ran.</p>")
    out.append("</section>")
    return "".join(out)


def finding_list(found: Iterable[Finding]) -> str:
    items = []
    for f in found:
        label = f.severity.label
        subject = f' <span class="subject">{text(f.subject)}</span>' if f.subject else ""
        items.append(
            f'<li class="finding {label}"><span class="sev {label}">{label}</span> <code>{text(f.check)}</code> '
            f'<strong>{text(f.title)}</strong>{subject}<p class="msg">{text(f.message)}</p></li>'
        )
    return f'<ul class="findings">{"".join(items)}</ul>'


def sections(report: Report) -> list[str]:
    """The charts, grouped by what they show, in the order the issue lists them."""
    trends = [(f, f.series) for f in report.findings if isinstance(f.series, Trend)]
    out = []
    if trends:
        out.append('<section id="drift"><h2>Drift over time</h2>')
        out.append("<p>Each statistic per judged window, oldest on the left, newest on the right; the shaded bands "
                   "are the warning and error thresholds.</p>")  # fmt: skip
        out += [charts.trend_section(f, series) for f, series in trends]
        out.append("</section>")
        with_histograms = [(f, s.histogram) for f, s in trends if s.histogram is not None]
        if with_histograms:
            out.append('<section id="histograms"><h2>Baseline vs current</h2><div class="grid">')
            out += [charts.histogram_figure(f, h) for f, h in with_histograms]
            out.append("</div></section>")
    headings = ((AlertTimeline, "alerts", "Alerts over time"), (Freshness, "freshness", "Freshness"),
                (Metrics, "metrics", "MLflow metrics against thresholds"))  # fmt: skip
    for kind, anchor, heading in headings:
        found = [f for f in report.findings if isinstance(f.series, kind)]
        if found:
            out.append(f'<section id="{anchor}"><h2>{heading}</h2>')
            out += [charts.figure_for(f) for f in found]
            out.append("</section>")
    return out


class Html(Reporter):
    """Not a ``--format``: ``--html FILE`` writes it beside whichever format the log gets."""

    name, description = "html", "a self-contained page with charts (--html FILE)"

    def render(self, report: Report) -> str:
        return render(report)

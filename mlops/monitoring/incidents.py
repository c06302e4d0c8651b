"""Incidents where people look: one GitHub issue per failing model, a comment per further failure, closed
when a run is healthy again (docs/incidents.md).

Runs after the monitor job, in a job of its own that alone holds ``issues: write``, on the runner's
own ``python3``: standard library only, and every call goes through :func:`mlops.core.http.request`
under one deadline (:data:`BUDGET`) for the whole run. The issue is found by a hidden marker in its
body, never by its title, so a renamed issue is still the incident and a hand-written one never is.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

from mlops.core.http import HttpError, Response, request, shown_url
from mlops.core.workflow import clip, escape_data, escape_property, one_line

BUDGET = 4.5
"""Seconds for the whole run, every call and any rate-limit wait included: it ends within 5 s even
against a server that accepts and never answers."""
MIN_CALL = 0.3
"""A call started with less time than this left would only time out: the run says so instead."""
MAX_PAGES = 10
"""Pages of 100 open ``monitoring`` issues read at most: far more than a handful of models ever need."""
BODY_LIMIT = 65_536
"""GitHub refuses an issue or comment body over 65,536 characters."""
BODY_MARGIN = 1_000
"""Room kept under that limit for the header, the links and the clipping note."""
TITLE_LIMIT = 200
"""GitHub allows 256 characters in a title; a model name is cut well before."""
LABEL = "monitoring"
LABEL_COLOR = "d93f0b"
API_VERSION = "2022-11-28"
USER_AGENT = "mlops-incidents"
NO_MODEL_KEY = "workspace"
"""The marker key when no model is known (none configured, or the monitor never ran): model keys
always hold an ``@``, so no model name can collide with it."""
RESULTS = ("success", "failure", "cancelled", "skipped")
TITLE = "mlops incidents"


class Exit(enum.IntEnum):
    """OK: done (including "nothing to do"). GITHUB: GitHub refused or did not answer in time.
    USAGE: a missing variable or a bad argument; nothing was asked of GitHub."""

    OK = 0
    GITHUB = 1
    USAGE = 2


class GitHubError(Exception):
    """GitHub refused, or did not answer within the budget; the message is safe to print (no token, no URL path)."""


class UsageError(Exception):
    """The job is wired wrongly; the message names the variable or argument."""


@dataclass(frozen=True, kw_only=True)
class Incident:
    """What the monitor job handed over: its result and exit code, and which model it watched."""

    result: str
    exit_code: str
    model: str
    alias: str
    report_url: str
    summary: str

    @property
    def key(self) -> str:
        return incident_key(self.model, self.alias)

    @property
    def title(self) -> str:
        if not self.model:
            what = "monitor could not run" if not self.exit_code else "workspace (no model configured)"
            return f"Monitoring failing: {what}"
        name = one_line(self.model)[:TITLE_LIMIT]
        alias = f" (alias {one_line(self.alias)[:40]})" if self.alias else ""
        return f"Monitoring failing: {name}{alias}"


def incident_key(model: str, alias: str) -> str:
    """``MODEL@ALIAS`` percent-encoded: no ``-->``, line break or Markdown can end the marker early."""
    return f"{quote(model, safe='')}@{quote(alias, safe='')}" if model else NO_MODEL_KEY


def marker(key: str) -> str:
    return f"<!-- mlops-incident: {key} -->"


def markdown_text(text: str) -> str:
    """Plain text inside Markdown: control characters shown, every ASCII punctuation backslash-escaped
    (CommonMark allows it for all of them), so a name cannot open a link, a tag or a table."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", one_line(text))


@dataclass
class GitHub:
    """GitHub's REST API for one repository, every call under the run's single deadline."""

    api: str
    repo: str
    token: str
    deadline: float
    calls: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        owner, name = self.repo.split("/", 1)
        return f"{self.api.rstrip('/')}/repos/{quote(owner, safe='')}/{quote(name, safe='')}{path}"

    def call(self, method: str, url: str, what: str, body: Mapping[str, Any] | None = None) -> Response:
        """One call, retried once after a rate limit whose wait fits in what is left of the budget."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            left = self.deadline - time.monotonic()
            if left < MIN_CALL:
                raise GitHubError(f"{what}: out of time (the run's budget is {BUDGET:g} s)")
            self.calls.append(f"{method} {what}")
            try:
                resp = request(method, url, timeout=left, headers=headers, body=data)
            except HttpError as exc:
                if exc.kind == "timeout":
                    raise GitHubError(f"{what}: GitHub did not answer within the run's {BUDGET:g} s budget") from None
                raise GitHubError(f"{what}: {exc} ({shown_url(url)})") from None
            limit = rate_limit(resp)
            if limit is None:
                return resp
            wait, message = limit
            if attempt == 1 and wait + MIN_CALL <= self.deadline - time.monotonic():
                time.sleep(wait)
                continue
            raise GitHubError(f"{what}: {message}; not retried: that wait does not fit the run's {BUDGET:g} s budget")
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, method: str, url: str, what: str, ok: Sequence[int], body: Mapping[str, Any] | None = None) -> Any:
        resp = self.call(method, url, what, body)
        if resp.status not in ok:
            raise GitHubError(refusal(resp, what))
        try:
            return json.loads(resp.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise GitHubError(f"{what}: GitHub answered {resp.status} with something that is not JSON") from None

    def open_incidents(self) -> list[dict[str, Any]]:
        """Open issues labelled ``monitoring``, every page (at most MAX_PAGES), pull requests left out."""
        url = self.url(f"/issues?labels={LABEL}&state=open&per_page=100")
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            resp = self.call("GET", url, f"listing open issues (page {page})")
            if resp.status != 200:
                raise GitHubError(refusal(resp, "listing open issues"))
            try:
                items = json.loads(resp.body)
            except (ValueError, UnicodeDecodeError):
                items = None
            if not isinstance(items, list):
                raise GitHubError("listing open issues: GitHub answered with something that is not a list")
            found += [i for i in items if is_issue(i)]
            next_url = next_link(resp.headers.get("link", ""))
            if next_url is None:
                return found
            if urlsplit(next_url)[:2] != urlsplit(self.api)[:2]:
                raise GitHubError("listing open issues: the next page is on another host; not followed with the token")
            url = next_url
        raise GitHubError(f"listing open issues: more than {MAX_PAGES} pages of open '{LABEL}' issues; close some")

    def ensure_label(self) -> bool:
        """Create the label when the repository lacks it; True when it was created here."""
        resp = self.call("GET", self.url(f"/labels/{LABEL}"), "reading the label")
        if resp.status == 200:
            return False
        if resp.status != 404:
            raise GitHubError(refusal(resp, "reading the label"))
        body = {"name": LABEL, "color": LABEL_COLOR, "description": "Opened and closed by the scheduled monitor"}
        resp = self.call("POST", self.url("/labels"), "creating the label", body)
        if resp.status == 201 or (resp.status == 422 and b"already_exists" in resp.body):
            return resp.status == 201
        raise GitHubError(refusal(resp, "creating the label"))


def is_issue(item: object) -> bool:
    """An issue as GitHub lists it; pull requests (listed too, with a ``pull_request`` key) are not."""
    return isinstance(item, dict) and isinstance(item.get("number"), int) and "pull_request" not in item


def rate_limit(resp: Response) -> tuple[float, str] | None:
    """(seconds to wait, what to say) when GitHub says a rate limit stopped this call (its documented rules)."""
    if resp.status not in (403, 429):
        return None
    h = resp.headers
    if h.get("x-ratelimit-remaining") == "0":
        reset = h.get("x-ratelimit-reset", "")
        if not reset.isdigit():
            return 60.0, "GitHub's primary rate limit is used up (x-ratelimit-remaining: 0; no reset time given)"
        wait = max(int(reset) - time.time(), 0.0)
        at = datetime.fromtimestamp(int(reset), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        said = f"GitHub's primary rate limit is used up (x-ratelimit-remaining: 0); it resets at {at}, in {wait:.0f} s"
        return wait, said
    retry = h.get("retry-after", "")
    if retry.isdigit():
        return float(retry), f"GitHub's secondary rate limit (HTTP {resp.status}): retry after {retry} s"
    if resp.status == 429 or b"secondary rate limit" in resp.body.lower():
        return 60.0, f"GitHub's secondary rate limit (HTTP {resp.status}, no retry-after): wait at least 60 s"
    return None


def refusal(resp: Response, what: str) -> str:
    """Why GitHub refused, in GitHub's words (clipped, one line) and with what to check."""
    said = ""
    try:
        doc = json.loads(resp.body)
        if isinstance(doc, dict) and isinstance(doc.get("message"), str):
            said = f": {one_line(doc['message'])[:200]}"
    except (ValueError, UnicodeDecodeError):
        pass
    hint = {
        401: "; is GITHUB_TOKEN set from secrets.GITHUB_TOKEN?",
        403: "; does this job have `permissions: issues: write`?",
        404: "; is GITHUB_REPOSITORY right, and may the token see it?",
        410: "; are issues turned off in this repository?",
    }.get(resp.status, "")
    return f"{what}: GitHub answered {resp.status}{said}{hint}"


def next_link(header: str) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header (RFC 8288, as GitHub writes it), None on the last page."""
    for part in header.split(","):
        match = re.match(r"\s*<([^>]*)>\s*;(.*)$", part)
        if match and re.search(r'(^|;)\s*rel="?([^";]* )?next( [^";]*)?"?\s*(;|$)', match[2]):
            return match[1]
    return None


def run_link(env: Mapping[str, str]) -> str:
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    run_id = env.get("GITHUB_RUN_ID", "")
    if not run_id.isdigit():
        return ""
    return f"{server.rstrip('/')}/{env['GITHUB_REPOSITORY']}/actions/runs/{run_id}"


def failure_body(incident: Incident, env: Mapping[str, str], *, with_marker: bool) -> str:
    """The summary, clipped under GitHub's limit with a note, after a line of links and the marker."""
    links = []
    if url := run_link(env):
        links.append(f"[workflow run {env['GITHUB_RUN_ID']}]({url})")
    if urlsplit(incident.report_url).scheme in ("http", "https") and not re.search(r"[\s()<>]", incident.report_url):
        links.append(f"[HTML report]({incident.report_url})")
    if incident.model:
        alias = f" (alias {markdown_text(incident.alias)})" if incident.alias else ""
        what = f"model {markdown_text(incident.model)}{alias}"
    else:
        what = "the monitor" if incident.exit_code else "the monitor (it did not run)"
    code = f"exit code {incident.exit_code}" if incident.exit_code else f"result {incident.result}, no exit code"
    head = [marker(incident.key)] if with_marker else []
    head += [f"**Monitoring failed** for {what}: {code}. {' · '.join(links)}".rstrip(), ""]
    summary = incident.summary.strip() or (
        "The monitor left no summary: it may not have run (its environment may not have built). See the run's log."
    )
    room = BODY_LIMIT - BODY_MARGIN - sum(len(line) + 1 for line in head)
    note = f"*Summary clipped to fit GitHub's {BODY_LIMIT:,}-character limit: the run's job summary has all of it.*"
    return "\n".join([*head, clip(summary, room, note)]) + "\n"


def healthy_body(env: Mapping[str, str]) -> str:
    url = run_link(env)
    where = f"[workflow run {env['GITHUB_RUN_ID']}]({url})" if url else "the latest run"
    return f"✅ Monitoring is healthy again in {where}: closing this incident.\n"


def settle(incident: Incident, github: GitHub, env: Mapping[str, str], done: list[str]) -> None:
    """Open, comment on or close the incident; ``done`` gets what was done, one sentence each, as it
    happens (so a run that fails halfway still says what it changed)."""
    if incident.result in ("cancelled", "skipped"):
        done.append(f"the monitor job was {incident.result}: no incident opened, commented on or closed")
        return
    failing = incident.result == "failure" or incident.exit_code not in ("", "0")
    if not failing and incident.exit_code != "0":
        done.append("the monitor succeeded but left no exit code: incidents left as they are")
        return
    keys = {incident.key} if failing else {incident.key, NO_MODEL_KEY}
    found = sorted(
        (i for i in github.open_incidents() if any(marker(k) in str(i.get("body") or "") for k in keys)),
        key=lambda i: int(i.get("number", 0)),
    )
    if failing and found:
        number = int(found[0]["number"])
        github.json("POST", github.url(f"/issues/{number}/comments"), f"commenting on #{number}", (201,),
                    {"body": failure_body(incident, env, with_marker=False)})  # fmt: skip
        done.append(f"commented on incident #{number}: {incident.title}")
    elif failing:
        if github.ensure_label():
            done.append(f"created the '{LABEL}' label")
        body = {"title": incident.title, "body": failure_body(incident, env, with_marker=True), "labels": [LABEL]}
        opened = github.json("POST", github.url("/issues"), "opening an issue", (201,), body)
        done.append(f"opened incident #{opened.get('number') if isinstance(opened, dict) else '?'}: {incident.title}")
    for issue in found if not failing else []:
        number = int(issue["number"])
        github.json("POST", github.url(f"/issues/{number}/comments"), f"commenting on #{number}", (201,),
                    {"body": healthy_body(env)})  # fmt: skip
        github.json("PATCH", github.url(f"/issues/{number}"), f"closing #{number}", (200,),
                    {"state": "closed", "state_reason": "completed"})  # fmt: skip
        done.append(f"closed incident #{number}: {one_line(str(issue.get('title', '')))[:TITLE_LIMIT]}")
    if not failing and not found:
        done.append("healthy, and no incident is open: nothing to do")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m mlops.monitoring.incidents",
        description="Open, comment on or close the GitHub issue that tracks a failing monitor (docs/incidents.md).",
    )
    p.add_argument("--result", required=True, choices=RESULTS, help="the monitor job's result")
    p.add_argument("--exit-code", default="", help="the monitor's exit code; empty when it never ran")
    p.add_argument("--model", default="", help="the registered model watched; empty when none is known")
    p.add_argument("--alias", default="", help="its serving alias")
    p.add_argument("--report-url", default="", help="the HTML report, linked when it is an http(s) URL")
    return p


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    """Exit 0 when done, 1 when GitHub refused or did not answer, 2 for a usage error."""
    env = os.environ if env is None else env
    out = out or sys.stdout
    token = env.get("GITHUB_TOKEN", "")

    def scrub(text: str) -> str:
        return text.replace(token, "***") if token else text

    def say(command: str, message: str) -> None:
        out.write(f"::{command} title={escape_property(TITLE)}::{escape_data(one_line(scrub(message)))}\n")

    started = time.monotonic()
    args = parser().parse_args(argv)
    try:
        incident = Incident(
            result=args.result,
            exit_code=args.exit_code.strip(),
            model=args.model,
            alias=args.alias,
            report_url=args.report_url.strip(),
            summary=env.get("MLOPS_SUMMARY", ""),
        )
        if incident.exit_code and not incident.exit_code.isdigit():
            raise UsageError(f"--exit-code {one_line(incident.exit_code)[:20]!r} is not a number (or empty)")
        if incident.result in ("success", "failure"):
            for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY"):
                if not env.get(name):
                    raise UsageError(f"{name} is not set: the job needs `env: {name}: ...` (see docs/incidents.md)")
            if not re.fullmatch(r"[\w.-]+/[\w.-]+", env["GITHUB_REPOSITORY"]):
                raise UsageError("GITHUB_REPOSITORY must look like OWNER/NAME")
        api = env.get("GITHUB_API_URL") or "https://api.github.com"
        if urlsplit(api).scheme not in ("http", "https") or not urlsplit(api).hostname:
            raise UsageError("GITHUB_API_URL is not an http(s) URL")
    except UsageError as exc:
        say("error", str(exc))
        out.write(f"{TITLE}: usage error, nothing done\n")
        return Exit.USAGE
    github = GitHub(api=api, repo=env.get("GITHUB_REPOSITORY", "/"), token=token, deadline=started + BUDGET)
    done: list[str] = []
    try:
        settle(incident, github, env, done)
    except GitHubError as exc:
        for sentence in done:
            say("notice", sentence)
        say("error", str(exc))
        out.write(f"{TITLE}: failed after {time.monotonic() - started:.1f} s ({len(github.calls)} call(s))\n")
        return Exit.GITHUB
    for sentence in done:
        say("notice", sentence)
    out.write(f"{TITLE}: {scrub('; '.join(one_line(d) for d in done))} ({time.monotonic() - started:.1f} s)\n")
    return Exit.OK


if __name__ == "__main__":
    raise SystemExit(main())

"""The incident job (python3 -m mlops.monitoring.incidents) against a loopback GitHub (tests/github_server.py).

GitHub itself cannot be reached from here: every promise is checked against the documented subset of
its REST API that tests/github_server.py answers, with the requests it recorded.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.monitoring import incidents
from tests.github_server import FakeGitHub, Recorded, parse_outputs

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = "## mlops monitor: ❌ failed\n\n| | check | | finding |\n|---|---|---|---|\n| ❌ | `MON102` | stale | old |\n"
FAIL = ["--result", "failure", "--exit-code", "1", "--model", "shapes-detector", "--alias", "champion"]
HEALTHY = ["--result", "success", "--exit-code", "0", "--model", "shapes-detector", "--alias", "champion"]
KEY_MARKER = "<!-- mlops-incident: shapes-detector@champion -->"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def env_for(gh: FakeGitHub, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": gh.token,
        "GITHUB_API_URL": gh.api,
        "GITHUB_REPOSITORY": gh.repository,
        "GITHUB_SERVER_URL": "https://github.test",
        "GITHUB_RUN_ID": "4242",
        "MLOPS_SUMMARY": SUMMARY,
    } | extra


def run(gh: FakeGitHub, args: list[str], **extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = incidents.main(args, env_for(gh, **extra), out)
    assert gh.token not in out.getvalue()
    return code, out.getvalue()


# --- open, comment, close ---------------------------------------------------------------------


def test_a_first_failure_opens_one_labelled_issue_with_the_summary_and_links(gh: FakeGitHub) -> None:
    code, out = run(gh, [*FAIL, "--report-url", "https://acme.github.io/models/report.html"])
    assert code == 0, out
    (issue,) = gh.issues.values()
    assert issue["title"] == "Monitoring failing: shapes-detector (alias champion)"
    assert [label["name"] for label in issue["labels"]] == ["monitoring"]
    assert issue["body"].startswith(KEY_MARKER + "\n")
    assert SUMMARY.strip() in issue["body"]
    assert "(https://github.test/acme/models/actions/runs/4242)" in issue["body"]
    assert "[HTML report](https://acme.github.io/models/report.html)" in issue["body"]
    assert "::notice title=mlops incidents::opened incident #1" in out
    (post,) = gh.writes()
    assert post.headers["authorization"] == f"Bearer {gh.token}"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.headers["x-github-api-version"] == "2022-11-28"
    assert post.headers["user-agent"]
    listing = gh.requests[0]
    assert listing.route == "GET /issues"
    assert listing.query == {"labels": ["monitoring"], "state": ["open"], "per_page": ["100"]}


def test_a_second_failure_comments_on_the_open_incident(gh: FakeGitHub) -> None:
    run(gh, FAIL)
    code, out = run(gh, FAIL, MLOPS_SUMMARY="## still failing\n")
    assert code == 0, out
    assert len(gh.issues) == 1
    (comment,) = gh.comments[1]
    assert "## still failing" in comment["body"] and "actions/runs/4242" in comment["body"]
    assert "commented on incident #1" in out


def test_a_healthy_run_closes_the_incident_with_a_comment(gh: FakeGitHub) -> None:
    run(gh, FAIL)
    code, out = run(gh, HEALTHY, GITHUB_RUN_ID="4243")
    assert code == 0, out
    issue = gh.issues[1]
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    (comment,) = gh.comments[1]
    assert "healthy again" in comment["body"] and "actions/runs/4243" in comment["body"]
    assert gh.routes()[-2:] == ["POST /issues/1/comments", "PATCH /issues/1"]
    assert "closed incident #1" in out


def test_healthy_with_nothing_open_writes_nothing(gh: FakeGitHub) -> None:
    gh.add_issue("Monitoring failing: other (alias champion)", "<!-- mlops-incident: other@champion -->")
    code, out = run(gh, HEALTHY)
    assert code == 0, out
    assert gh.writes() == []
    assert "nothing to do" in out


def test_healthy_also_closes_the_could_not_run_incident(gh: FakeGitHub) -> None:
    code, out = run(gh, ["--result", "failure"], MLOPS_SUMMARY="")
    assert code == 0, out
    assert gh.issues[1]["title"] == "Monitoring failing: monitor could not run"
    assert "left no summary" in gh.issues[1]["body"]
    run(gh, HEALTHY)
    assert gh.issues[1]["state"] == "closed"


def test_an_incident_on_page_two_is_found(gh: FakeGitHub) -> None:
    gh.page_size = 2
    target = gh.add_issue("renamed by a person", f"{KEY_MARKER}\nold")
    for n in range(4):
        gh.add_issue(f"other {n}", f"<!-- mlops-incident: m{n}@champion -->")
    code, out = run(gh, FAIL)
    assert code == 0, out
    assert [r.query.get("page") for r in gh.requests if r.route == "GET /issues"] == [None, ["2"], ["3"]]
    assert len(gh.issues) == 5 and len(gh.comments[target]) == 1


def test_a_missing_label_is_created_before_the_issue(gh: FakeGitHub) -> None:
    gh.labels.clear()
    code, out = run(gh, FAIL)
    assert code == 0, out
    assert gh.routes() == ["GET /issues", "GET /labels/monitoring", "POST /labels", "POST /issues"]
    assert gh.requests[2].body["name"] == "monitoring"
    assert "created the 'monitoring' label" in out


def test_a_label_created_meanwhile_is_fine(gh: FakeGitHub) -> None:
    """Another run created it between our GET and POST: 422 already_exists is success."""
    gh.labels.clear()

    def another_run(request: Recorded) -> None:
        if request.route == "POST /labels":
            gh.labels["monitoring"] = {"name": "monitoring"}

    gh.before = another_run
    code, out = run(gh, FAIL)
    assert code == 0, out
    assert len(gh.issues) == 1


def test_a_pull_request_with_the_marker_is_ignored(gh: FakeGitHub) -> None:
    gh.add_issue("a PR quoting the marker", f"{KEY_MARKER}\n", pull_request=True)
    code, out = run(gh, FAIL)
    assert code == 0, out
    assert gh.routes()[-1] == "POST /issues"
    assert 1 not in gh.comments


def test_the_title_alone_does_not_identify_an_incident(gh: FakeGitHub) -> None:
    gh.add_issue("Monitoring failing: shapes-detector (alias champion)", "written by hand, no marker")
    run(gh, FAIL)
    assert len(gh.issues) == 2 and not gh.comments


def test_each_model_and_alias_has_its_own_incident(gh: FakeGitHub) -> None:
    run(gh, FAIL)
    run(gh, [*FAIL[:-1], "challenger"])
    assert [i["title"] for i in gh.issues.values()] == [
        "Monitoring failing: shapes-detector (alias champion)",
        "Monitoring failing: shapes-detector (alias challenger)",
    ]


def test_cancelled_and_skipped_do_nothing(gh: FakeGitHub) -> None:
    for result in ("cancelled", "skipped"):
        code, out = run(gh, ["--result", result])
        assert code == 0 and f"was {result}" in out
    assert gh.requests == []


def test_a_nonzero_exit_code_is_a_failure_whatever_the_result(gh: FakeGitHub) -> None:
    code, _ = run(gh, ["--result", "success", "--exit-code", "1", "--model", "m"])
    assert code == 0 and len(gh.issues) == 1


# --- refusals, limits, silence ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("primary", "primary rate limit is used up (x-ratelimit-remaining: 0); it resets at "),
        ("secondary", "secondary rate limit (HTTP 403): retry after 60 s"),
        ("429", "secondary rate limit (HTTP 429): retry after 60 s"),
    ],
)
def test_a_rate_limit_that_does_not_fit_the_budget_fails_clearly(gh: FakeGitHub, mode: str, said: str) -> None:
    gh.fail(mode)
    code, out = run(gh, FAIL)
    assert code == 1, out
    assert said in out and "does not fit the run's 4.5 s budget" in out
    assert out.startswith("::error title=mlops incidents::listing open issues (page 1): ")
    assert len(gh.requests) == 1 and not gh.issues


def test_a_429_without_retry_after_waits_a_minute_so_fails(gh: FakeGitHub) -> None:
    gh.fail("429", retry_after=None)
    code, out = run(gh, FAIL)
    assert code == 1 and "no retry-after): wait at least 60 s" in out


@pytest.mark.parametrize("mode", ["secondary", "429"])
def test_a_short_retry_after_is_waited_for_once_and_succeeds(gh: FakeGitHub, mode: str) -> None:
    gh.fail(mode, times=1, retry_after=1)
    code, out = run(gh, FAIL)
    assert code == 0, out
    assert gh.routes() == ["GET /issues", "GET /issues", "GET /labels/monitoring", "POST /issues"]


def test_a_primary_limit_resetting_now_is_retried(gh: FakeGitHub) -> None:
    gh.fail("primary", times=1, reset_in=0)
    code, out = run(gh, FAIL)
    assert code == 0, out
    assert len(gh.issues) == 1


def test_a_limit_hit_twice_is_not_retried_twice(gh: FakeGitHub) -> None:
    gh.fail("secondary", retry_after=0)
    code, _ = run(gh, FAIL)
    assert code == 1 and len(gh.requests) == 2


def test_a_silent_server_ends_the_run_within_the_budget(gh: FakeGitHub) -> None:
    gh.fail("silent")
    started = time.monotonic()
    code, out = run(gh, FAIL)
    elapsed = time.monotonic() - started
    print(f"incident run against a silent server: {elapsed:.2f} s (budget {incidents.BUDGET} s)")
    assert code == 1
    assert "did not answer within the run's 4.5 s budget" in out


def test_a_server_error_fails_with_its_status(gh: FakeGitHub) -> None:
    gh.fail("5xx")
    code, out = run(gh, FAIL)
    assert code == 1 and "GitHub answered 502: Server Error" in out


def test_a_wrong_token_is_refused_and_never_printed(gh: FakeGitHub) -> None:
    wrong = "ghs_wrong-" + "token-value"
    code, out = run(gh, FAIL, GITHUB_TOKEN=wrong)
    assert code == 1
    assert "GitHub answered 401: Bad credentials" in out
    assert wrong not in out


def test_a_missing_permission_says_which(gh: FakeGitHub) -> None:
    gh.fail("forbidden")
    code, out = run(gh, FAIL)
    assert code == 1 and "403: Resource not accessible by integration; does this job have" in out


def test_an_unreachable_api_fails_without_its_path(gh: FakeGitHub) -> None:
    code, out = run(gh, FAIL, GITHUB_API_URL="http://127.0.0.1:9/secret/path")
    assert code == 1 and "cannot connect" in out and "secret" not in out


def test_a_next_link_to_another_host_is_not_followed(gh: FakeGitHub) -> None:
    gh.page_size = 1
    gh.add_issue("a", "x")
    gh.add_issue("b", "y")
    code, out = run(gh, FAIL, GITHUB_API_URL=gh.api.replace("127.0.0.1", "localhost"))
    assert code == 1 and "another host" in out
    assert len(gh.requests) == 1


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (FAIL, {"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set"),
        (FAIL, {"GITHUB_REPOSITORY": ""}, "GITHUB_REPOSITORY is not set"),
        (FAIL, {"GITHUB_REPOSITORY": "acme/models/../x"}, "GITHUB_REPOSITORY must look like OWNER/NAME"),
        (["--result", "failure", "--exit-code", "one"], {}, "--exit-code 'one' is not a number"),
    ],
)
def test_usage_errors_exit_2_and_ask_nothing(gh: FakeGitHub, args: list[str], env: dict[str, str], said: str) -> None:
    code, out = run(gh, args, **env)
    assert code == 2 and said in out
    assert gh.requests == []


def test_a_bad_result_is_a_usage_error(gh: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run(gh, ["--result", "red"])
    assert exc.value.code == 2 and "invalid choice: 'red'" in capsys.readouterr().err


# --- hostile text -------------------------------------------------------------------------------


def test_hostile_model_names_break_neither_title_marker_nor_workflow_commands(gh: FakeGitHub) -> None:
    model = "evil -->\n<script>x</script> [l](http://x) | `a`\r::error::forged%0A\x1b[2J"
    code, out = run(gh, ["--result", "failure", "--exit-code", "1", "--model", model, "--alias", "a\nb"])
    assert code == 0, out
    (issue,) = gh.issues.values()
    assert "\n" not in issue["title"] and "\x1b" not in issue["title"] and "\r" not in issue["title"]
    first = issue["body"].split("\n", 1)[0]
    assert first == f"<!-- mlops-incident: {incidents.incident_key(model, 'a' + chr(10) + 'b')} -->"
    assert first.count("-->") == 1 and "<script>" not in issue["body"].split("\n\n", 1)[0]
    assert all(line.startswith(("::notice ", "::error ", "mlops incidents: ")) for line in out.splitlines())
    # the same incident is found again by its marker
    run(gh, ["--result", "failure", "--exit-code", "1", "--model", model, "--alias", "a\nb"])
    assert len(gh.issues) == 1 and len(gh.comments[1]) == 1


def test_a_huge_summary_is_clipped_under_githubs_limit_and_says_so(gh: FakeGitHub) -> None:
    row = "| ❌ | `MON102` | stale | " + "x" * 80 + " |\n"
    code, out = run(gh, FAIL, MLOPS_SUMMARY=row * 2000)
    assert code == 0, out
    body = gh.issues[1]["body"]
    assert len(body) <= incidents.BODY_LIMIT
    assert "Summary clipped to fit GitHub's 65,536-character limit" in body
    assert body.startswith(KEY_MARKER)


def test_a_report_url_that_is_not_http_is_not_linked(gh: FakeGitHub) -> None:
    run(gh, [*FAIL, "--report-url", "javascript:alert(1)"])
    assert "HTML report" not in gh.issues[1]["body"]


# --- the real process, on a python with nothing installed ---------------------------------------


def test_the_cli_runs_on_a_bare_python_and_never_prints_the_token(gh: FakeGitHub) -> None:
    """``python3 -S`` sees no site-packages: what the runner's own python3 offers (no YAML parser either)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MLOPS_"))} | env_for(gh)
    command = [sys.executable, "-S", "-m", "mlops.monitoring.incidents", *FAIL, "--report-url", ""]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::notice title=mlops incidents::opened incident #1" in done.stdout
    assert gh.token not in done.stdout + done.stderr
    gh.fail("primary")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "primary rate limit" in done.stdout
    assert gh.token not in done.stdout + done.stderr


def test_parse_outputs_reads_githubs_multiline_syntax() -> None:
    text = "a=1\nsummary<<EOF_x\nline1\nb=2\nEOF_x\nc=3\n"
    assert parse_outputs(text) == {"a": "1", "summary": "line1\nb=2", "c": "3"}


def test_a_run_failing_halfway_says_what_it_already_changed(gh: FakeGitHub) -> None:
    gh.add_issue("Monitoring failing: monitor could not run", "<!-- mlops-incident: workspace -->")
    gh.add_issue("Monitoring failing: shapes-detector (alias champion)", KEY_MARKER)

    def fail_after_the_first_close(request: Recorded) -> None:
        if request.route == "PATCH /issues/1":
            gh.fail("5xx")

    gh.before = fail_after_the_first_close
    code, out = run(gh, HEALTHY)
    assert code == 1
    assert out.index("::notice title=mlops incidents::closed incident #1") < out.index("::error ")
    assert "commenting on #2: GitHub answered 502" in out

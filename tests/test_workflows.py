"""The workflows keep their promises: audited offline, checked by their schema, and replayed here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.replay import (
    ACTIONS,
    REPOSITORY,
    STS_VARIABLES,
    TOKEN,
    JobResult,
    Runner,
    equal,
    load_workflow,
    parse_outputs,
    pin_problems,
    replay_s3_variant,
)
from benchmarks.replay import text as expression_text
from tests.conftest import ROOT
from tests.github_server import FakeGitHub
from tests.storage_server import S3Server

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MONITOR = ROOT / ".github" / "workflows" / "monitor.yml"
TOOLS = Path(sys.executable).parent
INSTALLER = re.compile(r"uv pip (sync|install)|pip install|Creating virtual environment|installing nox")
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c"
"""Tag v6.2.3 (node24), read from the action's repository: ../shared/FACTS.md."""
S3_STEP = "AWS credentials by OIDC (S3 variant)"


def monitor_job() -> dict[str, Any]:
    job: dict[str, Any] = load_workflow(MONITOR)["jobs"]["monitor"]
    return job


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} == {"monitor.yml", "ci.yml"}


def test_zizmor_pedantic_finds_nothing() -> None:
    result = subprocess.run(
        [TOOLS / "zizmor", "--offline", "--pedantic", "--format", "json", *WORKFLOWS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(result.stdout) == [], result.stdout
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [("vendor.github-workflows", WORKFLOWS), ("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"])],
)
def test_schema_accepts_the_files(schema: str, files: list[Path]) -> None:
    result = subprocess.run(
        [TOOLS / "check-jsonschema", "--builtin-schema", schema, *files], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_monitor_runs_on_a_schedule_off_the_hour_and_by_hand() -> None:
    triggers = load_workflow(MONITOR)["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    for entry in triggers["schedule"]:
        minute = entry["cron"].split()[0]
        assert minute.isdigit() and int(minute) not in (0, 30), entry["cron"]


PERMISSIONS = {
    ("monitor.yml", "monitor"): {"contents": "read", "id-token": "write"},  # the token: S3 variant only
    ("monitor.yml", "keepalive"): {"actions": "write"},
    ("monitor.yml", "incident"): {"contents": "read", "issues": "write"},
    ("ci.yml", "lint"): {"contents": "read"},
    ("ci.yml", "tests"): {"contents": "read"},
}
"""Every job of every workflow, with only what it uses: a new job must be entered here."""


def test_each_job_has_only_the_permissions_it_uses() -> None:
    found = {
        (workflow.name, name): job["permissions"]
        for workflow in WORKFLOWS
        for name, job in load_workflow(workflow)["jobs"].items()
    }
    assert found == PERMISSIONS


def test_monitor_permissions_timeout_concurrency() -> None:
    doc = load_workflow(MONITOR)
    job = monitor_job()
    assert doc["permissions"] == {}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}  # the token: S3 variant only
    assert job["timeout-minutes"] <= 10
    assert "group" in doc["concurrency"]
    assert job["env"]["PYTHON_DOTENV_DISABLED"] == "1"
    assert job["environment"]


def test_monitor_runs_only_the_light_session() -> None:
    runs = " ".join(step.get("run", "") for step in monitor_job()["steps"])
    assert re.findall(r"-s (\S+)", runs) == ["monitor"]
    for heavy in ("full.txt", "train", "pip install", "tests"):
        assert heavy not in runs


def test_monitor_cache_keys_are_exact_and_complete() -> None:
    restores = [s for s in monitor_job()["steps"] if s.get("uses", "").startswith("actions/cache/restore@")]
    assert [c["with"]["path"] for c in restores] == [".nox", ".uv-cache"]
    for cache in restores:
        assert "restore-keys" not in cache["with"]
        key = cache["with"]["key"]
        assert "${{ runner.os }}" in key and "${{ runner.arch }}" in key
        assert "requirements/monitoring.txt" in key and "requirements/nox.txt" in key
    assert restores[1]["if"] == "steps.nox-cache.outputs.cache-hit != 'true'"
    nox_key = restores[0]["with"]["key"]
    assert "${{ steps.python.outputs.python-version }}" in nox_key
    assert "noxfile.py" in nox_key


def test_monitor_caches_are_restored_and_saved_apart_so_a_failing_monitor_still_saves() -> None:
    """actions/cache saves in a post step with post-if: success() (its action.yml): a monitor that found
    errors would save nothing. Each restore has a save with the same key, after the monitor, under
    always(), only when the key missed, and only for an env whose sync wrote its stamp."""
    steps = monitor_job()["steps"]
    assert not [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    assert ACTIONS[next(a for a in ACTIONS if a.startswith("actions/cache@27d5ce7"))]["post-if"] == "success()"
    names = [s.get("name") for s in steps]
    for restore_id, path in (("nox-cache", ".nox"), ("uv-cache", ".uv-cache")):
        (save,) = [
            s for s in steps if s.get("uses", "").startswith("actions/cache/save@") and s["with"]["path"] == path
        ]
        assert save["with"]["key"] == f"${{{{ steps.{restore_id}.outputs.cache-primary-key }}}}"
        condition = save["if"]
        assert condition.startswith("always() && ")
        assert f"steps.{restore_id}.outputs.cache-hit != 'true'" in condition
        assert "hashFiles('.nox/monitor/mlops-env.json') != ''" in condition
        assert names.index(save["name"]) > names.index("Run the monitor")


def test_monitor_uploads_its_html_page_whatever_the_verdict() -> None:
    """The page the monitor writes (--html) is uploaded even when the monitor failed, kept a bounded
    time, and its URL reaches the incident job; the summary's artifacts link is keyed on the same name."""
    steps = monitor_job()["steps"]
    run = next(s for s in steps if s.get("name") == "Run the monitor")
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()" and upload["id"] == "page"
    assert upload["with"]["path"] == run["env"]["MLOPS_HTML_REPORT"]
    assert '--html "${MLOPS_HTML_REPORT}"' in run["run"]
    assert 1 <= upload["with"]["retention-days"] <= 90
    assert monitor_job()["outputs"]["report-url"] == "${{ steps.page.outputs.artifact-url }}"
    incident = load_workflow(MONITOR)["jobs"]["incident"]["steps"][-1]
    assert incident["env"]["REPORT_URL"] == "${{ needs.monitor.outputs.report-url }}"
    assert '--report-url "${REPORT_URL}"' in incident["run"]


def test_the_stamp_the_saves_look_for_is_the_one_noxenv_writes() -> None:
    from tools import noxenv

    assert noxenv.STAMP == "mlops-env.json"
    assert f".nox/monitor/{noxenv.STAMP}" in MONITOR.read_text()


def test_monitor_nox_cache_hashes_what_the_cache_key_session_hashes() -> None:
    """The workflow's key and `nox -s cache-key` follow the same files: the monitor's lock and the
    noxfile's CACHE_INPUTS (the noxfile, tools/noxenv.py which syncs the envs, requirements/nox.txt)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    noxfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(noxfile)
    step = next(s for s in monitor_job()["steps"] if s.get("id") == "nox-cache")
    call = re.search(r"hashFiles\((.*?)\)", step["with"]["key"])
    assert call is not None
    hashed = re.findall(r"'([^']*)'", call[1])
    lock = f"requirements/{noxfile.SESSION_LOCKS['monitor']}.txt"
    assert sorted(hashed) == sorted([lock, *(p.relative_to(ROOT).as_posix() for p in noxfile.CACHE_INPUTS)])


def test_secrets_reach_only_the_step_that_needs_them() -> None:
    doc = load_workflow(MONITOR)
    job = monitor_job()
    holders = [s.get("name") for s in job["steps"] if "secrets." in json.dumps(s)]
    assert holders == ["Run the monitor"]
    assert "secrets." not in json.dumps({k: v for k, v in job.items() if k != "steps"})
    assert "secrets." not in json.dumps({k: v for k, v in doc.items() if k != "jobs"})


def test_monitor_s3_variant_is_gated_pinned_and_last_before_the_monitor() -> None:
    """Credentials by OIDC for a role, only when a workspace URL is set, seen by the monitor step alone."""
    steps = monitor_job()["steps"]
    names = [step.get("name") for step in steps]
    (aws,) = [step for step in steps if step.get("uses", "").startswith("aws-actions/")]
    assert aws["name"] == S3_STEP
    assert aws["uses"] == AWS_CREDENTIALS
    assert aws["if"] == "vars.MLOPS_WORKSPACE_URL != ''"
    assert aws["with"]["role-to-assume"] == "${{ vars.MLOPS_AWS_ROLE_ARN }}"
    assert aws["with"]["aws-region"] == "${{ vars.MLOPS_AWS_REGION }}"
    assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(aws["with"])
    assert int(aws["with"]["role-duration-seconds"]) <= 3600
    assert names.index(S3_STEP) == names.index("Run the monitor") - 1
    run = steps[names.index("Run the monitor")]
    assert run["env"]["MLOPS_WORKSPACE"] == "${{ vars.MLOPS_WORKSPACE_URL }}"
    text = MONITOR.read_text()
    for documented in (
        "MLOPS_WORKSPACE_URL",
        "MLOPS_AWS_ROLE_ARN",
        "MLOPS_AWS_REGION",
        "s3:ListBucket",
        "s3:GetObject",
    ):
        assert re.search(rf"^#.*{re.escape(documented)}", text, re.M), f"monitor.yml's comments name {documented}"


@pytest.mark.parametrize(
    ("variables", "sts", "refusal"),
    [
        ({"MLOPS_AWS_REGION": "eu-west-1"}, {name: "x" for name in STS_VARIABLES}, "is not a role ARN"),
        ({"MLOPS_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r"}, {}, "aws-region is empty"),
        (
            {"MLOPS_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r", "MLOPS_AWS_REGION": "eu-west-1"},
            {},
            "no GitHub OIDC",
        ),
    ],
)
def test_replay_refuses_an_s3_variant_it_could_not_credential(
    tmp_path: Path, variables: dict[str, str], sts: dict[str, str], refusal: str
) -> None:
    """A bucket URL without a role, a region or (here) STS's answer stops at the OIDC step, before the monitor."""
    runner = Runner(
        tmp_path / "repo",
        tmp_path / "store",
        variables={"MLOPS_WORKSPACE_URL": "s3://b/p", **variables},
        sts_credentials=sts,
    )
    with pytest.raises(RuntimeError, match=refusal):
        runner.run_job(MONITOR, "monitor")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_with_their_version(workflow: Path) -> None:
    uses = [line for line in workflow.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert uses
    for line in uses:
        assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_pinned_actions_are_known_current_and_run_on_node_24(workflow: Path) -> None:
    """Each pin is in benchmarks/actions.yml (read from its action.yml), its comment is that commit's tag,
    and it runs on Node 24: GitHub removed Node 20 from its runners in September 2026."""
    assert pin_problems(workflow.read_text()) == []


def test_the_runtime_check_refuses_the_node_20_pins_the_workflows_had() -> None:
    before = """
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
        uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3
        uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.4
        uses: actions/cache@0123456789012345678901234567890123456789 # v9.9.9
    """
    problems = pin_problems(before)
    need = "GitHub's runners need node24"
    assert [p for p in problems if "runs on node20" in p] == [
        f"actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 (v4.2.2) runs on node20: {need}",
        f"actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 (v5.6.0) runs on node20: {need}",
        f"actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 (v4.2.3) runs on node20: {need}",
    ]
    wrong_tag = "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae: the comment says v5.0.4, the commit is v5.0.5"
    assert wrong_tag in problems
    assert any(p.startswith("actions/cache@0123456789") and "not in benchmarks/actions.yml" in p for p in problems)


def test_the_vendored_map_matches_the_facts_table() -> None:
    """The SHAs in benchmarks/actions.yml for each current release are those ../shared/FACTS.md lists
    (read from the action repositories' tags); the map adds what their action.yml says."""
    current = {
        "actions/checkout": ("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"),
        "actions/setup-python": ("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97"),
        "actions/cache": ("v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae"),
        "actions/cache/restore": ("v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae"),
        "actions/cache/save": ("v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae"),
        "actions/upload-artifact": ("v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"),
        "aws-actions/configure-aws-credentials": ("v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c"),
        "astral-sh/setup-uv": ("v10.0.1", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d"),
    }
    for name, (version, sha) in current.items():
        entry = ACTIONS[f"{name}@{sha}"]
        assert entry["version"] == version and entry["using"] == "node24", name


def test_dependabot_keeps_the_pinned_actions_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    (actions,) = [u for u in config["updates"] if u["package-ecosystem"] == "github-actions"]
    assert actions["directory"] == "/" and actions["schedule"]["interval"] in ("daily", "weekly")


def test_setup_uv_installs_the_uv_the_lock_pins() -> None:
    """The bootstrap installs nox with this uv from the uv cache: the same uv nox's own env gets."""
    (step,) = [s for s in monitor_job()["steps"] if s.get("uses", "").startswith("astral-sh/setup-uv@")]
    locked = re.search(r"^uv==(\S+) ", (ROOT / "requirements" / "nox.txt").read_text(), re.M)
    assert locked is not None
    assert step["with"]["version"] == locked[1]
    assert step["with"]["enable-cache"] is False
    assert step["if"] == "steps.nox-cache.outputs.cache-hit != 'true'"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("steps.x.outputs.cache-hit != 'true'", True),  # a miss leaves cache-hit unset: null, not 'false'
        ("steps.x.outputs.cache-hit == 'false'", False),
        ("'TRUE' == 'true'", True),  # strings compare ignoring case
        ("null == ''", True),  # both coerce to 0
        ("'1' == 1", True),
        ("'abc' == 0", False),  # NaN equals nothing
        ("!('a' == 'b') && 'x'", "x"),  # && gives the deciding operand, not a boolean
        ("'' || 'fallback'", "fallback"),
        ("contains('Hello', 'ELL')", True),
    ],
)
def test_replay_reads_expressions_as_github_does(tmp_path: Path, expr: str, expected: object) -> None:
    runner = Runner(tmp_path / "repo", tmp_path / "store")
    assert runner.value(expr) == expected


def test_replay_adds_success_to_an_if_without_a_status_function(tmp_path: Path) -> None:
    runner = Runner(tmp_path / "repo", tmp_path / "store", variables={"X": "1"})
    assert runner.condition("vars.X == '1'")
    runner.failed = True  # a step before has failed
    assert not runner.condition("vars.X == '1'")
    assert runner.condition("always() && vars.X == '1'")
    assert runner.condition("${{ failure() }}")
    assert expression_text(None) == "" and expression_text(True) == "true" and equal("A", "a")


def test_replay_reads_github_output_as_github_does() -> None:
    content = "status=ok\nsummary<<EOF_abc\n## title\n\nline=with equals\nEOF_abc\nexit-code=1\n"
    assert parse_outputs(content) == {"status": "ok", "summary": "## title\n\nline=with equals", "exit-code": "1"}
    with pytest.raises(ValueError, match="no closing"):
        parse_outputs("summary<<EOF\nnever closed")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_no_risky_triggers_and_no_persisted_credentials(workflow: Path) -> None:
    doc = load_workflow(workflow)
    assert "pull_request_target" not in doc["on"] and "workflow_run" not in doc["on"]
    assert doc["permissions"] == {}
    for name, job in doc["jobs"].items():
        oidc = any(step.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for step in job["steps"])
        assert ("id-token" in job["permissions"]) == oidc, name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_ci_runs_lint_and_tests_on_pushes_and_pull_requests() -> None:
    doc = load_workflow(ROOT / ".github" / "workflows" / "ci.yml")
    assert {"push", "pull_request"} <= set(doc["on"])
    runs = " ".join(s.get("run", "") for job in doc["jobs"].values() for s in job["steps"])
    assert set(re.findall(r"-s (\S+)", runs)) == {"lint", "tests"}


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_monitor_job_reuses_its_caches_and_installs_nothing(tmp_path: Path) -> None:
    """Run the job's steps twice on one simulated runner path: cold, then with the caches restored."""
    store = tmp_path / "cache-store"
    runner = Runner(tmp_path / "work" / "repo", store)
    cold = runner.run_job(MONITOR, "monitor")
    assert not any(cold.cache_hits.values())
    cold_log = cold.step("Run the monitor").output
    assert INSTALLER.search(cold_log)

    warm = Runner(tmp_path / "work" / "repo", store).run_job(MONITOR, "monitor")
    assert list(warm.cache_hits.values()) == [True]  # the uv cache is not even restored then
    step = warm.step("Run the monitor")
    assert not INSTALLER.search(step.output), step.output
    assert "nothing to install" in step.output
    counts = {"status": "ok", "exit-code": "0", "ok": "24", "info": "3", "warning": "3", "error": "0"}
    assert {k: v for k, v in step.outputs.items() if k in counts} == counts
    assert (step.outputs["model"], step.outputs["alias"]) == ("shapes-detector", "champion")
    assert step.outputs["summary"].startswith("## mlops monitor: ✅ healthy")
    assert "::warning file=mlops/example/workspace/alerts.json,title=MON201 recent alerts::" in step.output
    assert "## mlops monitor: ✅ healthy" in warm.summary
    assert "| ⚠️ | `MON201` | recent alerts |" in warm.summary


def findings(job: JobResult) -> tuple[dict[str, str], list[str]]:
    """The monitor step's verdict and the summary's rows, less MON100, which names where it read."""
    rows = [line for line in job.summary.splitlines() if line.startswith("| ") and "`MON100`" not in line]
    outputs = {k: v for k, v in job.step("Run the monitor").outputs.items() if k != "summary"}  # names the workspace
    return outputs, rows


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_s3_variant_judges_the_bucket_as_the_example_on_disk(tmp_path: Path, s3: S3Server) -> None:
    """The example's workspace in a loopback bucket, through the workflow's S3 steps: the same verdict,
    only reads sent, and the credentials the OIDC step exports never printed."""
    store, work = tmp_path / "cache-store", tmp_path / "work" / "repo"
    local = Runner(work, store).run_job(MONITOR, "monitor")
    assert S3_STEP not in [step.name for step in local.steps]  # no variable: the default job, unchanged

    remote = replay_s3_variant(work, store, s3)
    main_steps = [step.name for step in remote.steps if not step.name.startswith("Post ")]
    assert main_steps[main_steps.index("Run the monitor") - 1] == S3_STEP
    output = remote.step("Run the monitor").output
    assert "workspace  s3://mlops-replay-" in output and "(from MLOPS_WORKSPACE)" in output
    assert findings(remote) == findings(local)
    assert remote.step("Run the monitor").outputs["status"] == "ok"
    assert {seen.method for seen in s3.front.seen} <= {"GET", "HEAD"} and s3.front.seen
    canaries = [s3.environ()[name] for name in STS_VARIABLES]
    for text in (remote.summary, *(step.output for step in remote.steps), *map(str, (s.outputs for s in remote.steps))):
        assert not [canary for canary in canaries if canary in text]


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_s3_variant_without_a_config_runs_on_the_defaults_not_the_example(
    tmp_path: Path, s3: S3Server
) -> None:
    """A bucket URL alone must not be judged by the example's config (its as_of is a fixed day)."""
    job = replay_s3_variant(tmp_path / "work" / "repo", tmp_path / "cache-store", s3, variables={"MLOPS_CONFIG": ""})
    step = job.step("Run the monitor")
    assert job.result == "failure" and step.outcome == "failure"
    assert "exit code 1" in step.output
    assert "--example " not in step.output
    assert "(from MLOPS_WORKSPACE)" in step.output


STRICT = {"mlops/example/strict.yaml": (ROOT / "mlops" / "example" / "monitor.yaml").read_text() + "fail_on: warning\n"}
"""A config in the team's repository that fails on the example's three warnings: a monitor that finds trouble."""
SAVES = ("Save the nox environments", "Save the uv cache")


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_failing_monitor_still_leaves_the_next_run_warm(tmp_path: Path) -> None:
    """GitHub's semantics, not kinder ones: the monitor step fails the job, the saves still run (always()),
    and the next run restores .nox and installs nothing."""
    store, work = tmp_path / "cache-store", tmp_path / "work" / "repo"
    failing = Runner(work, store, variables={"MLOPS_CONFIG": "mlops/example/strict.yaml"}, files=STRICT)
    first = failing.run_job(MONITOR, "monitor")
    assert first.result == "failure"
    assert first.step("Run the monitor").outputs["exit-code"] == "1"
    assert [s.name for s in first.steps if s.name in SAVES] == list(SAVES)
    assert len(first.saved) == 2

    second = failing.run_job(MONITOR, "monitor")
    assert second.result == "failure" and list(second.cache_hits.values()) == [True]
    step = second.step("Run the monitor")
    assert not INSTALLER.search(step.output), step.output
    assert "nothing to install" in step.output
    assert second.saved == [] and set(SAVES) <= set(second.skipped)


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_failed_env_build_saves_nothing_and_a_stampless_env_is_rebuilt(tmp_path: Path) -> None:
    """The monitor env's sync fails halfway (no index for uv): a venv is there, its stamp is not, so
    neither save runs. Were that half env cached anyway, the next run would see no stamp and rebuild."""
    store, work = tmp_path / "cache-store", tmp_path / "work" / "repo"
    broken = Runner(work, store, extra_env={"UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_HTTP_RETRIES": "0"})
    job = broken.run_job(MONITOR, "monitor")
    assert job.result == "failure" and job.step("Run the monitor").outcome == "failure"
    assert (work / ".nox" / "monitor" / "pyvenv.cfg").is_file()  # a half env really was there
    assert not (work / ".nox" / "monitor" / "mlops-env.json").exists()
    assert set(SAVES) <= set(job.skipped) and job.saved == []
    assert not store.exists() or not any(store.iterdir())

    key = job.step("Restore the nox environments").outputs["cache-primary-key"]
    shutil.copytree(work / ".nox", store / key / ".nox", symlinks=True)  # a careless workflow's save
    again = Runner(work, store).run_job(MONITOR, "monitor")
    output = again.step("Run the monitor").output
    assert again.result == "success" and INSTALLER.search(output), output


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_new_python_patch_release_rebuilds_from_the_uv_cache_offline(tmp_path: Path) -> None:
    """A new runner image brings Python 3.11.N+1: the .nox key misses, the uv cache hits, and nox and
    the monitor env are rebuilt from it with no index at all (uv offline, pip without an index)."""
    store, work = tmp_path / "cache-store", tmp_path / "work" / "repo"
    Runner(work, store).run_job(MONITOR, "monitor")
    offline = {"UV_OFFLINE": "1", "PIP_NO_INDEX": "1"}
    patched = Runner(work, store, python_version="3.11.99", extra_env=offline).run_job(MONITOR, "monitor")
    assert patched.result == "success"
    hits = list(patched.cache_hits.items())
    assert [hit for _, hit in hits] == [False, True] and "-py3.11.99-" in hits[0][0]
    output = patched.step("Run the monitor").output
    assert "installing nox" in output and INSTALLER.search(output)
    assert patched.step("Install uv (the environments are rebuilt)").outputs["uv-version"]
    assert len(patched.saved) == 1 and "-py3.11.99-" in patched.saved[0]  # the uv cache had it all


def outputs_of(jobs: dict[str, JobResult]) -> list[str]:
    """Everything a person could read of a run: logs, summaries, step and job outputs."""
    texts = []
    for job in jobs.values():
        texts += [job.summary, str(job.outputs), *(s.output for s in job.steps), *(str(s.outputs) for s in job.steps)]
    return texts


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_schedule_opens_one_incident_comments_then_closes_it_and_keeps_itself_enabled(
    tmp_path: Path,
) -> None:
    """Three scheduled runs of the whole workflow against the loopback GitHub: failing, failing, healthy."""
    store, work = tmp_path / "cache-store", tmp_path / "work" / "repo"
    with FakeGitHub(token=TOKEN, owner=REPOSITORY.split("/")[0], name=REPOSITORY.split("/")[1]) as gh:
        strict = {"MLOPS_CONFIG": "mlops/example/strict.yaml"}
        failing = Runner(work, store, variables=strict, files=STRICT, github_api=gh.api)
        first = failing.run_workflow(MONITOR)
        assert {name: job.result for name, job in first.items()} == {
            "monitor": "failure", "keepalive": "success", "incident": "success"
        }  # fmt: skip
        assert gh.enabled == ["monitor.yml"]  # the keepalive re-enabled this very workflow
        (issue,) = gh.issues.values()
        assert issue["state"] == "open" and [label["name"] for label in issue["labels"]] == ["monitoring"]
        assert "shapes-detector" in issue["title"]
        assert "## mlops monitor: ❌ failed" in issue["body"] and "/actions/runs/4242" in issue["body"]
        assert first["monitor"].outputs["report-url"] in issue["body"]  # the uploaded page, linked
        page = work.parent / "artifacts" / "mlops-monitor-report" / "mlops-report.html"
        assert page.read_text().startswith("<!doctype html>") and "#artifacts" in first["monitor"].summary

        second = failing.run_workflow(MONITOR)
        assert second["incident"].result == "success" and len(gh.issues) == 1
        assert len(gh.comments[issue["number"]]) == 1

        healthy = Runner(work, store, github_api=gh.api).run_workflow(MONITOR)
        assert healthy["monitor"].result == "success" and healthy["incident"].result == "success"
        assert issue["state"] == "closed" and len(gh.comments[issue["number"]]) == 2
        for run in (first, second, healthy):
            assert not [text for text in outputs_of(run) if TOKEN in text]
        assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in gh.requests)


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_manual_run_opens_no_incident_and_needs_no_keepalive(tmp_path: Path) -> None:
    with FakeGitHub(token=TOKEN, owner=REPOSITORY.split("/")[0], name=REPOSITORY.split("/")[1]) as gh:
        runner = Runner(
            tmp_path / "work" / "repo", tmp_path / "store", event_name="workflow_dispatch", github_api=gh.api,
            variables={"MLOPS_CONFIG": "mlops/example/strict.yaml"}, files=STRICT,
        )  # fmt: skip
        jobs = runner.run_workflow(MONITOR)
        assert {name: job.result for name, job in jobs.items()} == {
            "monitor": "failure", "keepalive": "skipped", "incident": "skipped"
        }  # fmt: skip
        assert gh.requests == []


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_keepalive_ends_within_five_seconds_against_a_silent_github(tmp_path: Path) -> None:
    with FakeGitHub(token=TOKEN) as gh:
        gh.fail("silent")
        job = Runner(tmp_path / "work" / "repo", tmp_path / "store", github_api=gh.api).run_job(MONITOR, "keepalive")
    step = job.step("Re-enable this workflow")
    print(f"keepalive against a silent server: {step.seconds:.2f} s")
    assert job.result == "failure" and "timed out" in step.output.lower()
    assert TOKEN not in step.output

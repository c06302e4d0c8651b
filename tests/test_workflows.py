"""The workflows keep their promises: audited offline, checked by their schema, and replayed here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.replay import STS_VARIABLES, JobResult, Runner, load_workflow, replay_s3_variant
from tests.conftest import ROOT
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
    caches = [s for s in monitor_job()["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert [c["with"]["path"] for c in caches] == [".nox", ".uv-cache"]
    for cache in caches:
        assert "restore-keys" not in cache["with"]
        key = cache["with"]["key"]
        assert "${{ runner.os }}" in key and "${{ runner.arch }}" in key
        assert "requirements/monitoring.txt" in key
    assert caches[1]["if"] == "steps.nox-cache.outputs.cache-hit != 'true'"
    nox_key = caches[0]["with"]["key"]
    assert "${{ steps.python.outputs.python-version }}" in nox_key
    assert "noxfile.py" in nox_key and "requirements/nox.txt" in nox_key


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
        assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_no_risky_triggers_and_no_persisted_credentials(workflow: Path) -> None:
    doc = load_workflow(workflow)
    assert "pull_request_target" not in doc["on"] and "workflow_run" not in doc["on"]
    assert doc["permissions"] == {}
    for job in doc["jobs"].values():
        oidc = any(step.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for step in job["steps"])
        assert job["permissions"] == {"contents": "read"} | ({"id-token": "write"} if oidc else {})
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
    assert step.outputs == {"status": "ok", "exit-code": "0", "ok": "24", "info": "3", "warning": "3", "error": "0"}
    assert "::warning file=mlops/example/workspace/alerts.json,title=MON201 recent alerts::" in step.output
    assert "## mlops monitor: ✅ healthy" in warm.summary
    assert "| ⚠️ | `MON201` | recent alerts |" in warm.summary


def findings(job: JobResult) -> tuple[dict[str, str], list[str]]:
    """The monitor step's verdict and the summary's rows, less MON100, which names where it read."""
    rows = [line for line in job.summary.splitlines() if line.startswith("| ") and "`MON100`" not in line]
    return job.step("Run the monitor").outputs, rows


@pytest.mark.nox
@pytest.mark.slow
def test_replayed_s3_variant_judges_the_bucket_as_the_example_on_disk(tmp_path: Path, s3: S3Server) -> None:
    """The example's workspace in a loopback bucket, through the workflow's S3 steps: the same verdict,
    only reads sent, and the credentials the OIDC step exports never printed."""
    store, work = tmp_path / "cache-store", tmp_path / "work" / "repo"
    local = Runner(work, store).run_job(MONITOR, "monitor")
    assert S3_STEP not in [step.name for step in local.steps]  # no variable: the default job, unchanged

    remote = replay_s3_variant(work, store, s3)
    assert [step.name for step in remote.steps][-2:] == [S3_STEP, "Run the monitor"]
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
    with pytest.raises(RuntimeError, match="exited 1") as failed:
        replay_s3_variant(tmp_path / "work" / "repo", tmp_path / "cache-store", s3, variables={"MLOPS_CONFIG": ""})
    assert "--example " not in str(failed.value)
    assert "(from MLOPS_WORKSPACE)" in str(failed.value)

"""Replay a GitHub Actions job's steps on this machine, since no runner is reachable from here.

Enough of the runner for the monitor job: ``${{ }}`` expressions over the contexts the job
uses (``github``, ``runner``, ``steps``, ``vars``, ``secrets``, ``hashFiles``), the actions it
calls (checkout, setup-python, cache: exact keys only, saved after the job like the real one;
configure-aws-credentials: see :func:`replay_s3_variant`), and ``run:`` steps under ``bash -e``
with the files GitHub provides (``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``). Used by
tests/test_workflows.py and the benchmark; ``python -m benchmarks.replay [--s3]`` replays it by hand.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from tests.storage_server import S3Server

ROOT = Path(__file__).resolve().parents[1]
MONITOR = ROOT / ".github" / "workflows" / "monitor.yml"
EXAMPLE_CONFIG = "mlops/example/monitor.yaml"
STS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
"""What configure-aws-credentials exports after its STS call, besides the region."""
IGNORE = shutil.ignore_patterns(".nox", ".git", "__pycache__", ".*_cache", ".hypothesis", ".uv-cache")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepResult:
    name: str
    seconds: float
    output: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class JobResult:
    steps: list[StepResult]
    summary: str
    seconds: float
    cache_hits: dict[str, bool]

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)


def load_workflow(path: Path) -> dict[str, Any]:
    """YAML 1.1 reads the key ``on`` as True; give it its name back."""
    doc: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def hash_files(workspace: Path, *patterns: str) -> str:
    """GitHub's hashFiles: SHA-256 over the SHA-256 of each matching file, in path order."""
    outer = hashlib.sha256()
    for path in sorted({p for pattern in patterns for p in workspace.glob(pattern) if p.is_file()}):
        outer.update(hashlib.sha256(path.read_bytes()).digest())
    return outer.hexdigest() if any(workspace.glob(p) for p in patterns) else ""


class Runner:
    """One job on one simulated runner; ``cache_store`` outlives it, like GitHub's cache service."""

    def __init__(
        self,
        workspace: Path,
        cache_store: Path,
        *,
        variables: Mapping[str, str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        sts_credentials: Mapping[str, str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.extra_env = dict(extra_env or {})
        self.sts_credentials = dict(sts_credentials or {})
        """What STS would answer configure-aws-credentials (:data:`STS_VARIABLES`); empty: no AWS."""
        self.cache_store = cache_store
        self.variables = dict(variables or {})
        self.temp = workspace.parent / "runner-temp"
        self.steps: dict[str, dict[str, str]] = {}
        self.pending_saves: list[tuple[Path, str]] = []
        self.cache_hits: dict[str, bool] = {}

    def evaluate(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self._value(m[1]), text)

    def condition(self, expr: str) -> bool:
        """``if:`` of the forms ``ctx.path == 'literal'`` and ``ctx.path != 'literal'``; anything else refused."""
        match = re.fullmatch(r"(?:\$\{\{\s*)?([\w.-]+)\s*(==|!=)\s*'([^']*)'(?:\s*\}\})?", expr.strip())
        if match is None:
            raise ValueError(f"replay: unsupported condition {expr!r}")
        equal = self._value(match[1]) == match[3]
        return equal if match[2] == "==" else not equal

    def _value(self, expr: str) -> str:
        if call := re.fullmatch(r"hashFiles\((.*)\)", expr):
            return hash_files(self.workspace, *re.findall(r"'([^']*)'", call[1]))
        context, _, rest = expr.partition(".")
        if context == "github":
            return {"workspace": str(self.workspace), "ref": "refs/heads/main"}[rest]
        if context == "runner":
            arch = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}[platform.machine().lower()]
            return {"os": platform.system(), "arch": arch, "temp": str(self.temp)}[rest]
        if context == "steps":
            step, _, output = rest.partition(".outputs.")
            return self.steps.get(step, {}).get(output, "")
        if context in ("vars", "secrets"):
            return self.variables.get(rest, "")
        raise ValueError(f"replay: unsupported expression {expr!r}")

    def run_job(self, workflow: Path, job: str) -> JobResult:
        doc = load_workflow(workflow)
        spec = doc["jobs"][job]
        shutil.rmtree(self.workspace, ignore_errors=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        summary = self.temp / "step_summary.md"
        summary.write_text("")
        pybin = self.temp / "python-bin"
        pybin.mkdir(exist_ok=True)
        base = Path(getattr(sys, "_base_executable", sys.executable))
        for name in ("python", "python3"):
            (pybin / name).unlink(missing_ok=True)
            (pybin / name).symlink_to(base)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLOPS_", "AWS_", "NOX", "VIRTUAL_ENV"))
        }
        env |= {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(self.workspace)}
        env["PATH"] = f"{pybin}{os.pathsep}{env.get('PATH', '')}"
        env |= self.extra_env
        results: list[StepResult] = []
        start = time.perf_counter()
        for index, step in enumerate(spec["steps"]):
            if "if" in step and not self.condition(str(step["if"])):
                continue
            step_start = time.perf_counter()
            name = step.get("name") or step.get("uses", f"step {index}")
            outputs: dict[str, str] = {}
            output = ""
            if uses := step.get("uses"):
                outputs = self._action(uses.split("@")[0], step.get("with", {}), base, env)
            else:
                output, outputs = self._run(step, spec.get("env", {}), env, summary)
            if "id" in step:
                self.steps[step["id"]] = outputs
            results.append(StepResult(name, time.perf_counter() - step_start, output, outputs))
        for path, key in self.pending_saves:  # the cache action's post-job step
            if path.exists():
                shutil.copytree(path, self.cache_store / key / path.name, symlinks=True)
        return JobResult(results, summary.read_text(), time.perf_counter() - start, self.cache_hits)

    def _action(self, action: str, inputs: Mapping[str, Any], base: Path, env: dict[str, str]) -> dict[str, str]:
        if action == "actions/checkout":
            shutil.copytree(ROOT, self.workspace, ignore=IGNORE)
            return {}
        if action == "actions/setup-python":
            version = subprocess.run([base, "-c", "import platform; print(platform.python_version())"],
                                     capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
            if not version.startswith(str(inputs["python-version"])):
                raise RuntimeError(
                    f"replay: this machine has Python {version}, the job asks {inputs['python-version']}"
                )
            return {"python-version": version}
        if action == "actions/cache":
            if "restore-keys" in inputs:
                raise RuntimeError("replay: restore-keys would restore a stale environment")
            key = self.evaluate(str(inputs["key"]))
            path = self.workspace / str(inputs["path"]).strip()
            saved = self.cache_store / key / path.name
            self.cache_hits[key] = saved.exists()
            if saved.exists():
                shutil.copytree(saved, path, symlinks=True)
            else:
                self.pending_saves.append((path, key))
            return {"cache-hit": str(saved.exists()).lower()}
        if action == "aws-actions/configure-aws-credentials":
            return self._aws_credentials(inputs, env)
        raise RuntimeError(f"replay: unsupported action {action}")

    def _aws_credentials(self, inputs: Mapping[str, Any], env: dict[str, str]) -> dict[str, str]:
        """Stand in for configure-aws-credentials, which cannot run here: it trades GitHub's OIDC token
        (a service only a real runner reaches) for the role's credentials at AWS STS. This checks the
        inputs the action needs, then exports ``sts_credentials`` to the later steps under the names the
        action exports through GITHUB_ENV, with the region from its ``aws-region``."""
        role = self.evaluate(str(inputs.get("role-to-assume", "")))
        region = self.evaluate(str(inputs.get("aws-region", "")))
        if not re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+", role):
            raise RuntimeError(f"replay: configure-aws-credentials: role-to-assume {role!r} is not a role ARN")
        if not region:
            raise RuntimeError("replay: configure-aws-credentials: aws-region is empty")
        missing = [name for name in STS_VARIABLES if not self.sts_credentials.get(name)]
        if missing:
            raise RuntimeError(f"replay: no GitHub OIDC here: pass sts_credentials with {', '.join(missing)}")
        env.update({name: self.sts_credentials[name] for name in STS_VARIABLES})
        env.update({"AWS_REGION": region, "AWS_DEFAULT_REGION": region})
        return {}

    def _run(
        self, step: Mapping[str, Any], job_env: Mapping[str, str], env: dict[str, str], summary: Path
    ) -> tuple[str, dict[str, str]]:
        output_file = self.temp / f"output-{len(self.steps)}-{time.monotonic_ns()}"
        output_file.write_text("")
        step_env = {k: self.evaluate(str(v)) for k, v in {**job_env, **step.get("env", {})}.items()}
        step_env = {**env, **step_env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output_file)}
        proc = subprocess.run(
            ["bash", "-e", "-c", self.evaluate(step["run"])],
            cwd=self.workspace,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise RuntimeError(f"replay: step {step.get('name')!r} exited {proc.returncode}:\n{output}")
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        return output, outputs


def replay_s3_variant(
    workspace: Path, cache_store: Path, server: S3Server, *, variables: Mapping[str, str] | None = None
) -> JobResult:
    """The monitor job's S3 variant against ``server`` (moto on loopback): the bundled example's
    workspace uploaded to a fresh bucket, read back through the workflow's own steps.

    The repository variables are those a team sets (workspace URL, role, region, and MLOPS_CONFIG
    naming the example's config, whose ``workspace:`` the URL overrides). The runner's environment
    points the AWS variables at the loopback endpoint, as a real runner's would point at AWS;
    the credentials arrive only through the stand-in for configure-aws-credentials.
    """
    bucket = server.bucket(f"mlops-replay-{time.monotonic_ns()}")
    server.upload(ROOT / "mlops" / "example" / "workspace", bucket, "production/workspace")
    environ = server.environ()  # endpoint and allow-http stay the runner's: on GitHub, neither is set
    sts = {name: environ.pop(name) for name in STS_VARIABLES}
    region = environ.pop("AWS_REGION")
    s3 = {
        "MLOPS_CONFIG": EXAMPLE_CONFIG,
        "MLOPS_WORKSPACE_URL": f"s3://{bucket}/production/workspace",
        "MLOPS_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/mlops-monitor-read",
        "MLOPS_AWS_REGION": region,
    }
    runner = Runner(
        workspace, cache_store, variables=s3 | dict(variables or {}), extra_env=environ, sts_credentials=sts
    )
    return runner.run_job(MONITOR, "monitor")


def main(argv: Sequence[str] | None = None) -> int:
    """Replay the monitor job once on a temporary runner and print what its monitor step said."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay", description=main.__doc__)
    parser.add_argument("--s3", action="store_true", help="the S3 variant, against moto on loopback")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mlops-replay-") as temp:
        work, store = Path(temp) / "work" / "repo", Path(temp) / "cache-store"
        if args.s3:
            from tests.storage_server import S3Server

            server = S3Server()
            try:
                job = replay_s3_variant(work, store, server)
                methods = sorted({seen.method for seen in server.front.seen})
            finally:
                server.stop()
        else:
            job = Runner(work, store).run_job(MONITOR, "monitor")
        for step in job.steps:
            print(f"{step.seconds:7.2f} s  {step.name}")
        print(job.step("Run the monitor").output, job.summary, sep="\n")
        if args.s3:
            print(f"requests the monitor sent to the bucket: {', '.join(methods)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Replay a GitHub Actions workflow on this machine, since no runner is reachable from here.

Enough of GitHub for the monitor workflow, with GitHub's own semantics rather than kinder ones:

- ``${{ }}`` expressions: contexts (``github``, ``runner``, ``steps``, ``needs``, ``vars``,
  ``secrets``, ``env``), ``&&``/``||``/``!``, GitHub's loose, case-insensitive ``==``, the status
  functions (an ``if:`` without one gets ``success() &&``), ``hashFiles`` and ``contains``.
- Steps that fail: the job goes on with the steps whose ``if:`` still holds (``always()``,
  ``failure()``), ``continue-on-error`` included, and each step gets an ``outcome`` and a
  ``conclusion``. Jobs run in ``needs`` order with ``needs.<job>.result`` and ``outputs``.
- Each action as its ``action.yml`` at the pinned commit says (:data:`ACTIONS`,
  benchmarks/actions.yml): the inputs it accepts, the outputs it sets, and its post step with its
  ``post-if`` (``actions/cache`` saves only when the job succeeded). What an action does is
  simulated (:class:`Runner` ``_main_*`` and ``_post_*``); configure-aws-credentials: see
  :func:`replay_s3_variant`.

``run:`` steps run under ``bash -e`` with the files GitHub provides (``GITHUB_STEP_SUMMARY``,
``GITHUB_OUTPUT`` with its multiline syntax). Used by tests/test_workflows.py and the benchmark;
``python -m benchmarks.replay [--s3]`` replays the monitor job by hand.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from tests.storage_server import S3Server

ROOT = Path(__file__).resolve().parents[1]
MONITOR = ROOT / ".github" / "workflows" / "monitor.yml"
ACTIONS_FILE = ROOT / "benchmarks" / "actions.yml"
EXAMPLE_CONFIG = "mlops/example/monitor.yaml"
STS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
"""What configure-aws-credentials exports after its STS call, besides the region."""
IGNORE = shutil.ignore_patterns(".nox", ".git", "__pycache__", ".*_cache", ".hypothesis", ".uv-cache")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")
REPOSITORY = "mlops-team/models"
"""``github.repository`` of the replayed run: the loopback GitHub server serves this one."""
TOKEN = "ghs_replay_token_never_printed_0123456789"  # noqa: S105 - a canary, for the loopback server
"""``github.token``: what the loopback GitHub server expects; tests check that no output holds it."""

Value = str | float | bool | None


def load_workflow(path: Path) -> dict[str, Any]:
    """YAML 1.1 reads the key ``on`` as True; give it its name back."""
    doc: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def pinned_actions() -> dict[str, dict[str, Any]]:
    """``owner/repo[/path]@sha`` -> what its action.yml says (benchmarks/actions.yml)."""
    actions: dict[str, dict[str, Any]] = yaml.safe_load(ACTIONS_FILE.read_text(encoding="utf-8"))
    return actions


ACTIONS = pinned_actions()


USES = re.compile(r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w./-]+@[0-9a-f]{40})(?: # (?P<version>\S+))?\s*$", re.M)
OLDEST_NODE = 24
"""GitHub's runners run Node 24 since June 2026 and removed Node 20 in September 2026."""


def pin_problems(workflow_text: str) -> list[str]:
    """Why a workflow's pins are not current, from :data:`ACTIONS` (offline): an unknown commit, a
    version comment that is not that commit's tag, or a runtime older than Node 24."""
    problems = []
    for match in USES.finditer(workflow_text):
        action, version = match["action"], match["version"]
        known = ACTIONS.get(action)
        if known is None:
            problems.append(f"{action}: not in benchmarks/actions.yml (read its action.yml at that commit)")
            continue
        if version != known["version"]:
            problems.append(f"{action}: the comment says {version}, the commit is {known['version']}")
        runtime = str(known["using"])
        if runtime.startswith("node") and int(runtime.removeprefix("node")) < OLDEST_NODE:
            problems.append(f"{action} ({known['version']}) runs on {runtime}: GitHub's runners need node{OLDEST_NODE}")
    return problems


def hash_files(workspace: Path, *patterns: str) -> str:
    """GitHub's hashFiles: SHA-256 over the SHA-256 of each matching file, in path order; '' for none."""
    paths = sorted({p for pattern in patterns for p in workspace.glob(pattern) if p.is_file()})
    if not paths:
        return ""
    outer = hashlib.sha256()
    for path in paths:
        outer.update(hashlib.sha256(path.read_bytes()).digest())
    return outer.hexdigest()


# --- expressions ---------------------------------------------------------------------------------

TOKEN_RE = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>&&|\|\||==|!=|[()!,])|(?P<name>[A-Za-z_][\w.-]*))"
)


def _tokens(expr: str) -> list[tuple[str, str]]:
    tokens, pos, expr = [], 0, expr.strip()
    while pos < len(expr):
        match = TOKEN_RE.match(expr, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"replay: cannot read the expression {expr!r} at {expr[pos:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        pos = match.end()
    return tokens


def truthy(value: Value) -> bool:
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return bool(value)


def _number(value: Value) -> float:
    """GitHub's coercion when types differ: null 0, booleans 1/0, strings parsed ('' is 0, text NaN)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, float):
        return value
    try:
        return float(value.strip() or 0)
    except ValueError:
        return math.nan


def equal(left: Value, right: Value) -> bool:
    """GitHub's ``==``: strings compare ignoring case; other mixes compare as numbers."""
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if left is None and right is None:
        return True
    return _number(left) == _number(right)


def text(value: Value) -> str:
    """A value inside ``${{ }}`` in a string: null is '', booleans 'true'/'false'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value


class Expression:
    """A recursive-descent reader of GitHub's expression grammar, the subset workflows here use."""

    def __init__(self, expr: str, lookup: Callable[[str], Value], call: Callable[[str, list[Value]], Value]) -> None:
        self.tokens, self.pos, self.lookup, self.call, self.expr = _tokens(expr), 0, lookup, call, expr

    def value(self) -> Value:
        result = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"replay: unexpected {self.tokens[self.pos][1]!r} in {self.expr!r}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens) or (expected is not None and self.tokens[self.pos][1] != expected):
            raise ValueError(f"replay: expected {expected or 'more'} in {self.expr!r}")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> Value:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = left if truthy(left) else right
        return left

    def _and(self) -> Value:
        left = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            left = right if truthy(left) else left
        return left

    def _compare(self) -> Value:
        left = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            left = equal(left, right) if op == "==" else not equal(left, right)
        return left

    def _unary(self) -> Value:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Value:
        kind, word = self._take()
        if word == "(":
            inner = self._or()
            self._take(")")
            return inner
        if kind == "str":
            return word[1:-1].replace("''", "'")
        if kind == "num":
            return float(word)
        if kind != "name":
            raise ValueError(f"replay: unexpected {word!r} in {self.expr!r}")
        if word in ("true", "false"):
            return word == "true"
        if word == "null":
            return None
        if self._peek() == "(":
            self._take()
            args: list[Value] = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take(")")
            return self.call(word, args)
        return self.lookup(word)


def has_status_function(expr: str) -> bool:
    return any(kind == "name" and token in STATUS_FUNCTIONS for kind, token in _tokens(expr))


def strip_braces(expr: str) -> str:
    match = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", expr, re.DOTALL)
    return match[1] if match else expr


# --- results -------------------------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    seconds: float
    output: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    outcome: str = "success"
    """``success`` or ``failure``, before ``continue-on-error``; ``conclusion`` is after it."""
    conclusion: str = "success"


@dataclass
class JobResult:
    steps: list[StepResult]
    summary: str
    seconds: float
    cache_hits: dict[str, bool]
    result: str = "success"
    """``success``, ``failure`` or ``skipped``, as ``needs.<job>.result`` reads it."""
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    """Steps whose ``if:`` did not hold, post steps included."""
    saved: list[str] = field(default_factory=list)
    """Cache keys this job saved."""

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)

    def ran(self, name: str) -> bool:
        return any(s.name == name for s in self.steps)


def parse_outputs(content: str) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: ``name=value`` and ``name<<DELIMITER`` … ``DELIMITER``."""
    outputs: dict[str, str] = {}
    lines = iter(content.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            else:
                raise ValueError(f"replay: GITHUB_OUTPUT: {name!r} has no closing {delimiter!r}")
            outputs[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


# --- the runner ----------------------------------------------------------------------------------


class Runner:
    """Jobs on one simulated runner; ``cache_store`` outlives it, like GitHub's cache service."""

    def __init__(
        self,
        workspace: Path,
        cache_store: Path,
        *,
        variables: Mapping[str, str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        sts_credentials: Mapping[str, str] | None = None,
        event_name: str = "schedule",
        python_version: str | None = None,
        github_api: str = "http://127.0.0.1:9",
        files: Mapping[str, str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.extra_env = dict(extra_env or {})
        self.sts_credentials = dict(sts_credentials or {})
        """What STS would answer configure-aws-credentials (:data:`STS_VARIABLES`); empty: no AWS."""
        self.cache_store = cache_store
        self.variables = dict(variables or {})
        self.event_name = event_name
        self.python_version = python_version
        """What setup-python reports, e.g. a newer patch release than this machine's (a new runner image)."""
        self.github_api = github_api
        self.files = dict(files or {})
        """Files the repository holds besides this checkout's, path -> text (e.g. a team's config)."""
        self.temp = workspace.parent / "runner-temp"
        self.artifacts = workspace.parent / "artifacts"
        self._reset()

    def _reset(self) -> None:
        self.steps: dict[str, dict[str, Any]] = {}
        self.needs: dict[str, dict[str, Any]] = {}
        self.job_env: dict[str, str] = {}
        self.posts: list[tuple[str, str, Mapping[str, str]]] = []
        self.failed = False
        self.saved: list[str] = []
        self.cache_hits: dict[str, bool] = {}

    # expressions over this runner's contexts

    def evaluate(self, template: str) -> str:
        return EXPRESSION.sub(lambda m: text(self.value(m[1])), template)

    def value(self, expr: str) -> Value:
        return Expression(expr, self._lookup, self._call).value()

    def condition(self, expr: str) -> bool:
        """An ``if:``: without a status function GitHub reads it as ``success() && (…)``."""
        expr = strip_braces(str(expr))
        if not has_status_function(expr):
            expr = f"success() && ({expr})"
        return truthy(self.value(expr))

    def _contexts(self) -> dict[str, Any]:
        arch = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}[platform.machine().lower()]
        github = {
            "workspace": str(self.workspace),
            "ref": "refs/heads/main",
            "event_name": self.event_name,
            "repository": REPOSITORY,
            "token": TOKEN,
            "api_url": self.github_api,
            "server_url": "https://github.com",
            "run_id": "4242",
        }
        return {
            "github": github,
            "runner": {"os": platform.system(), "arch": arch, "temp": str(self.temp)},
            "steps": self.steps,
            "needs": self.needs,
            "vars": self.variables,
            "secrets": self.variables,
            "env": self.job_env,
        }

    def _lookup(self, path: str) -> Value:
        node: Any = self._contexts()
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        if isinstance(node, Mapping):
            raise ValueError(f"replay: {path} is an object, not a value")
        return node  # type: ignore[no-any-return]

    def _call(self, name: str, args: list[Value]) -> Value:
        if name == "success":
            return not self.failed
        if name == "failure":
            return self.failed
        if name == "always":
            return True
        if name == "cancelled":
            return False
        if name == "hashFiles":
            return hash_files(self.workspace, *(text(a) for a in args))
        if name == "contains":
            return text(args[1]).casefold() in text(args[0]).casefold()
        raise ValueError(f"replay: unsupported function {name}()")

    # jobs

    def run_workflow(self, workflow: Path) -> dict[str, JobResult]:
        """Every job of ``workflow`` whose trigger fits, in ``needs`` order, as one run."""
        doc = load_workflow(workflow)
        done: dict[str, JobResult] = {}
        pending = dict(doc["jobs"])
        while pending:
            name, spec = next(
                (n, s) for n, s in pending.items() if all(d in done for d in _as_list(s.get("needs", [])))
            )
            del pending[name]
            needs = {d: {"result": done[d].result, "outputs": done[d].outputs} for d in _as_list(spec.get("needs", []))}
            done[name] = self.run_job(workflow, name, needs=needs)
        return done

    def run_job(self, workflow: Path, job: str, *, needs: Mapping[str, Mapping[str, Any]] | None = None) -> JobResult:
        spec = load_workflow(workflow)["jobs"][job]
        self._reset()
        self.needs = {k: dict(v) for k, v in (needs or {}).items()}
        # For a job's if:, success() means every job it needs succeeded (a skipped one counts against).
        self.failed = any(v.get("result") != "success" for v in self.needs.values())
        if not self.condition(str(spec.get("if", "success()"))):
            return JobResult([], "", 0.0, {}, result="skipped")
        self.failed = False  # for its steps, success() is about the job's own steps
        shutil.rmtree(self.workspace, ignore_errors=True)
        self.workspace.mkdir(parents=True)  # the runner's empty workspace, checked out into or not
        shutil.rmtree(self.temp, ignore_errors=True)
        self.temp.mkdir(parents=True)
        summary = self.temp / "step_summary.md"
        summary.write_text("")
        pybin = self.temp / "python-bin"  # the image's python3, and setup-python's once it ran
        pybin.mkdir()
        base = Path(getattr(sys, "_base_executable", sys.executable))
        for name in ("python", "python3"):
            (pybin / name).symlink_to(base)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLOPS_", "AWS_", "NOX", "VIRTUAL_ENV"))
        }
        env |= {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_API_URL": self.github_api,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_WORKFLOW_REF": f"{REPOSITORY}/.github/workflows/{workflow.name}@refs/heads/main",
            "RUNNER_TEMP": str(self.temp),
        }
        env["PATH"] = f"{pybin}{os.pathsep}{env.get('PATH', '')}"
        env |= self.extra_env
        self.job_env = {k: self.evaluate(str(v)) for k, v in spec.get("env", {}).items()}
        results: list[StepResult] = []
        skipped: list[str] = []
        start = time.perf_counter()
        for index, step in enumerate(spec["steps"]):
            name = str(step.get("name") or step.get("uses", f"step {index}"))
            if not self.condition(str(step.get("if", "success()"))):
                skipped.append(name)
                if "id" in step:
                    self.steps[step["id"]] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                continue
            result = self._step(step, name, env, summary)
            results.append(result)
            if "id" in step:
                self.steps[step["id"]] = {
                    "outputs": result.outputs, "outcome": result.outcome, "conclusion": result.conclusion
                }  # fmt: skip
            if result.conclusion == "failure":
                self.failed = True
        for name, action, inputs in reversed(self.posts):  # post steps: last registered runs first
            post_if = ACTIONS[action]["post-if"]
            if not self.condition(post_if if has_status_function(post_if) else f"success() && ({post_if})"):
                skipped.append(f"Post {name}")
                continue
            post_start = time.perf_counter()
            getattr(self, "_post_" + _method(action))(inputs, env)
            results.append(StepResult(f"Post {name}", time.perf_counter() - post_start))
        outputs = {k: self.evaluate(str(v)) for k, v in spec.get("outputs", {}).items()}
        return JobResult(
            results, summary.read_text(), time.perf_counter() - start, dict(self.cache_hits),
            result="failure" if self.failed else "success", outputs=outputs, skipped=skipped, saved=self.saved,
        )  # fmt: skip

    def _step(self, step: Mapping[str, Any], name: str, env: dict[str, str], summary: Path) -> StepResult:
        start = time.perf_counter()
        output, outputs, ok = "", {}, True
        if uses := step.get("uses"):
            action = str(uses)
            if action not in ACTIONS:
                raise RuntimeError(
                    f"replay: {action} is not in {ACTIONS_FILE.relative_to(ROOT)}: read its action.yml at that commit"
                )
            spec = ACTIONS[action]
            inputs = {k: self.evaluate(_input(v)) for k, v in step.get("with", {}).items()}
            if unknown := sorted(set(inputs) - set(spec["inputs"])):
                raise RuntimeError(f"replay: {action} ({spec['version']}) has no input {', '.join(unknown)}")
            outputs = getattr(self, "_main_" + _method(action))(inputs, env)
            if unset := sorted(set(outputs) - set(spec["outputs"])):
                raise RuntimeError(f"replay: {action} sets no output {', '.join(unset)}: the simulation is wrong")
            if "post-if" in spec:
                self.posts.append((name, action, inputs))
        else:
            output, outputs, ok = self._run(step, env, summary)
        outcome = "success" if ok else "failure"
        conclusion = "success" if ok or _true(step.get("continue-on-error")) else "failure"
        return StepResult(name, time.perf_counter() - start, output, outputs, outcome, conclusion)

    def _run(self, step: Mapping[str, Any], env: dict[str, str], summary: Path) -> tuple[str, dict[str, str], bool]:
        output_file = self.temp / f"output-{time.monotonic_ns()}"
        output_file.write_text("")
        step_env = {k: self.evaluate(str(v)) for k, v in step.get("env", {}).items()}
        step_env = {**env, **self.job_env, **step_env, "GITHUB_STEP_SUMMARY": str(summary)}
        step_env["GITHUB_OUTPUT"] = str(output_file)
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
            output += f"\nError: Process completed with exit code {proc.returncode}."
        return output, parse_outputs(output_file.read_text()), proc.returncode == 0

    # the actions: what each does, as far as this workflow needs

    def _main_checkout(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        shutil.copytree(ROOT, self.workspace, ignore=IGNORE, dirs_exist_ok=True)
        for name, content in self.files.items():
            (self.workspace / name).write_text(content, encoding="utf-8")
        return {}

    def _post_checkout(self, inputs: Mapping[str, str], env: dict[str, str]) -> None:
        """Removes the credentials it persisted: none here (``persist-credentials: false``)."""

    def _main_setup_python(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        if inputs.get("cache"):
            raise RuntimeError("replay: setup-python's own pip cache is not simulated")
        base = Path(getattr(sys, "_base_executable", sys.executable))
        version = subprocess.run([base, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        if not version.startswith(inputs["python-version"]):
            raise RuntimeError(f"replay: this machine has Python {version}, the job asks {inputs['python-version']}")
        return {"python-version": self.python_version or version, "python-path": str(base)}

    def _post_setup_python(self, inputs: Mapping[str, str], env: dict[str, str]) -> None:
        """Saves its pip cache when ``cache:`` is set; refused above, so nothing."""

    def _restore(self, inputs: Mapping[str, str]) -> tuple[str, Path, Path]:
        if inputs.get("restore-keys"):
            raise RuntimeError("replay: restore-keys would restore a stale environment")
        key, path = inputs["key"], self.workspace / inputs["path"].strip()
        return key, path, self.cache_store / key / path.name

    def _main_cache_restore(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        """restore-only: sets cache-primary-key always, cache-hit and cache-matched-key only on a hit
        (a miss leaves cache-hit unset, not 'false': actions/cache src/restoreImpl.ts)."""
        key, path, saved = self._restore(inputs)
        self.cache_hits[key] = saved.exists()
        if not saved.exists():
            return {"cache-primary-key": key}
        shutil.copytree(saved, path, symlinks=True)
        return {"cache-primary-key": key, "cache-hit": "true", "cache-matched-key": key}

    def _main_cache_save(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        key, path = inputs["key"], self.workspace / inputs["path"].strip()
        if not key:
            raise RuntimeError("replay: actions/cache/save: key is empty")
        self._save(key, path)
        return {}

    def _save(self, key: str, path: Path) -> None:
        target = self.cache_store / key / path.name
        if target.exists():  # GitHub: "Unable to reserve cache … another job may be creating this cache"
            return
        if path.exists():
            shutil.copytree(path, target, symlinks=True)
            self.saved.append(key)

    def _main_cache(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        """restore, then a post step (post-if: success()) that saves unless the key hit."""
        key, path, saved = self._restore(inputs)
        self.cache_hits[key] = saved.exists()
        if saved.exists():
            shutil.copytree(saved, path, symlinks=True)
            return {"cache-hit": "true"}
        return {}

    def _post_cache(self, inputs: Mapping[str, str], env: dict[str, str]) -> None:
        key, path, _ = self._restore(inputs)
        if not self.cache_hits.get(key):
            self._save(key, path)

    def _main_setup_uv(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        """Puts this machine's uv on PATH, the version the step asks for, or refuses."""
        if inputs.get("enable-cache", "auto") != "false":
            raise RuntimeError("replay: setup-uv's own cache is not simulated: set enable-cache: false")
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
        if uv is None:
            raise RuntimeError("replay: no uv on this machine")
        version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
        if inputs.get("version") != version:
            raise RuntimeError(f"replay: setup-uv asks uv {inputs.get('version')!r}, this machine has {version}")
        tools = self.temp / "uv-bin"
        tools.mkdir(exist_ok=True)
        (tools / "uv").symlink_to(uv)
        env["PATH"] = f"{tools}{os.pathsep}{env['PATH']}"
        return {"uv-version": version, "uv-path": str(tools / "uv")}

    def _post_setup_uv(self, inputs: Mapping[str, str], env: dict[str, str]) -> None:
        """Saves setup-uv's own cache: disabled (enable-cache: false), so nothing."""

    def _main_upload_artifact(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        name = inputs.get("name") or "artifact"
        found = [p for p in self.workspace.glob(inputs["path"].strip()) if p.is_file()]
        if not found:
            if inputs.get("if-no-files-found", "warn") == "error":
                raise RuntimeError(f"replay: upload-artifact: no files at {inputs['path']!r}")
            return {}
        target = self.artifacts / name
        target.mkdir(parents=True, exist_ok=True)
        for path in found:
            shutil.copy2(path, target / path.name)
        url = f"https://github.com/{REPOSITORY}/actions/runs/4242/artifacts/1"
        return {"artifact-id": "1", "artifact-url": url, "artifact-digest": "sha256:0"}

    def _main_configure_aws_credentials(self, inputs: Mapping[str, str], env: dict[str, str]) -> dict[str, str]:
        """Stand in for configure-aws-credentials, which cannot run here: it trades GitHub's OIDC token
        (a service only a real runner reaches) for the role's credentials at AWS STS. This checks the
        inputs the action needs, then exports ``sts_credentials`` to the later steps under the names the
        action exports through GITHUB_ENV, with the region from its ``aws-region``."""
        role, region = inputs.get("role-to-assume", ""), inputs.get("aws-region", "")
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

    def _post_configure_aws_credentials(self, inputs: Mapping[str, str], env: dict[str, str]) -> None:
        """Unsets the credentials in the runner's environment; the job is over here anyway."""
        for name in (*STS_VARIABLES, "AWS_REGION", "AWS_DEFAULT_REGION"):
            env.pop(name, None)


def _method(action: str) -> str:
    """``actions/cache/restore@sha`` -> ``cache_restore``: the Runner method that simulates it."""
    owner_repo_path = action.split("@", 1)[0].split("/")
    return "_".join([owner_repo_path[1], *owner_repo_path[2:]]).replace("-", "_")


def _input(value: object) -> str:
    """``with:`` values reach an action as strings: YAML's booleans as 'true'/'false'."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _as_list(value: object) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]


def _true(value: object) -> bool:
    return value is True or str(value).lower() == "true"


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
    return 0 if job.result == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main())

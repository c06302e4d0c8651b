"""``python -m mlops.monitoring``: read the config, run the checks, render, exit with a code.

The only place that touches the process: environment, ``.env``, stdout/stderr, signals and
the exit status. Everything it calls is pure enough to be tested through :func:`main`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

from mlops.core.config import ConfigError, read_environment, safe_load, truthy
from mlops.core.redact import hide_userinfo, safe_uri, scrub, secrets_in, uri_passwords
from mlops.monitoring.checks import run_checks, selected_checks
from mlops.monitoring.checks.base import Context
from mlops.monitoring.checks.mlflow import uri_problem
from mlops.monitoring.config import ENV_KEYS, EXAMPLE_CONFIG, Config, load_config
from mlops.monitoring.mlflow.gather import gather
from mlops.monitoring.reporters import REPORTER_BY_NAME, github, resolve
from mlops.monitoring.results import ExitCode, Link, Report, Severity
from mlops.monitoring.workspace import load_workspace

PROG = "python -m mlops.monitoring"
DEFAULT_CONFIG_NAME = "mlops.yaml"


OTHER_VARIABLES = {
    "MLOPS_CONFIG": "the config file, when --config is not given",
    "MLFLOW_TRACKING_PASSWORD": "with MLFLOW_TRACKING_USERNAME: HTTP basic auth (never printed)",
    "MLFLOW_TRACKING_TOKEN": "bearer token (never printed)",
    "PYTHON_DOTENV_DISABLED": "1: do not read ./.env",
    "MLOPS_DEBUG": "1: let an internal error's traceback through",
    "GITHUB_ACTIONS": "true: --format auto means github",
    "GITHUB_STEP_SUMMARY": "--format github appends its summary to this file",
    "GITHUB_OUTPUT": "--format github writes the step's outputs to this file",
}
"""Variables read outside the config layering (ENV_KEYS lists those that set a config key)."""


def environment_help() -> str:
    """The epilog's variable list, built from ENV_KEYS so that --help cannot fall behind the config."""
    rows = [(name, f"sets `{key}`") for name, key in ENV_KEYS.items()] + list(OTHER_VARIABLES.items())
    width = max(len(name) for name, _ in rows)
    lines = [f"  {name:<{width}}  {what}" for name, what in rows]
    return "environment variables (also read from ./.env; the command line wins, then these, then the file):\n" + (
        "\n".join(lines)
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Check a model's monitoring files, recent alerts and MLflow setup, without loading the model.",
        epilog=environment_help()
        + "\n\nexit codes: 0 healthy (warnings allowed), 1 findings at or above --fail-on, 2 usage or "
        "configuration error, 3 internal error, 130 interrupted.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f"YAML config (default: $MLOPS_CONFIG, then ./{DEFAULT_CONFIG_NAME})",
    )
    where.add_argument("--example", action="store_true", help="run on the bundled example workspace")
    p.add_argument(
        "--example-if-unconfigured",
        action="store_true",
        help=f"run on the bundled example when nothing else configures a run ({UNCONFIGURED}); "
        "what `nox -s monitor` does",
    )
    p.add_argument("--workspace", metavar="DIR", help="monitoring workspace folder")
    p.add_argument("--as-of", dest="as_of", metavar="TIME", help="judge as of this RFC 3339 time instead of now")
    p.add_argument("--format", choices=("auto", "text", "json", "github"), help="report format (default: auto)")
    p.add_argument("--output", metavar="FILE", help="write the report to this file, atomically")
    p.add_argument(
        "--windows", dest="drift.windows", type=int, metavar="N", help="judge the newest N windows for drift (0 = all)"
    )
    p.add_argument("--since", dest="drift.since", metavar="TIME", help="judge only windows ending after this time")
    p.add_argument("--fail-on", dest="fail_on", choices=("warning", "error"), help="lowest severity that fails the run")
    prefixes = "PREFIX[,PREFIX...]"
    p.add_argument(
        "--select", action="append", metavar=prefixes, help="run only checks with these ID prefixes (repeatable)"
    )
    p.add_argument(
        "--ignore", action="append", metavar=prefixes, help="skip checks with these ID prefixes (repeatable)"
    )
    p.add_argument("--tracking-uri", dest="mlflow.tracking_uri", metavar="URI", help="MLflow tracking URI")
    p.add_argument("--experiment", dest="mlflow.experiment_name", metavar="NAME", help="MLflow experiment name")
    p.add_argument("--model-name", dest="mlflow.model_name", metavar="NAME", help="registered model name")
    p.add_argument("--model-alias", dest="mlflow.model_alias", metavar="ALIAS", help="registered model alias")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override any config key (YAML value)"
    )
    p.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    return p


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    import yaml

    overrides: dict[str, Any] = {}
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"command line: --set {item[:60]!r} must look like KEY=VALUE")
        try:
            overrides[key] = safe_load(raw) if raw else None
        except (yaml.YAMLError, RecursionError):
            raise ConfigError(f"command line: --set {key[:80]!r}: value is not valid YAML") from None
    for key in ("workspace", "as_of", "format", "output", "fail_on"):
        if (value := getattr(args, key)) is not None:
            overrides[key] = value
    for key in ("select", "ignore"):  # `--select MON1,MON2` means what `select: MON1,MON2` means
        if (values := getattr(args, key)) is not None:
            overrides[key] = ",".join(values)
    for key, value in vars(args).items():
        if key.startswith(("mlflow.", "drift.")) and value is not None:
            overrides[key] = value
    return overrides


UNCONFIGURED = "no --config, MLOPS_CONFIG, ./mlops.yaml, --workspace or MLOPS_WORKSPACE"


def find_config(
    args: argparse.Namespace, env: Mapping[str, str], cwd: Path, overrides: Mapping[str, Any]
) -> tuple[Path | None, str]:
    """The config file to read (None: the defaults, which need only a workspace) and why it was chosen.

    Relative paths are resolved against ``cwd``, the folder the user ran the command in, so that
    every refusal can show the file it looked for.
    """
    if args.example:
        return EXAMPLE_CONFIG, "from --example"
    if args.config:
        return cwd / args.config, "from --config"
    if env.get("MLOPS_CONFIG"):
        return cwd / env["MLOPS_CONFIG"], "from MLOPS_CONFIG"
    if (cwd / DEFAULT_CONFIG_NAME).is_file():
        return cwd / DEFAULT_CONFIG_NAME, "found in the current folder"
    if overrides.get("workspace") or env.get("MLOPS_WORKSPACE"):  # --workspace or --set workspace=...
        return None, "no config file: a workspace alone runs on the defaults"
    if args.example_if_unconfigured:
        return EXAMPLE_CONFIG, f"the bundled example, since {UNCONFIGURED} configures a run"
    raise ConfigError(
        f"no configuration ({UNCONFIGURED} in {cwd}): pass --config FILE, set MLOPS_CONFIG, "
        f"create ./{DEFAULT_CONFIG_NAME}, or try --example"
    )


def workspace_source(args: argparse.Namespace, env: Mapping[str, str], overrides: Mapping[str, Any]) -> str:
    """Which layer named the workspace: the highest of command line, environment and config file."""
    if args.workspace:
        return "from --workspace"
    if "workspace" in overrides:
        return "from --set workspace"
    if env.get("MLOPS_WORKSPACE"):
        return "from MLOPS_WORKSPACE"
    return "from the config file"


def evaluate(
    config: Config,
    env: Mapping[str, str],
    cwd: Path,
    *,
    started: float | None = None,
    origin: tuple[str, str] = ("", ""),
) -> Report:
    """Run the selected checks and decide the exit code: the whole monitor, minus I/O.

    ``origin``: why this config file (or the defaults) and this workspace were used, for the report.
    """
    now = config.as_of or datetime.now(UTC)
    for prefix in (*config.select, *config.ignore):
        if not selected_checks((prefix,), ()):  # `MON2O1` (letter O) would silently drop MON201
            raise ConfigError(f"select/ignore: {prefix[:40]!r} is not the prefix of any check ID (see --list-checks)")
    checks = selected_checks(config.select, config.ignore)
    if not checks:
        raise ConfigError(f"select {list(config.select)} / ignore {list(config.ignore)} leave no check to run")
    state = None
    uri = config.mlflow.tracking_uri
    if uri and not uri_problem(uri) and any(c.family == "mlflow" and c.id != "MON301" for c in checks):
        state = gather(config.mlflow, env, started=started)
    ctx = Context(config=config, workspace=load_workspace(config), now=now, env=dict(env), mlflow=state)
    findings = run_checks(ctx, checks)
    fail_on = Severity[config.fail_on.upper()]
    failed = any(f.severity >= fail_on for f in findings)
    return Report(
        findings=tuple(findings),
        workspace=shown_path(config.workspace, cwd),
        config=shown_path(Path(config.source), cwd) if config.source != "defaults" else "",
        config_source=origin[0],
        workspace_source=origin[1],
        as_of=now.isoformat(timespec="seconds"),
        as_of_is_now=config.as_of is None,
        fail_on=fail_on,
        exit_code=ExitCode.FINDINGS if failed else ExitCode.OK,
        links=links(config, ctx),
    )


def shown_path(path: Path | None, cwd: Path) -> str:
    """Relative to the current folder when inside it: shorter, and what GitHub annotations need."""
    if path is None:
        return "<no workspace>"
    try:
        return (
            Path(os.path.relpath(path, cwd)).as_posix() if path.resolve().is_relative_to(cwd.resolve()) else str(path)
        )
    except (OSError, ValueError):
        return str(path)


def links(config: Config, ctx: Context) -> tuple[Link, ...]:
    """The serving model version and its run in MLflow's web UI, when the tracking server has one."""
    uri, name = config.mlflow.tracking_uri, config.mlflow.model_name
    if not uri or not name or not uri.startswith(("http://", "https://")):
        return ()
    try:
        base = safe_uri(uri) + urlsplit(uri).path.rstrip("/")
    except ValueError:  # `http://[::1`: MON301 reports the URI; the report just has no links
        return ()
    version = None
    if ctx.mlflow is not None and ctx.mlflow.version.ok:
        version = ctx.mlflow.version.value["version"]
    elif ctx.workspace.baseline is not None and ctx.workspace.baseline.valid:
        version = ctx.workspace.baseline.data["model"]["version"]
    found = []
    if version is not None:
        url = f"{base}/#/models/{quote(name, safe='')}/versions/{version}"
        found.append(Link(key="model_version", label=f"{name} v{version} in MLflow", url=url))
    if ctx.mlflow is not None and ctx.mlflow.run.ok:
        run = ctx.mlflow.run.value
        url = f"{base}/#/experiments/{run['experiment_id']}/runs/{run['run_id']}"
        found.append(Link(key="run", label=f"run {run['run_id']}", url=url))
    return tuple(found)


def scrub_report(report: Report, clean: Callable[[str], str]) -> Report:
    """Secrets out of every text a reporter renders, before it escapes them for JSON, Markdown or a
    workflow command (where the escaped form would no longer match the secret)."""
    findings = tuple(
        dataclasses.replace(f, message=clean(f.message), subject=clean(f.subject), title=clean(f.title))
        for f in report.findings
    )
    links = tuple(dataclasses.replace(link, label=clean(link.label), url=clean(link.url)) for link in report.links)
    return dataclasses.replace(report, findings=findings, workspace=clean(report.workspace), links=links)


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def emit(
    report: Report,
    config: Config,
    *,
    env: Mapping[str, str],
    derived: Sequence[str],
    clean: Callable[[str], str],
    fail: Callable[[ExitCode, str], int],
) -> int:
    """Write the report where the config says, then the CI side effects; returns the exit code."""
    fmt = resolve(config.format, env)
    text = clean(REPORTER_BY_NAME[fmt](report))
    if fmt == "github" and env.get("GITHUB_ACTIONS") == "true":
        # The runner swallows ::add-mask:: lines; anywhere else they would print the secret itself.
        sys.stdout.write(github.mask_commands(dict.fromkeys(derived)))
    if config.output is None:
        sys.stdout.write(text)
    else:
        try:
            from mlops.core.atomic import write_atomic  # tempfile and shutil: only a run with --output

            write_atomic(config.output, text)
        except OSError as exc:
            return fail(ExitCode.USAGE, f"{config.output}: cannot write the report ({exc.strerror})")
        if fmt == "github":  # workflow commands act only in the log
            sys.stdout.write(clean(github.commands(report)))
    if fmt == "github":  # after the report, so the step's outputs never claim a run that failed to write
        try:
            github.publish(
                report,
                summary_path=env.get("GITHUB_STEP_SUMMARY"),
                output_path=env.get("GITHUB_OUTPUT"),
                clean=clean,
            )
        except github.PublishError as exc:
            return fail(ExitCode.USAGE, str(exc))
    return int(report.exit_code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns an :class:`ExitCode` value and never raises to the caller."""
    started = time.monotonic()
    secrets: list[str] = []

    def clean(text: str) -> str:  # every text that leaves the process goes through here
        return hide_userinfo(scrub(text, secrets))

    def fail(code: ExitCode, message: str) -> int:
        sys.stderr.write(clean(f"mlops monitor: {message}\n"))
        return int(code)

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage
        return int(exc.code or 0)
    if args.list_checks:
        for chk in selected_checks((), ()):
            print(f"{chk.id}  {chk.family:<7} {chk.title:<18} {chk.description}")
        return int(ExitCode.OK)
    previous = signal.signal(signal.SIGTERM, _interrupt) if _in_main_thread() else None
    try:
        cwd = Path.cwd()
        env = read_environment(cwd, os.environ)
        secrets = secrets_in(env, sys.argv[1:] if argv is None else argv)
        overrides = overrides_from(args)
        path, config_source = find_config(args, env, cwd, overrides)
        config = load_config(path, env=env, overrides=overrides, cwd=cwd)
        if config.workspace is None:
            where = f"{shown_path(path, cwd)} sets no `workspace:`" if path else "no config file"
            raise ConfigError(f"no workspace configured ({where}): set `workspace:`, MLOPS_WORKSPACE or --workspace")
        origin = (config_source, workspace_source(args, env, overrides))
        given = sys.argv[1:] if argv is None else argv
        derived = uri_passwords([*env.values(), config.mlflow.tracking_uri or "", *given])
        secrets += derived
        report = scrub_report(evaluate(config, env, cwd, started=started, origin=origin), clean)
        return emit(report, config, env=env, derived=derived, clean=clean, fail=fail)
    except ConfigError as exc:
        return fail(ExitCode.USAGE, str(exc))
    except KeyboardInterrupt:
        if _in_main_thread():  # a second Ctrl-C, or nox passing on the one the terminal sent, is the same request
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
        return fail(ExitCode.INTERRUPTED, "interrupted; no report was written")
    except Exception as exc:
        if truthy(os.environ.get("MLOPS_DEBUG")):
            raise
        return fail(ExitCode.INTERNAL, f"internal error ({type(exc).__name__}); rerun with MLOPS_DEBUG=1 for details")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()

"""The monitor's command line and where its configuration comes from: arguments to a :class:`Config`.

Relative paths resolve against the folder the user ran in; the layers are the defaults, the config
file, the environment (``.env`` included) and the command line, each winning over the one before.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.core.cli import parse_sets
from mlops.core.config import ConfigError
from mlops.monitoring.config import ENV_KEYS, EXAMPLE_CONFIG, Config, load_config
from mlops.monitoring.reporters import FORMATS
from mlops.monitoring.runner import shown_path

PROG = "python -m mlops.monitoring"
DEFAULT_CONFIG_NAME = "mlops.yaml"


OTHER_VARIABLES = {
    "MLOPS_CONFIG": "the config file, when --config is not given",
    "MLFLOW_TRACKING_PASSWORD": "with MLFLOW_TRACKING_USERNAME: HTTP basic auth (never printed)",
    "MLFLOW_TRACKING_TOKEN": "bearer token (never printed)",
    "NETRC": "the netrc file MLflow's client reads credentials from (default ~/.netrc)",
    "HTTP(S)_PROXY, ALL_PROXY": "the proxy to MLflow, chosen as MLflow's client chooses it (passwords never printed)",
    "NO_PROXY": "hosts reached without the proxy",
    "REQUESTS_CA_BUNDLE": "CA bundle trusted for https MLflow servers (then CURL_CA_BUNDLE), as requests trusts it",
    "PYTHON_DOTENV_DISABLED": "1: do not read ./.env",
    "MLOPS_DEBUG": "1: let an internal error's traceback through",
    "MLOPS_HEARTBEAT_URL": "a dead man's switch (Healthchecks, Cronitor) pinged with each run's outcome "
    "(its path and query are never printed)",
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
    p.add_argument(
        "--workspace", metavar="DIR|URL", help="monitoring workspace: a folder, or s3://, gs://, az:// BUCKET/PREFIX"
    )
    p.add_argument(
        "--scan", dest="files.scan", choices=("recent", "all"),
        help="recent (default): read only the windows the checks judge; all: every window file (an audit)",
    )  # fmt: skip
    p.add_argument("--as-of", dest="as_of", metavar="TIME", help="judge as of this RFC 3339 time instead of now")
    p.add_argument("--format", choices=FORMATS, help="report format (default: auto)")
    p.add_argument("--output", metavar="FILE", help="write the report to this file, atomically")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page with charts, atomically")
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
    p.add_argument(
        "--no-heartbeat", action="store_true", help="do not ping MLOPS_HEARTBEAT_URL (a local run among scheduled ones)"
    )
    p.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    return p


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    overrides = parse_sets(args.set)
    for key in ("workspace", "as_of", "format", "output", "html", "fail_on"):
        if (value := getattr(args, key)) is not None:
            overrides[key] = value
    for key in ("select", "ignore"):  # `--select MON1,MON2` means what `select: MON1,MON2` means
        if (values := getattr(args, key)) is not None:
            overrides[key] = ",".join(values)
    for key, value in vars(args).items():
        if key.startswith(("mlflow.", "drift.", "files.")) and value is not None:
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


def configure(args: argparse.Namespace, env: Mapping[str, str], cwd: Path) -> tuple[Config, tuple[str, str]]:
    """The run's config, and why this config file (or none) and this workspace were used."""
    overrides = overrides_from(args)
    path, config_source = find_config(args, env, cwd, overrides)
    config = load_config(path, env=env, overrides=overrides, cwd=cwd)
    if config.workspace is None:
        where = f"{shown_path(path, cwd)} sets no `workspace:`" if path else "no config file"
        raise ConfigError(f"no workspace configured ({where}): set `workspace:`, MLOPS_WORKSPACE or --workspace")
    return config, (config_source, workspace_source(args, env, overrides))

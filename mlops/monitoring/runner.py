"""One run of the monitor, minus the process: the selected checks on their inputs, the verdict, the report.

:func:`evaluate` reads (the workspace, MLflow when a check needs it) and never writes; the CLI
(:mod:`mlops.monitoring.cli`) owns arguments, environment, output, signals and the exit status.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlsplit

from mlops.core.config import ConfigError
from mlops.core.redact import safe_uri
from mlops.monitoring.checks import run_checks, selected_checks
from mlops.monitoring.checks.base import Unavailable
from mlops.monitoring.checks.inputs import Inputs
from mlops.monitoring.config import Config, MlflowConfig
from mlops.monitoring.mlflow.base import State
from mlops.monitoring.results import ExitCode, Link, Report, Severity

T = TypeVar("T")


def evaluate(
    config: Config,
    env: Mapping[str, str],
    cwd: Path,
    *,
    started: float | None = None,
    origin: tuple[str, str] = ("", ""),
) -> Report:
    """Run the selected checks and decide the exit code: the whole monitor, minus I/O.

    ``env`` reaches MLflow's client only (credentials), never a check. ``origin``: why this config
    file (or the defaults) and this workspace were used, for the report.
    """
    now = config.as_of or datetime.now(UTC)
    for prefix in (*config.select, *config.ignore):
        if not selected_checks((prefix,), ()):  # `MON2O1` (letter O) would silently drop MON201
            raise ConfigError(f"select/ignore: {prefix[:40]!r} is not the prefix of any check ID (see --list-checks)")
    checks = selected_checks(config.select, config.ignore)
    if not checks:
        raise ConfigError(f"select {list(config.select)} / ignore {list(config.ignore)} leave no check to run")

    def gatherer(mlflow: MlflowConfig) -> State:
        from mlops.monitoring.mlflow.gather import gather

        return gather(mlflow, env, started=started)

    inputs = Inputs(config=config, now=now, gatherer=gatherer)
    findings = run_checks(inputs, checks)
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
        links=links(config, inputs),
        model=config.mlflow.model_name or "",
        alias=config.mlflow.model_alias if config.mlflow.model_name else "",
    )


def shown_path(path: Path | str | None, cwd: Path) -> str:
    """Relative to the current folder when inside it: shorter, and what GitHub annotations need.
    An object-storage URL is shown as it is (it holds no credentials: the config refuses those)."""
    if path is None:
        return "<no workspace>"
    if isinstance(path, str):
        return path
    try:
        return (
            Path(os.path.relpath(path, cwd)).as_posix() if path.resolve().is_relative_to(cwd.resolve()) else str(path)
        )
    except (OSError, ValueError):
        return str(path)


def links(config: Config, inputs: Inputs) -> tuple[Link, ...]:
    """The serving model version and its run in MLflow's web UI, when the tracking server has one.

    MLflow is never asked for a link alone: only what the checks already gathered is used."""
    uri, name = config.mlflow.tracking_uri, config.mlflow.model_name
    if not uri or not name or not uri.startswith(("http://", "https://")):
        return ()
    try:
        base = safe_uri(uri) + urlsplit(uri).path.rstrip("/")
    except ValueError:  # `http://[::1`: MON301 reports the URI; the report just has no links
        return ()
    state: State | None = inputs.computed("mlflow")
    baseline = inputs.get("baseline")
    version = None
    if state is not None and state.version.ok:
        version = state.version.value.version
    elif not isinstance(baseline, Unavailable):  # a valid baseline, read anyway for MON1xx
        version = baseline.data["model"]["version"]
    found = []
    if version is not None:
        url = f"{base}/#/models/{quote(name, safe='')}/versions/{version}"
        found.append(Link(key="model_version", label=f"{name} v{version} in MLflow", url=url))
    if state is not None and state.run.ok:
        run = state.run.value
        url = f"{base}/#/experiments/{run.experiment_id}/runs/{run.run_id}"
        found.append(Link(key="run", label=f"run {run.run_id}", url=url))
    return tuple(found)


OWN_TEXT = frozenset({"windows", "ends", "as_of", "start", "end", "at", "severity", "statistics", "statistic"})
"""Series fields whose text the monitor writes itself (times it formats, the contract's severities,
statistic names): never a file's or a server's words, and scrubbing could only break their format."""


def scrubbed(value: T, clean: Callable[[str], str]) -> T:
    """``value`` with every string inside it cleaned: a finding's series holds alert titles, class
    labels, metric names, each from a file or a server. Walks the dataclasses generically, so a
    field added to a series type is scrubbed unless it is named in :data:`OWN_TEXT`."""
    found: Any = value
    if isinstance(value, str):
        found = clean(value)
    elif isinstance(value, tuple):
        found = tuple(scrubbed(item, clean) for item in value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: scrubbed(getattr(value, f.name), clean)
            for f in dataclasses.fields(value)
            if f.init and f.name not in OWN_TEXT
        }
        found = dataclasses.replace(value, **changes)
    return cast(T, found)


def scrub_report(report: Report, clean: Callable[[str], str]) -> Report:
    """Secrets out of every text a reporter renders, before it escapes them for JSON, Markdown or a
    workflow command (where the escaped form would no longer match the secret)."""
    findings = tuple(
        dataclasses.replace(
            f,
            message=clean(f.message),
            subject=clean(f.subject),
            title=clean(f.title),
            series=scrubbed(f.series, clean),
        )
        for f in report.findings
    )
    links = tuple(dataclasses.replace(link, label=clean(link.label), url=clean(link.url)) for link in report.links)
    return dataclasses.replace(
        report,
        findings=findings,
        workspace=clean(report.workspace),
        links=links,
        model=clean(report.model),
        alias=clean(report.alias),
    )

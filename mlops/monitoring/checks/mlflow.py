"""MON3xx: the MLflow setup, judged from answers gathered beforehand, without importing mlflow.

The answers come from :func:`mlops.monitoring.mlflow.gather.gather` (stdlib REST for http(s),
mlflow-skinny otherwise), bounded by ``mlflow.budget_seconds``. No check loads a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from mlops.contract.reader import Document
from mlops.core import thresholds as conditions
from mlops.core.redact import BARE_URIS, safe_uri
from mlops.monitoring.checks.base import Result, check, error, ok, skipped, warning
from mlops.monitoring.config import Config
from mlops.monitoring.mlflow.base import Answer, NotFound, RunRecord, State, VersionRecord
from mlops.monitoring.mlflow.uri import uri_problem
from mlops.monitoring.results import MetricPoint, Metrics
from mlops.monitoring.workspace import Workspace, model_of


@check("MON301", "mlflow", "tracking URI")
def tracking_uri_configured(config: Config) -> Iterator[Result]:
    """`MLFLOW_TRACKING_URI` is set, well formed (http(s) with a host), usable by the slim monitor (no database or
    Unity Catalog URI), and keeps credentials out of the URI
    """
    uri = config.mlflow.tracking_uri
    if not uri:
        yield warning(
            "MLflow is not configured: set MLFLOW_TRACKING_URI (or mlflow.tracking_uri, or --tracking-uri); "
            "MLflow checks are skipped and nothing is created"
        )
        return
    shown = safe_uri(uri)
    if problem := uri_problem(uri):
        yield error(problem, shown)
    elif uri not in BARE_URIS and urlsplit(uri).password is not None:
        yield warning(
            f"MLflow tracking URI {shown} embeds a password: MLflow prints it in errors; "
            "use MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD instead",
            shown,
        )
    else:
        yield ok(f"MLflow tracking URI is {shown}", shown)


def _failed(answer: Answer, what: str, subject: str) -> Result | None:
    """The finding for an answer that did not come, or None when there is a value to judge."""
    if not answer.asked:
        return skipped(f"{what} was not asked (an earlier MLflow check failed or it is not configured)")
    if answer.error is not None:
        return error(str(answer.error), subject)
    return None


@check("MON302", "mlflow", "server")
def server_healthy(mlflow: State) -> Iterator[Result]:
    """the tracking server answers `/health` and reports its MLflow version, within the time budget"""
    state = mlflow
    if (problem := _failed(state.server, "the server", state.uri)) is not None:
        yield problem
        return
    # The timing goes to details, not the message: two runs on the same inputs must read the same.
    seconds = (("seconds", round(state.seconds, 3)),)
    yield ok(f"MLflow {state.server.value} at {state.uri} ({state.backend} path)", state.uri, seconds)
    if state.out_of_time:
        yield error(f"MLflow questions did not finish within {state.budget:g} s (mlflow.budget_seconds)", state.uri)


@check("MON303", "mlflow", "experiment")
def experiment_active(mlflow: State, config: Config) -> Iterator[Result]:
    """the training experiment exists and is active (not deleted)"""
    state, name = mlflow, config.mlflow.experiment_name
    if not name:
        yield skipped("set MLFLOW_EXPERIMENT_NAME (or mlflow.experiment_name) to check the experiment")
        return
    answer = state.experiment
    if isinstance(answer.error, NotFound):
        yield error(f"experiment {name!r} does not exist at {state.uri}", name)
    elif (problem := _failed(answer, "the experiment", name)) is not None:
        yield problem
    elif answer.value.lifecycle_stage != "active":
        yield error(f"experiment {name!r} is {answer.value.lifecycle_stage}: restore it or point to another", name)
    else:
        yield ok(f"experiment {name!r} (id {answer.value.id}) is active", name)


@check("MON304", "mlflow", "registered model")
def model_registered(mlflow: State, config: Config) -> Iterator[Result]:
    """the registered model production serves exists"""
    state, name = mlflow, config.mlflow.model_name
    if not name:
        yield skipped("set MLOPS_MODEL_NAME (or mlflow.model_name) to check the registered model")
        return
    answer = state.model
    if isinstance(answer.error, NotFound):
        yield error(f"registered model {name!r} does not exist at {state.uri}", name)
    elif (problem := _failed(answer, "the registered model", name)) is not None:
        yield problem
    else:
        yield ok(f"registered model {name!r} exists", name)


@check("MON305", "mlflow", "alias")
def alias_resolves(mlflow: State, config: Config) -> Iterator[Result]:
    """the serving alias (default `@champion`) points to a model version"""
    m = config.mlflow
    subject = f"{m.model_name}@{m.model_alias}"
    answer = mlflow.version
    if isinstance(answer.error, NotFound):
        yield error(f"alias @{m.model_alias} is not set on {m.model_name!r}: no version is marked for serving", subject)
    elif (problem := _failed(answer, "the alias", subject)) is not None:
        yield problem
    else:
        yield ok(f"@{m.model_alias} -> version {answer.value.version} of {m.model_name!r}", subject)


@check("MON306", "mlflow", "version ready")
def version_ready(version: VersionRecord, config: Config) -> Iterator[Result]:
    """that version is READY"""
    number, status = version.version, version.status
    subject = f"{config.mlflow.model_name} v{number}"
    if status == "READY":
        yield ok(f"version {number} is READY", subject)
    elif status == "PENDING_REGISTRATION":
        yield warning(f"version {number} is still PENDING_REGISTRATION", subject)
    else:
        yield error(f"version {number} is {status or 'of unknown status'}, not READY", subject)


@check("MON307", "mlflow", "source run")
def run_finished(mlflow: State) -> Iterator[Result]:
    """its source run finished successfully and was not deleted"""
    state = mlflow
    version = state.version
    if version.ok and not version.value.run_id:
        yield warning(f"version {version.value.version} names no source run: its training cannot be traced")
        return
    answer = state.run
    if isinstance(answer.error, NotFound):
        yield error(f"the source run of version {version.value.version} does not exist")
        return
    if (problem := _failed(answer, "the source run", "")) is not None:
        yield problem
        return
    run = answer.value
    subject = f"run {run.run_id}"
    if run.lifecycle_stage != "active":
        yield error(f"{subject} is {run.lifecycle_stage}", subject)
    elif run.status == "FINISHED":
        yield ok(f"{subject} FINISHED", subject)
    elif run.status in ("RUNNING", "SCHEDULED"):
        yield warning(f"{subject} is still {run.status}: the served version comes from unfinished training", subject)
    else:
        yield error(f"{subject} ended {run.status}: the served version comes from a failed training", subject)


@check("MON308", "mlflow", "run age")
def run_recent(run: RunRecord, now: datetime, config: Config) -> Iterator[Result]:
    """its source run is recent: a warning past `mlflow.warn_run_age_days` (30), an error past
    `mlflow.max_run_age_days` (90)
    """
    stamp = run.end_time or run.start_time
    if stamp is None:
        yield warning(f"run {run.run_id} has no start or end time", f"run {run.run_id}")
        return
    ended = datetime.fromtimestamp(stamp / 1000, tz=UTC)
    days = (now - ended).total_seconds() / 86400
    limit, soft = config.mlflow.max_run_age_days, config.mlflow.warn_run_age_days
    when = f"{days:.1f} days before {now:%Y-%m-%d}" if days >= 0 else f"after {now.isoformat(timespec='seconds')}"
    text = f"run {run.run_id} ended {ended.isoformat(timespec='seconds')}, {when}"
    if days > limit:
        yield error(f"{text}: older than {limit:g} days (mlflow.max_run_age_days); retrain?", f"run {run.run_id}")
    elif days > soft:
        yield warning(f"{text}: older than {soft:g} days (mlflow.warn_run_age_days)", f"run {run.run_id}")
    else:
        yield ok(text, f"run {run.run_id}")


@check("MON309", "mlflow", "run metrics")
def metrics_meet_thresholds(mlflow: State, config: Config) -> Iterator[Result]:
    """its source run meets every threshold in `mlflow.metrics` (e.g. `metrics/mAP50-95B: ">= 0.5"`)"""
    thresholds = config.mlflow.metrics
    if not thresholds:
        yield skipped("no thresholds in mlflow.metrics")
        return
    if not mlflow.run.ok:
        yield skipped("no source run to judge (MON307)")
        return
    run = mlflow.run.value
    passed, found, points = [], [], []
    for name, condition in sorted(thresholds.items()):
        value = run.metrics.get(name)
        met = value is not None and conditions.holds(value, condition)
        points.append(MetricPoint(name=name, value=value, condition=condition, met=met))
        if value is None:
            found.append(error(f"run {run.run_id} logged no metric {name!r} (threshold {condition})", name))
        elif not met:
            found.append(error(f"{name} = {value:.4g} fails {condition} (run {run.run_id})", name))
        else:
            passed.append(f"{name} = {value:.4g} {condition}")
    if passed and len(passed) == len(thresholds):
        found.append(ok("; ".join(passed)))
    if found:  # the first finding carries the chart of every metric against its threshold
        found[0] = replace(found[0], series=Metrics(points=tuple(points)))
    yield from found


@check("MON310", "mlflow", "served version")
def served_version_matches_alias(version: VersionRecord, workspace: Workspace, config: Config) -> Iterator[Result]:
    """the model name and version in the monitoring files, and the baseline's `run_id` where it has one, are the
    alias's version and its source run: another model, or production serving another version, is an error; a
    baseline for another version or run, a warning
    """
    registry = version
    name, number = registry.name or str(config.mlflow.model_name), registry.version
    run_id, alias = registry.run_id, f"@{config.mlflow.model_alias}"
    ws = workspace
    newest = ws.by_end[-1][1] if ws.by_end else None
    baseline = ws.baseline if ws.baseline is not None and ws.baseline.valid else None
    if newest is None and baseline is None:
        yield skipped("no valid monitoring file names a model version")
        return
    found: list[Result] = []
    if newest is not None:
        served, served_number = model_of(newest)
        if served != name:
            found.append(error(f"{newest.shown}: production serves model {served!r}, {alias} is on {name!r}",
                               newest.shown))  # fmt: skip
        elif served_number != number:
            found.append(error(f"{newest.shown}: production serves version {served_number} while {alias} points to "
                               f"version {number} of {name!r}", newest.shown))  # fmt: skip
    if baseline is not None:
        found += _baseline_differs(baseline, name, number, run_id, alias)
    yield from found
    if not found:
        docs = [d for d in (newest, baseline) if d is not None]
        run = f" (source run {run_id})" if baseline is not None and baseline.data["model"].get("run_id") else ""
        what = " and ".join(d.shown for d in docs)
        yield ok(f"{what}: {name!r} version {number}{run}, the one {alias} points to", docs[0].shown)


def _baseline_differs(baseline: Document, name: str, version: str, run_id: str, alias: str) -> list[Result]:
    """Another model is an error (drift would compare unrelated detectors); another version, or the same
    version number from another run (a model registered again), a warning: the baseline is stale."""
    model, shown = baseline.data["model"], baseline.shown
    base_run = str(model.get("run_id") or "")
    if model["name"] != name:
        return [error(f"{shown} is for model {model['name']!r}, {alias} is on {name!r}", shown)]
    if model["version"] != version:
        return [warning(f"{shown} is for version {model['version']}, {alias} points to {version}: "
                        "rerun training's baseline", shown)]  # fmt: skip
    if base_run and run_id and base_run != run_id:
        return [warning(f"{shown} was computed from run {base_run}, version {version}'s source run is {run_id}: "
                        "rerun training's baseline", shown)]  # fmt: skip
    return []

"""The monitor's configuration: ``default.yaml`` beside this module documents every key.

Layers are merged by :class:`mlops.core.config.Spec` (shared with training); this module adds
the monitor's own rules (times, tracking URIs, metric thresholds) and typed, frozen results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any

from mlops.contract.timestamps import parse_timestamp
from mlops.core import thresholds
from mlops.core.config import ConfigError, Spec, Special, coerce, kind, workspace_location
from mlops.core.location import remote_scheme
from mlops.monitoring.reporters import FORMATS

DEFAULTS_FILE = Path(__file__).with_name("default.yaml")
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "example" / "monitor.yaml"
PATH_KEYS = ("output", "html", "mlflow.server_cert_path", "mlflow.client_cert_path")
CHOICES = {
    "fail_on": ("warning", "error"),
    "format": FORMATS,
    "mlflow.client": ("auto", "rest", "filestore", "mlflow"),
    "files.scan": ("recent", "all"),
}
ENV_KEYS = {
    "MLOPS_WORKSPACE": "workspace",
    "MLFLOW_TRACKING_URI": "mlflow.tracking_uri",
    "MLFLOW_EXPERIMENT_NAME": "mlflow.experiment_name",
    "MLOPS_MODEL_NAME": "mlflow.model_name",
    "MLOPS_MODEL_ALIAS": "mlflow.model_alias",
    "MLFLOW_TRACKING_USERNAME": "mlflow.username",
    "MLFLOW_TRACKING_INSECURE_TLS": "mlflow.insecure_tls",
    "MLFLOW_TRACKING_SERVER_CERT_PATH": "mlflow.server_cert_path",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH": "mlflow.client_cert_path",
}
"""Environment variable -> dotted config key. Standard MLflow names keep their standard names."""
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
"""``as_of`` and ``drift.since`` lie between these, so that any span below, added or taken away, stays
within the years Python's datetime can hold (1 to 9999) instead of overflowing in a check."""
SPAN_HOURS = 100 * 365 * 24
"""The longest span (a century) an hours or days key may hold; far beyond any monitoring need."""


@dataclass(frozen=True, kw_only=True)
class FilesConfig:
    baseline: str
    alerts: str
    windows: str
    peers: str
    max_bytes: int
    warn_age_hours: float
    max_age_hours: float
    future_tolerance_seconds: float
    scan: str = "recent"


@dataclass(frozen=True, kw_only=True)
class StorageConfig:
    budget_seconds: float = 10.0
    retries: int = 3


@dataclass(frozen=True, kw_only=True)
class AlertsConfig:
    window_hours: float
    max_age_hours: float = 26.0


@dataclass(frozen=True, kw_only=True)
class DriftConfig:
    windows: int = 1
    since: str | None = None
    min_images: int = 100
    psi_warning: float = 0.1
    psi_error: float = 0.25
    p_value: float = 0.05
    share_warning: float = 0.5


@dataclass(frozen=True, kw_only=True)
class MlflowConfig:
    tracking_uri: str | None
    experiment_name: str | None
    model_name: str | None
    model_alias: str
    username: str | None = None
    insecure_tls: bool = False
    server_cert_path: str | None = None
    client_cert_path: str | None = None
    client: str = "auto"
    budget_seconds: float = 10.0
    warn_run_age_days: float = 30.0
    max_run_age_days: float = 90.0
    metrics: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Config:
    workspace: Path | str | None
    """A folder, or an object-storage URL (``s3://``, ``gs://``, ``az://``...) kept as a string."""
    as_of: datetime | None
    fail_on: str
    format: str
    output: Path | None
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    files: FilesConfig
    alerts: AlertsConfig
    drift: DriftConfig
    mlflow: MlflowConfig
    storage: StorageConfig
    source: str
    """Where the configuration came from, for the report: a file name, or "defaults"."""
    html: Path | None = None
    """Where ``--html`` writes the page, besides the report itself."""


def _as_of(key: str, value: Any, where: str, base: Path) -> str | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):  # YAML reads 2026-11-20 as a date
        day = value.isoformat()
        raise ConfigError(f"{where}: {key!r} must be an RFC 3339 time, got a date, {day}; "
                          f"write a time such as {day}T00:00:00Z")  # fmt: skip
    if isinstance(value, datetime):  # YAML parses unquoted timestamps itself
        value = value.isoformat()
    moment = parse_timestamp(value)
    if moment is None and not _has_offset(value):
        raise ConfigError(f"{where}: {key!r} must be an RFC 3339 time with a timezone offset, e.g. "
                          f"2026-11-20T12:00:00Z, got {kind(value)}")  # fmt: skip
    if moment is None or not EARLIEST <= moment < LATEST:  # None: valid, but beyond what UTC can hold
        raise ConfigError(f"{where}: {key!r} must be a time in the years {EARLIEST.year} to {LATEST.year - 1} (UTC), "
                          f"got {kind(value)} (out of range)")  # fmt: skip
    return str(value)


def _has_offset(value: Any) -> bool:
    """An ISO time with an offset, even one that :func:`parse_timestamp` refuses because UTC cannot hold it."""
    try:
        return isinstance(value, str) and len(value) <= 64 and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _span(unit_hours: int, unit: str) -> Special:
    """A non-negative number of hours or days up to :data:`SPAN_HOURS`: ``as_of`` minus it cannot overflow."""
    limit = SPAN_HOURS // unit_hours

    def check(key: str, value: Any, where: str, base: Path) -> float:
        number: float = coerce(key, value, 0.0, where)
        if number > limit:
            raise ConfigError(
                f"{where}: {key!r} must be at most {limit} {unit} (a century), got {kind(value)} (out of range)"
            )
        return number

    return check


def _tracking_uri(key: str, value: Any, where: str, base: Path) -> str | None:
    """``file:mlruns`` or ``file:./mlruns`` in a config file means beside that file, as paths do."""
    uri = coerce(key, value, None, where)
    if not isinstance(uri, str) or not uri.startswith("file:") or uri.startswith("file://"):
        return uri if isinstance(uri, str) else None
    try:
        return (base / uri.removeprefix("file:")).resolve().as_uri()
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a symlink loop
        raise ConfigError(f"{where}: {key!r}: the file store path cannot be resolved ({type(exc).__name__})") from None


def _workspace(key: str, value: Any, where: str, base: Path) -> str | None:
    """A folder (relative to the config file), a ``file://`` URL, or an object-storage URL."""
    location: str | None = coerce(key, value, None, where)
    return None if location is None else workspace_location(key, location, where, base)


def _inside(key: str, value: Any, where: str, base: Path) -> str:
    """A file or folder name inside the workspace: the reader refuses anything that leads out of it, so a
    name that does is a configuration error, said before any file is read rather than once per file."""
    name: str = coerce(key, value, "name", where)
    parts = PurePath(name).parts
    if PurePath(name).is_absolute() or PureWindowsPath(name).is_absolute() or ".." in parts:
        raise ConfigError(
            f"{where}: {key!r} must be a path inside the workspace (relative, without '..'), got {kind(value)}; "
            "to read files elsewhere, point `workspace` there"
        )
    return name


SPEC = Spec(
    DEFAULTS_FILE,
    env_keys=ENV_KEYS,
    path_keys=frozenset(PATH_KEYS),
    choices=CHOICES,
    special={
        "workspace": _workspace,
        "as_of": _as_of,
        "drift.since": _as_of,
        "mlflow.tracking_uri": _tracking_uri,
        "mlflow.metrics": thresholds.mapping,
        **{f"files.{name}": _inside for name in ("baseline", "alerts", "windows", "peers")},
        "files.warn_age_hours": _span(1, "hours"),
        "files.max_age_hours": _span(1, "hours"),
        "alerts.window_hours": _span(1, "hours"),
        "alerts.max_age_hours": _span(1, "hours"),
        "mlflow.warn_run_age_days": _span(24, "days"),
        "mlflow.max_run_age_days": _span(24, "days"),
    },
)


def _location(value: str | None) -> Path | str | None:
    if not value:
        return None
    return value if remote_scheme(value) else Path(value)


def defaults() -> dict[str, Any]:
    return SPEC.defaults()


def load_config(path: Path | None, *, env: Mapping[str, str], overrides: Mapping[str, Any], cwd: Path) -> Config:
    """Merge defaults < ``path`` < ``env`` < ``overrides`` (dotted keys) into a checked Config."""
    return _build(SPEC.merge(path, env=env, overrides=overrides, cwd=cwd), source=str(path) if path else "defaults")


def _build(tree: dict[str, Any], *, source: str) -> Config:
    as_of = parse_timestamp(tree["as_of"]) if tree["as_of"] else None
    return Config(
        workspace=_location(tree["workspace"]),
        as_of=as_of,
        fail_on=tree["fail_on"],
        format=tree["format"],
        output=Path(tree["output"]) if tree["output"] else None,
        html=Path(tree["html"]) if tree["html"] else None,
        select=tuple(tree["select"]),
        ignore=tuple(tree["ignore"]),
        files=FilesConfig(**tree["files"]),
        alerts=AlertsConfig(**tree["alerts"]),
        drift=DriftConfig(**tree["drift"]),
        mlflow=MlflowConfig(**tree["mlflow"]),
        storage=StorageConfig(**tree["storage"]),
        source=source,
    )

"""One annotated YAML of defaults, merged with a config file, the environment and the CLI.

``default.yaml`` beside this module documents every key. :func:`load_config` is the only
place that merges layers; unknown keys and wrong types are refused with the key named.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from mlops.contract.timestamps import parse_timestamp

DEFAULTS_FILE = Path(__file__).with_name("default.yaml")
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "example" / "monitor.yaml"
PATH_KEYS = ("workspace", "output", "mlflow.server_cert_path")
CHOICES = {
    "fail_on": ("warning", "error"),
    "format": ("auto", "text", "json", "github"),
    "mlflow.client": ("auto", "rest", "filestore", "mlflow"),
}
OPEN_MAPPINGS = frozenset({"mlflow.metrics"})
"""Mappings whose keys are the user's (metric names), replaced whole rather than merged key by key."""
THRESHOLD = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$")
ENV_KEYS = {
    "MLOPS_WORKSPACE": "workspace",
    "MLFLOW_TRACKING_URI": "mlflow.tracking_uri",
    "MLFLOW_EXPERIMENT_NAME": "mlflow.experiment_name",
    "MLOPS_MODEL_NAME": "mlflow.model_name",
    "MLOPS_MODEL_ALIAS": "mlflow.model_alias",
    "MLFLOW_TRACKING_USERNAME": "mlflow.username",
    "MLFLOW_TRACKING_INSECURE_TLS": "mlflow.insecure_tls",
    "MLFLOW_TRACKING_SERVER_CERT_PATH": "mlflow.server_cert_path",
}
"""Environment variable -> dotted config key. Standard MLflow names keep their standard names."""


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and key concerned."""


@dataclass(frozen=True, kw_only=True)
class FilesConfig:
    baseline: str
    alerts: str
    windows: str
    max_bytes: int
    warn_age_hours: float
    max_age_hours: float
    future_tolerance_seconds: float


@dataclass(frozen=True, kw_only=True)
class AlertsConfig:
    window_hours: float


@dataclass(frozen=True, kw_only=True)
class MlflowConfig:
    tracking_uri: str | None
    experiment_name: str | None
    model_name: str | None
    model_alias: str
    username: str | None = None
    insecure_tls: bool = False
    server_cert_path: str | None = None
    client: str = "auto"
    budget_seconds: float = 10.0
    warn_run_age_days: float = 30.0
    max_run_age_days: float = 90.0
    metrics: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Config:
    workspace: Path | None
    as_of: datetime | None
    fail_on: str
    format: str
    output: Path | None
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    files: FilesConfig
    alerts: AlertsConfig
    mlflow: MlflowConfig
    source: str
    """Where the configuration came from, for the report: a file name, or "defaults"."""


@functools.cache
def defaults() -> dict[str, Any]:
    return yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def load_config(path: Path | None, *, env: Mapping[str, str], overrides: Mapping[str, Any], cwd: Path) -> Config:
    """Merge defaults < ``path`` < ``env`` < ``overrides`` (dotted keys) into a checked Config."""
    merged = _copy(defaults())
    if path is not None:
        layer = _read_file(path)
        _merge(merged, layer, where=str(path), base=path.resolve().parent)
    env_layer = {key: env[var] for var, key in ENV_KEYS.items() if env.get(var)}
    _merge(merged, _nest(env_layer), where="environment", base=cwd)
    _merge(merged, _nest(dict(overrides)), where="command line", base=cwd)
    return _build(merged, source=str(path) if path else "defaults")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({type(exc).__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{at}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def _copy(tree: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in tree.items()}


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"command line: {dotted!r} conflicts with another override")
        node[leaf] = value
    return nested


def _merge(target: dict[str, Any], layer: dict[str, Any], *, where: str, base: Path, prefix: str = "") -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if not isinstance(key, str) or key not in target:
            raise ConfigError(f"{where}: unknown key {dotted!r}{_suggest(str(key), target, prefix)}")
        if dotted in OPEN_MAPPINGS:
            target[key] = _thresholds(dotted, value, where)
            continue
        if isinstance(target[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {dotted!r} must be a mapping, got {_kind(value)}")
            _merge(target[key], value, where=where, base=base, prefix=f"{dotted}.")
            continue
        target[key] = _coerce(dotted, value, defaults_value(dotted), where)
        if dotted in PATH_KEYS and target[key] is not None:
            target[key] = str(base / Path(target[key]).expanduser())
        if dotted == "mlflow.tracking_uri" and isinstance(value, str) and value.startswith("file:"):
            target[key] = _absolute_file_uri(value, base)


def defaults_value(dotted: str) -> Any:
    node: Any = defaults()
    for part in dotted.split("."):
        node = node[part]
    return node


def _coerce(key: str, value: Any, default: Any, where: str) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: {key!r} must be {expected}, got {_kind(value)}")

    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):  # from the environment
            value = value.lower() in ("true", "1")
        if not isinstance(value, bool):
            raise bad("true or false")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad("a non-negative integer")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
            raise bad("a non-negative number")
        value = float(value)
    elif isinstance(default, list):
        if isinstance(value, str):
            value = [part for part in value.split(",") if part]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
    elif key == "as_of" and value is not None:
        if isinstance(value, datetime):  # YAML parses unquoted timestamps itself
            value = value.isoformat()
        if parse_timestamp(value) is None:
            raise bad("an RFC 3339 time with a timezone offset, e.g. 2026-11-20T12:00:00Z")
    elif value is not None and not isinstance(value, str):
        raise bad("a string")
    if key in CHOICES and value not in CHOICES[key]:
        raise ConfigError(f"{where}: {key!r} must be one of {', '.join(CHOICES[key])}, got {value!r}")
    return value


def _absolute_file_uri(uri: str, base: Path) -> str:
    """``file:mlruns`` or ``file:./mlruns`` in a config file means beside that file, as paths do."""
    path = uri.removeprefix("file:")
    if path.startswith("//"):
        return uri
    return (base / path).resolve().as_uri()


def _thresholds(key: str, value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ConfigError(f"{where}: {key!r} must map metric names to conditions like '>= 0.5', got {_kind(value)}")
    for name, condition in value.items():
        if not THRESHOLD.match(condition):
            raise ConfigError(f"{where}: {key}.{name}: {condition!r} is not a condition like '>= 0.5'")
    return dict(value)


def _suggest(key: str, target: dict[str, Any], prefix: str) -> str:
    close = difflib.get_close_matches(key, [k for k in target if isinstance(k, str)], n=1)
    return f" (did you mean {prefix + close[0]!r}?)" if close else ""


def _kind(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"


def _build(tree: dict[str, Any], *, source: str) -> Config:
    as_of = parse_timestamp(tree["as_of"]) if tree["as_of"] else None
    return Config(
        workspace=Path(tree["workspace"]) if tree["workspace"] else None,
        as_of=as_of,
        fail_on=tree["fail_on"],
        format=tree["format"],
        output=Path(tree["output"]) if tree["output"] else None,
        select=tuple(tree["select"]),
        ignore=tuple(tree["ignore"]),
        files=FilesConfig(**tree["files"]),
        alerts=AlertsConfig(**tree["alerts"]),
        mlflow=MlflowConfig(**tree["mlflow"]),
        source=source,
    )

"""MON3xx: the MLflow setup, checked without importing mlflow or loading a model.

Only the configuration is judged here; reaching the server is a separate, time-bounded step.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from mlops.core.redact import safe_uri
from mlops.monitoring.checks.base import Context, Result, check, error, ok, warning

BARE_URIS = ("databricks", "databricks-uc", "uc")
"""Values MLflow accepts without a scheme (the default Databricks profile)."""
KNOWN_SCHEMES = ("http", "https", "file", "databricks", "databricks-uc", "sqlite", "postgresql", "mysql", "mssql")


@check("MON301", "mlflow", "tracking URI")
def tracking_uri_configured(ctx: Context) -> Iterator[Result]:
    """MLFLOW_TRACKING_URI is set, well formed, and keeps credentials out of the URI."""
    uri = ctx.config.mlflow.tracking_uri
    if not uri:
        yield warning(
            "MLflow is not configured: set MLFLOW_TRACKING_URI (or mlflow.tracking_uri, or --tracking-uri); "
            "MLflow checks are skipped and nothing is created"
        )
        return
    shown = safe_uri(uri)
    if uri in BARE_URIS:
        yield ok(f"MLflow tracking URI is {uri}", uri)
        return
    try:
        parts = urlsplit(uri)
        has_password = parts.password is not None
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        yield error(f"MLflow tracking URI {shown} cannot be parsed (bad host or port)", shown)
        return
    scheme = parts.scheme.split("+")[0]
    if scheme not in KNOWN_SCHEMES:
        yield error(f"MLflow tracking URI {shown}: unknown scheme {parts.scheme!r}", shown)
    elif has_password:
        yield warning(
            f"MLflow tracking URI {shown} embeds a password: MLflow prints it in errors; "
            "use MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD instead",
            shown,
        )
    else:
        yield ok(f"MLflow tracking URI is {shown}", shown)

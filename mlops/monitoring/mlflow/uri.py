"""Whether a tracking URI can be used by the slim monitor: MON301 says why not, and MLflow is then not asked."""

from __future__ import annotations

from urllib.parse import urlsplit

from mlops.core.redact import BARE_URIS, safe_uri

DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
"""MLflow's SQLAlchemy stores: the slim env has no SQLAlchemy, and opening one may create or migrate its tables."""
KNOWN_SCHEMES = ("http", "https", "file", "databricks", "databricks-uc", "uc", *DATABASE_SCHEMES)
REGISTRY_ONLY = ("databricks-uc", "uc")
"""Unity Catalog model registry URIs, which MLflow refuses as tracking URIs."""


def uri_problem(uri: str) -> str | None:
    """Why a tracking URI cannot be used, or None. Shared by MON301 and the ``mlflow`` input."""
    if uri.split(":", 1)[0] in REGISTRY_ONLY:
        return (
            f"MLflow tracking URI {safe_uri(uri)} is a Unity Catalog model registry URI, which MLflow refuses "
            "as a tracking URI: use databricks (or databricks://PROFILE)"
        )
    if uri in BARE_URIS:
        return None
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return f"MLflow tracking URI {safe_uri(uri)} cannot be parsed (bad host or port)"
    scheme = parts.scheme.split("+")[0]
    if scheme not in KNOWN_SCHEMES:
        return f"MLflow tracking URI {safe_uri(uri)}: unknown scheme {parts.scheme!r}"
    if scheme in ("http", "https") and not parts.hostname:
        return f"MLflow tracking URI {safe_uri(uri)} names no host: write {scheme}://HOST:PORT"
    if scheme in DATABASE_SCHEMES:
        return (
            f"MLflow tracking URI {safe_uri(uri)} is a database: the slim monitor cannot open a database-backed "
            "store directly (it reads MLflow without SQLAlchemy and never creates or migrates tables); "
            "serve it with `mlflow server --backend-store-uri <this URI>` and point MLFLOW_TRACKING_URI "
            "at that server over http(s)"
        )
    return None

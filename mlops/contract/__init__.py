"""The data contract between producers (serving, training, observe) and the light monitor.

Layout of a monitoring workspace, with one JSON Schema file per format under ``schemas/``::

    workspace/
      baseline.json        mlops.baseline v1, written by `nox -s train`
      alerts.json          mlops.alerts v1, appended to by producers
      windows/*.json       mlops.window v1, one file per production window

The schema files are the single source of truth: :mod:`mlops.contract.validate` interprets
them with the standard library, and `check-jsonschema --schemafile` accepts them unchanged.
"""

from __future__ import annotations

SCHEMAS = {("mlops.window", 1): "window.v1", ("mlops.baseline", 1): "baseline.v1", ("mlops.alerts", 1): "alerts.v1"}
"""(``schema``, ``schema_version``) written in each file -> its schema file (``schemas/<name>.schema.json``).
A version 2 of a format is one more entry: readers accept every version listed, writers write CURRENT."""
CURRENT = {"mlops.window": 1, "mlops.baseline": 1, "mlops.alerts": 1}
"""The version of each format this code writes."""


def schema_name(identifier: str, version: object = None) -> str | None:
    """The schema file for a format's version (the current one by default); None for a version this code
    does not know. A version that is not an integer is judged by the current schema, which names the key."""
    if not isinstance(version, int) or isinstance(version, bool):
        version = CURRENT[identifier]
    return SCHEMAS.get((identifier, version))

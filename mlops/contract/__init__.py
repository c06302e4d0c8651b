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

SCHEMAS = {"mlops.window": "window.v1", "mlops.baseline": "baseline.v1", "mlops.alerts": "alerts.v1"}
"""Schema identifier written in each file -> the schema file (``schemas/<name>.schema.json``)."""

"""What the monitor learns from MLflow, gathered once, within a time budget, read-only.

Two backends answer the same questions with the same normalised dicts: :mod:`.rest` (standard
library, for ``http(s)`` tracking URIs) and :mod:`.client` (mlflow-skinny, imported only when
another scheme is configured). :func:`.gather.gather` runs one of them against a deadline and
returns a frozen :class:`State` that the MON3xx checks judge without any I/O of their own.
"""

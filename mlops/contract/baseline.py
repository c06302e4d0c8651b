"""Write a workspace's ``baseline.json``, never over a newer one.

For producers (training, or a job that recomputes the baseline elsewhere), standard library only::

    from mlops.contract.baseline import write_baseline
    from mlops.contract.signals import Signals

    signals = Signals()
    for image in validation_set:
        signals.add(width=..., height=..., brightness=..., detections=..., latency_ms=...)
    write_baseline("monitoring", model_name="shapes-detector", model_version="4", run_id=run_id,
                   dataset="data/shapes/data.yaml", signals=signals)

The replace is atomic and happens under a lock (``.baseline.json.lock``). A baseline of the same model
with a higher version, or of the same version created later, is newer: it is kept and
:class:`NewerBaselineError` raised, so a slow trainer finishing last cannot put back an older
baseline. ``replace_newer=True`` is for a deliberate rollback (the alias moved back to an older version).

The workspace may be a storage URL (``write_baseline("s3://acme-monitoring/shapes", ...)``): the object
is read with its ETag and replaced only if unchanged since (:func:`mlops.contract.writer.rewrite`),
so the same rule holds between trainers on different machines.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from mlops.contract import CURRENT
from mlops.contract.signals import Signals
from mlops.contract.timestamps import format_precise, parse_timestamp, require_aware
from mlops.contract.writer import locate, rewrite

FILE = "baseline.json"


class NewerBaselineError(FileExistsError):
    """The workspace already holds a newer baseline; it was left as it is."""


@overload
def write_baseline(
    workspace: Path,
    *,
    model_name: str,
    model_version: str,
    dataset: str,
    signals: Signals | Mapping[str, Any],
    run_id: str | None = None,
    created_at: datetime | None = None,
    replace_newer: bool = False,
) -> Path: ...


@overload
def write_baseline(
    workspace: str | os.PathLike[str],
    *,
    model_name: str,
    model_version: str,
    dataset: str,
    signals: Signals | Mapping[str, Any],
    run_id: str | None = None,
    created_at: datetime | None = None,
    replace_newer: bool = False,
) -> Path | str: ...


def write_baseline(
    workspace: str | os.PathLike[str],
    *,
    model_name: str,
    model_version: str,
    dataset: str,
    signals: Signals | Mapping[str, Any],
    run_id: str | None = None,
    created_at: datetime | None = None,
    replace_newer: bool = False,
) -> Path | str:
    """Write the baseline of one model version and return where: its Path, or its object URL."""
    when = require_aware(created_at, "created_at") if created_at is not None else datetime.now(UTC)
    model = {"name": model_name, "version": str(model_version)}
    if run_id is not None:
        model["run_id"] = run_id
    new = {
        "schema": "mlops.baseline",
        "schema_version": CURRENT["mlops.baseline"],
        "model": model,
        "created_at": format_precise(when),
        "dataset": dataset,
        "signals": signals.to_dict() if isinstance(signals, Signals) else dict(signals),
    }
    path = locate(workspace, FILE)

    def change(current: dict[str, Any] | None, problem: str | None) -> dict[str, Any]:
        if current is not None and not replace_newer and _newer(current, new):
            found = current["model"]
            raise NewerBaselineError(
                f"{path} holds a newer baseline ({found['name']} version {found['version']}, created "
                f"{current['created_at']}) than this one ({model_name} version {model_version}, created "
                f"{new['created_at']}); left as it is (replace_newer=True to roll back on purpose)"
            )
        return new  # an unusable file is replaced: the monitor cannot compare anything with it anyway

    rewrite(path, "mlops.baseline", change)
    return path


def _newer(current: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether ``current`` describes a later version of the same model, or the same version made later."""
    if current["model"]["name"] != new["model"]["name"]:
        return False  # the workspace now serves another model: its baseline follows
    have, want = int(current["model"]["version"]), int(new["model"]["version"])
    if have != want:
        return have > want
    made, making = parse_timestamp(current["created_at"]), parse_timestamp(new["created_at"])
    return made is not None and making is not None and made > making

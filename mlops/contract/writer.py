"""Write production windows the monitor can read at any moment: accumulate, then one atomic rename.

For producers (an inference service, the heavy ``observe`` job), standard library only::

    from mlops.contract.writer import WindowWriter

    window = WindowWriter("monitoring", model_name="shapes-detector", model_version="3")
    for image in stream:                      # your serving loop
        boxes, millis = detect(image)         # [(class name, confidence), ...], latency in ms
        window.add(width=image.width, height=image.height, brightness=image.mean,
                   detections=boxes, latency_ms=millis)
        if window.age_seconds >= 3600:        # one window per hour
            window.close()                    # writes monitoring/windows/<end>.json atomically
            window = WindowWriter("monitoring", model_name="shapes-detector", model_version="3")

The file appears complete or not at all (temporary sibling, fsync, rename); its temporary name
starts with a dot, which readers skip.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from mlops.contract.signals import Signals
from mlops.contract.timestamps import format_timestamp
from mlops.core.atomic import write_atomic


class WindowWriter:
    """One production window of one model version, written once by :meth:`close`."""

    def __init__(self, workspace: str | Path, *, model_name: str, model_version: str) -> None:
        self.folder = Path(workspace) / "windows"
        self.model = {"name": model_name, "version": str(model_version)}
        self.signals = Signals()
        self.start = datetime.now(UTC)
        self._started = time.monotonic()

    @property
    def age_seconds(self) -> float:
        return time.monotonic() - self._started

    def add(
        self, *, width: int, height: int, brightness: float, detections: Iterable[tuple[str, float]], latency_ms: float
    ) -> None:
        self.signals.add(
            width=width, height=height, brightness=brightness, detections=detections, latency_ms=latency_ms
        )

    def close(self, *, end: datetime | None = None) -> Path:
        """Write the window (``windows/<end>.json``) atomically and return its path."""
        end = end or datetime.now(UTC)
        start = min(self.start, end)
        doc = {
            "schema": "mlops.window",
            "schema_version": 1,
            "model": self.model,
            "window": {"start": format_timestamp(start), "end": format_timestamp(end)},
            "generated_at": format_timestamp(datetime.now(UTC)),
            "signals": self.signals.to_dict(),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{format_timestamp(end).replace(':', '')}.json"
        write_atomic(path, json.dumps(doc, indent=1) + "\n")
        return path

"""Write production windows the monitor can read at any moment, and that no other writer can replace.

For producers (an inference service, the heavy ``observe`` job), standard library only::

    from mlops.contract.writer import WindowWriter

    window = WindowWriter("monitoring", model_name="shapes-detector", model_version="3")
    for image in stream:                      # your serving loop
        boxes, millis = detect(image)         # [(class name, confidence), ...], latency in ms
        window.add(width=image.width, height=image.height, brightness=image.mean,
                   detections=boxes, latency_ms=millis)
        if window.age_seconds >= 3600:        # one window per hour
            window.close()                    # writes monitoring/windows/<end>-<writer id>.json
            window = WindowWriter("monitoring", model_name="shapes-detector", model_version="3")

Each window gets its own file, ``windows/<end to the microsecond>Z-<8 hex writer id>.json``, created
complete or not at all and never over an existing file (:func:`mlops.core.atomic.write_new`): any
number of replicas of one model can write into one workspace, in the same second, and none loses a
window. Times are written to the microsecond, so a window opened and closed within a second still
ends after it starts. The temporary name starts with a dot, which readers skip.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops.contract import CURRENT, SCHEMAS
from mlops.contract.reader import load_document
from mlops.contract.signals import Signals, rule_errors
from mlops.contract.timestamps import format_precise, require_aware
from mlops.contract.validate import validate
from mlops.core.atomic import locked, write_atomic, write_new

MAX_BYTES = 16 << 20
"""The largest file a writer reads back: the monitor's default ``files.max_bytes``."""

ATTEMPTS = 8
"""Writer ids drawn before giving up on a free name: two equal 32-bit ids at the same microsecond is
already a one-in-four-billion event, so a second failure means something else holds the names."""


class WindowWriter:
    """One production window of one model version, written once by :meth:`close`.

    ``start`` defaults to now; pass the window's real start when backfilling past windows.
    """

    def __init__(
        self, workspace: str | Path, *, model_name: str, model_version: str, start: datetime | None = None
    ) -> None:
        self.folder = Path(workspace) / "windows"
        self.model = {"name": model_name, "version": str(model_version)}
        self.signals = Signals()
        self.start = require_aware(start, "start") if start is not None else datetime.now(UTC)
        self.writer_id = secrets.token_hex(4)
        self.path: Path | None = None
        """Where :meth:`close` wrote the window; None until then."""
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
        """Write the window and return its path; a second call is refused (the window is written once).

        ``end`` defaults to now, and never to a time at or before ``start`` (a clock stepped back
        would otherwise write a window the monitor refuses); an explicit ``end`` must be after ``start``.
        """
        if self.path is not None:
            raise RuntimeError(f"this window was already written to {self.path}")
        start = require_aware(self.start, "start")
        if end is None:
            end = max(datetime.now(UTC), start + timedelta(microseconds=1))
        elif require_aware(end, "end") <= start:
            raise ValueError(f"the window would end ({format_precise(end)}) before it starts ({format_precise(start)})")
        doc = {
            "schema": "mlops.window",
            "schema_version": CURRENT["mlops.window"],
            "model": self.model,
            "window": {"start": format_precise(start), "end": format_precise(end)},
            "generated_at": format_precise(datetime.now(UTC)),
            "signals": self.signals.to_dict(),
        }
        text = json.dumps(doc, indent=1) + "\n"
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = format_precise(end).replace(":", "")
        for _ in range(ATTEMPTS):
            path = self.folder / f"{stem}-{self.writer_id}.json"
            try:
                write_new(path, text)
            except FileExistsError:
                self.writer_id = secrets.token_hex(4)  # another writer drew the same id: draw again
                continue
            self.path = path
            return path
        raise FileExistsError(f"{self.folder}: no free name for a window ending {format_precise(end)}")


def rewrite(
    path: Path, expect: str, change: Callable[[dict[str, Any] | None, str | None], dict[str, Any] | None]
) -> bool:
    """Read-modify-write one shared file (the alerts file, the baseline) under its lock.

    ``change(current, problem)`` gets the file's content (None when absent or unusable, and then
    ``problem`` says why, None when absent) and returns the new content, or None to leave the
    file as it is. The new content must meet its schema before it replaces anything: a producer
    never writes a file the monitor would refuse. Returns whether the file was written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        current: dict[str, Any] | None = None
        problem: str | None = None
        if path.exists() or path.is_symlink():
            doc = load_document(path, root=path.parent, shown=str(path), expect=expect, max_bytes=MAX_BYTES)
            if doc.valid:
                current = doc.data
            else:
                problem = doc.error or f"{path} does not match its schema: {'; '.join(doc.schema_errors[:3])}"
        new = change(current, problem)
        if new is None:
            return False
        schema = SCHEMAS[expect, CURRENT[expect]]  # writers write the current version, never an older one
        errors = validate(new, schema) or (rule_errors(new["signals"]) if "signals" in new else [])
        if errors:
            raise ValueError(
                f"{path}: not written, the new content breaks {expect} v{CURRENT[expect]}: {'; '.join(errors[:3])}"
            )
        write_atomic(path, json.dumps(new, indent=1) + "\n")
        return True

"""Regenerate the example workspace deterministically: ``python -m mlops.example.generate [DIR]``.

The committed files are its output; the example config pins ``as_of`` so the example keeps
judging the same snapshot however the calendar moves on.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops.contract.timestamps import format_timestamp
from mlops.core.atomic import write_atomic

MODEL = {"name": "shapes-detector", "version": "3"}
"""Version 3 is what mlruns/ (make_mlruns.py) registers and aliases @champion."""
RUN_ID = "aca30a5b17ac44a894bc7fc0d4b7a1c6"
"""The source run of version 3 in mlruns/ (models/shapes-detector/version-3/meta.yaml): MON310 compares them."""
CLASSES = ("circle", "square", "triangle")
CONF_EDGES = [round(i / 10, 1) for i in range(11)]
BOX_EDGES = [0, 1, 2, 3, 4, 6, 10, 100]
SIZE_EDGES = [0, 320, 480, 640, 960, 1280, 4096]
BRIGHT_EDGES = [0, 32, 64, 96, 128, 160, 192, 224, 256]
AS_OF = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)


def _hist(edges: Sequence[float], values: Sequence[float]) -> dict[str, Any]:
    counts = [0] * (len(edges) - 1)
    for v in values:
        for i in range(len(counts)):
            if edges[i] <= v < edges[i + 1] or (i == len(counts) - 1 and v == edges[-1]):
                counts[i] += 1
                break
    return {"edges": edges, "counts": counts}


def signals(rng: random.Random, images: int, *, brightness_shift: float = 0.0) -> dict[str, Any]:
    """Signals of ``images`` synthetic detections, shaped like what a YOLO detector reports."""
    boxes = [min(rng.choice((0, 1, 1, 2, 2, 3, 4, 5)), 99) for _ in range(images)]
    confidences = [min(max(rng.betavariate(5, 2), 0.0), 1.0) for _ in range(sum(boxes))]
    labels = [rng.choice(CLASSES) for _ in range(sum(boxes))]
    lat = sorted(rng.lognormvariate(3.0, 0.3) for _ in range(images))
    return {
        "images": images,
        "empty_images": boxes.count(0),
        "confidence": _hist(CONF_EDGES, confidences),
        "boxes_per_image": _hist(BOX_EDGES, boxes),
        "classes": {c: labels.count(c) for c in CLASSES},
        "input_width": _hist(SIZE_EDGES, [rng.choice((640, 640, 1280)) for _ in range(images)]),
        "input_height": _hist(SIZE_EDGES, [rng.choice((480, 480, 960)) for _ in range(images)]),
        "brightness": _hist(
            BRIGHT_EDGES, [min(max(rng.gauss(120 + brightness_shift, 30), 0), 255) for _ in range(images)]
        ),
        "latency_ms": {
            "n": images,
            **{f"p{q}": round(lat[min(images - 1, images * q // 100)], 2) for q in (50, 90, 99)},
        },
    }


stamp = format_timestamp


def window(end: datetime, signals: dict[str, Any]) -> dict[str, Any]:
    """A one-hour ``mlops.window`` document ending at ``end``, written a minute later."""
    return {
        "schema": "mlops.window",
        "schema_version": 1,
        "model": MODEL,
        "window": {"start": stamp(end - timedelta(hours=1)), "end": stamp(end)},
        "generated_at": stamp(end + timedelta(minutes=1)),
        "signals": signals,
    }


def generate(root: Path) -> None:
    rng = random.Random(20261120)
    (root / "windows").mkdir(parents=True, exist_ok=True)
    baseline = {
        "schema": "mlops.baseline",
        "schema_version": 1,
        "model": {**MODEL, "run_id": RUN_ID},
        "created_at": stamp(datetime(2026, 10, 9, 9, 30, tzinfo=UTC)),  # after the run behind version 3
        "dataset": "synthetic-shapes/val",
        "signals": signals(rng, 400),
    }
    write_atomic(root / "baseline.json", json.dumps(baseline, indent=1) + "\n")
    for hour in range(6):
        end = AS_OF.replace(minute=0) - timedelta(hours=5 - hour)
        doc = window(end, signals(rng, 240 + 20 * hour, brightness_shift=2.0 * hour))
        write_atomic(root / "windows" / f"{stamp(end).replace(':', '')}.json", json.dumps(doc, indent=1) + "\n")
    alerts = {
        "schema": "mlops.alerts",
        "schema_version": 1,
        "generated_at": stamp(AS_OF - timedelta(minutes=50)),
        "model": MODEL,
        "alerts": [
            {
                "id": "lat-0412",
                "raised_at": stamp(AS_OF - timedelta(days=3)),
                "severity": "critical",
                "title": "serving down for 4 minutes (resolved)",
                "source": "serving",
            },
            {
                "id": "lat-0419",
                "raised_at": stamp(AS_OF - timedelta(hours=3, minutes=50)),
                "severity": "warning",
                "title": "p99 latency above 250 ms for 10 minutes",
                "source": "serving",
            },
            {
                "id": "cfg-0007",
                "raised_at": stamp(AS_OF - timedelta(hours=1)),
                "severity": "info",
                "title": "confidence threshold changed from 0.25 to 0.3",
                "source": "deploy",
            },
        ],
    }
    write_atomic(root / "alerts.json", json.dumps(alerts, indent=1) + "\n")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("workspace"))

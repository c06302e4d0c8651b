"""Write a monitoring workspace of N window files of about 10 KB each, for the scale rows.

``python -m benchmarks.scale DIR N`` writes ``DIR/baseline.json``, ``DIR/alerts.json`` and
``DIR/windows/*.json`` (one window every five minutes, the cadence of a serving replica's writer, the
newest ending at ``AS_OF``, the run's as-of) plus ``DIR/monitor.yaml``. Names are the writer's
``YYYY-MM-DDTHHMMSSZ.json``: they sort as the windows' ends do, which a recent-only run relies on.
A window is the size a real detector's would be with fine bins: 100 confidence bins, 256 brightness
bins and the 80 COCO class names, ``indent=1`` as :class:`~mlops.contract.writer.WindowWriter` writes.
Counts come from a pool of 50 deterministic variants and the image count varies per window, so
no two neighbouring files are alike and 100,000 of them are written in seconds.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mlops.contract.timestamps import format_timestamp
from mlops.example.generate import AS_OF, MODEL, window

CONF_EDGES = [round(i / 100, 2) for i in range(101)]
BRIGHT_EDGES = list(range(257))
BOX_EDGES = [0, 1, 2, 3, 4, 6, 10, 100]
SIZE_EDGES = [0, 320, 480, 640, 960, 1280, 4096]
CLASSES = [f"coco-class-{i:02d}" for i in range(80)]
EVERY = timedelta(minutes=5)
"""The cadence of the windows: a day is 288 of them, 100,000 about a year."""


def _signals(rng: random.Random, images: int, shift: int) -> dict[str, Any]:
    def hist(edges: list[Any], peak: int, spread: int, total: int) -> dict[str, Any]:
        bins = len(edges) - 1
        counts = [0] * bins
        for _ in range(min(total, 400)):  # a few hundred draws give a realistic shape quickly
            counts[min(max(int(rng.gauss(peak, spread)), 0), bins - 1)] += max(total // 400, 1)
        return {"edges": edges, "counts": counts}

    return {
        "images": images,
        "empty_images": images // 7,
        "confidence": hist(CONF_EDGES, 70, 12, images * 2),
        "boxes_per_image": hist(BOX_EDGES, 2, 1, images),
        "classes": {name: rng.randrange(0, 50) for name in CLASSES},
        "input_width": hist(SIZE_EDGES, 3, 1, images),
        "input_height": hist(SIZE_EDGES, 2, 1, images),
        "brightness": hist(BRIGHT_EDGES, 120 + shift, 30, images),
        "latency_ms": {"n": images, "p50": 20.5, "p90": 29.7, "p99": 38.6},
    }


def window_files(windows: int, *, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each window file, newest first: the newest ends at ``AS_OF``."""
    rng = random.Random(seed + 1)
    pool = [_signals(rng, 300 + variant, variant % 5) for variant in range(50)]
    for index in range(windows):
        stop = AS_OF - EVERY * index
        doc = window(stop, dict(pool[index % len(pool)], images=300 + index % 97))
        doc["window"]["start"] = format_timestamp(stop - EVERY)
        doc["generated_at"] = format_timestamp(stop)  # written as it closes: never after the run's as-of
        yield f"{_name(stop)}.json", (json.dumps(doc, indent=1) + "\n").encode()


def _name(moment: datetime) -> str:
    return format_timestamp(moment).replace(":", "")


def write_workspace(root: Path, windows: int, *, seed: int = 0) -> Path:
    """Write the workspace and its ``monitor.yaml``; return the config's path."""
    rng = random.Random(seed)
    folder = root / "windows"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = format_timestamp
    baseline = {
        "schema": "mlops.baseline",
        "schema_version": 1,
        "model": MODEL,
        "created_at": stamp(AS_OF - EVERY * (windows + 1)),
        "dataset": "scale/val",
        "signals": _signals(rng, 4000, 0),
    }
    (root / "baseline.json").write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")
    alerts = {"schema": "mlops.alerts", "schema_version": 1, "generated_at": stamp(AS_OF), "model": MODEL, "alerts": []}
    (root / "alerts.json").write_text(json.dumps(alerts, indent=1) + "\n", encoding="utf-8")
    for name, data in window_files(windows, seed=seed):
        (folder / name).write_bytes(data)
    config = root / "monitor.yaml"
    config.write_text(f"workspace: .\nas_of: '{stamp(AS_OF)}'\nmlflow:\n  tracking_uri: null\n", encoding="utf-8")
    return config


if __name__ == "__main__":
    write_workspace(Path(sys.argv[1]), int(sys.argv[2]))

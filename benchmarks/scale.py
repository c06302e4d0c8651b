"""Write a monitoring workspace of N window files of about 10 KB each, for the scale rows.

``python -m benchmarks.scale DIR N`` writes ``DIR/baseline.json``, ``DIR/alerts.json`` and
``DIR/windows/*.json`` (one window an hour, the newest ending at ``AS_OF``) plus ``DIR/monitor.yaml``.
A window is the size a real detector's would be with fine bins: 100 confidence bins, 256 brightness
bins and the 80 COCO class names, ``indent=1`` as :class:`~mlops.contract.writer.WindowWriter` writes.
Counts come from a pool of 50 deterministic variants and the image count varies per window, so
no two neighbouring files are alike and 100,000 of them are written in seconds.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from mlops.contract.timestamps import format_timestamp
from mlops.example.generate import AS_OF, MODEL, window

CONF_EDGES = [round(i / 100, 2) for i in range(101)]
BRIGHT_EDGES = list(range(257))
BOX_EDGES = [0, 1, 2, 3, 4, 6, 10, 100]
SIZE_EDGES = [0, 320, 480, 640, 960, 1280, 4096]
CLASSES = [f"coco-class-{i:02d}" for i in range(80)]


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
        "created_at": stamp(AS_OF - timedelta(hours=windows + 1)),
        "dataset": "scale/val",
        "signals": _signals(rng, 4000, 0),
    }
    (root / "baseline.json").write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")
    alerts = {"schema": "mlops.alerts", "schema_version": 1, "generated_at": stamp(AS_OF), "model": MODEL, "alerts": []}
    (root / "alerts.json").write_text(json.dumps(alerts, indent=1) + "\n", encoding="utf-8")
    end = AS_OF.replace(minute=0)
    pool = [_signals(rng, 300 + variant, variant % 5) for variant in range(50)]
    for index in range(windows):
        stop = end - timedelta(hours=index)
        signals = dict(pool[index % len(pool)], images=300 + index % 97)
        doc = window(stop, signals)
        name = f"{stamp(stop).replace(':', '')}.json"
        (folder / name).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    config = root / "monitor.yaml"
    config.write_text(f"workspace: .\nas_of: '{stamp(AS_OF)}'\nmlflow:\n  tracking_uri: null\n", encoding="utf-8")
    return config


if __name__ == "__main__":
    write_workspace(Path(sys.argv[1]), int(sys.argv[2]))

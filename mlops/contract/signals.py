"""Accumulate a detector's signals into the contract's pre-aggregated form, standard library only.

Producers (a serving loop, training's baseline, the observe job) call :meth:`Signals.add` once
per image, then :meth:`Signals.to_dict` gives the ``signals`` object of a window or baseline
file. Bin edges are fixed here so that every window and its baseline share them.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONFIDENCE_EDGES = tuple(round(i / 10, 1) for i in range(11))
BOXES_EDGES = (0, 1, 2, 3, 4, 6, 10, 100)
SIZE_EDGES = (0, 320, 480, 640, 960, 1280, 4096)
BRIGHTNESS_EDGES = (0, 32, 64, 96, 128, 160, 192, 224, 256)


def bin_index(edges: Sequence[float], value: float) -> int:
    """The bin of ``value``: [e_i, e_i+1), the last bin closed; out-of-range values go to the end bins."""
    return min(max(bisect.bisect_right(edges, value) - 1, 0), len(edges) - 2)


@dataclass
class Histogram:
    edges: tuple[float, ...]
    counts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counts = self.counts or [0] * (len(self.edges) - 1)

    def add(self, value: float) -> None:
        self.counts[bin_index(self.edges, value)] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"edges": list(self.edges), "counts": list(self.counts)}


@dataclass
class Signals:
    """One window's (or the validation set's) detector signals."""

    images: int = 0
    empty_images: int = 0
    confidence: Histogram = field(default_factory=lambda: Histogram(CONFIDENCE_EDGES))
    boxes_per_image: Histogram = field(default_factory=lambda: Histogram(BOXES_EDGES))
    classes: Counter[str] = field(default_factory=Counter)
    input_width: Histogram = field(default_factory=lambda: Histogram(SIZE_EDGES))
    input_height: Histogram = field(default_factory=lambda: Histogram(SIZE_EDGES))
    brightness: Histogram = field(default_factory=lambda: Histogram(BRIGHTNESS_EDGES))
    latencies: list[float] = field(default_factory=list)

    def add(
        self,
        *,
        width: int,
        height: int,
        brightness: float,
        detections: Iterable[tuple[str, float]],
        latency_ms: float,
    ) -> None:
        """Count one image: its size, mean brightness (0-255), (class name, confidence) per box, latency."""
        found = list(detections)
        self.images += 1
        self.empty_images += not found
        self.boxes_per_image.add(len(found))
        for name, confidence in found:
            self.classes[name] += 1
            self.confidence.add(confidence)
        self.input_width.add(width)
        self.input_height.add(height)
        self.brightness.add(brightness)
        self.latencies.append(latency_ms)

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def percentile(q: int) -> float:
            return round(ordered[min(len(ordered) - 1, len(ordered) * q // 100)], 3) if ordered else 0.0

        return {
            "images": self.images,
            "empty_images": self.empty_images,
            "confidence": self.confidence.to_dict(),
            "boxes_per_image": self.boxes_per_image.to_dict(),
            "classes": dict(sorted(self.classes.items())),
            "input_width": self.input_width.to_dict(),
            "input_height": self.input_height.to_dict(),
            "brightness": self.brightness.to_dict(),
            "latency_ms": {"n": len(ordered), "p50": percentile(50), "p90": percentile(90), "p99": percentile(99)},
        }


HISTOGRAMS = ("confidence", "boxes_per_image", "brightness", "input_width", "input_height")
"""The histogram signals, in the order the drift checks report them."""


def rule_errors(signals: Mapping[str, Any]) -> list[str]:
    """What the contract says in words and JSON Schema cannot check, on schema-valid ``signals``.

    A histogram has one more edge than counts, in increasing order; no more images are empty than
    were seen. Each message starts with the JSON pointer concerned, as the schema errors do.
    """
    errors: list[str] = []
    for key in HISTOGRAMS:
        if key not in signals:
            continue
        edges, counts = signals[key]["edges"], signals[key]["counts"]
        if len(edges) != len(counts) + 1:
            errors.append(f"/signals/{key}: {len(edges)} edges for {len(counts)} counts, len(counts) + 1 expected")
        if any(low >= high for low, high in itertools.pairwise(edges)):
            errors.append(f"/signals/{key}/edges: not in increasing order")
    if signals["empty_images"] > signals["images"]:
        errors.append(f"/signals/empty_images: {signals['empty_images']} is more than the {signals['images']} images")
    return errors

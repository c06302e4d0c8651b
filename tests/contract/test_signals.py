"""The producers' accumulator: counts land in the right bins and the output matches the contract."""

from __future__ import annotations

from mlops.contract.signals import BOXES_EDGES, CONFIDENCE_EDGES, Signals, bin_index
from mlops.contract.validate import validate


def test_bins_are_half_open_and_the_last_is_closed() -> None:
    assert bin_index(CONFIDENCE_EDGES, 0.0) == 0
    assert bin_index(CONFIDENCE_EDGES, 0.1) == 1
    assert bin_index(CONFIDENCE_EDGES, 1.0) == 9
    assert bin_index(CONFIDENCE_EDGES, 1.5) == 9 and bin_index(CONFIDENCE_EDGES, -1) == 0
    assert bin_index(BOXES_EDGES, 5) == 4


def test_accumulated_signals_are_valid_contract_data() -> None:
    s = Signals()
    s.add(width=640, height=480, brightness=120.0, detections=[("circle", 0.91), ("square", 0.42)], latency_ms=12.5)
    s.add(width=640, height=480, brightness=30.0, detections=[], latency_ms=30.0)
    doc = s.to_dict()
    assert doc["images"] == 2 and doc["empty_images"] == 1
    assert doc["classes"] == {"circle": 1, "square": 1}
    assert sum(doc["confidence"]["counts"]) == 2 and doc["confidence"]["counts"][9] == 1
    assert doc["boxes_per_image"]["counts"][:3] == [1, 0, 1]
    assert doc["latency_ms"] == {"n": 2, "p50": 30.0, "p90": 30.0, "p99": 30.0}
    window = {
        "schema": "mlops.window", "schema_version": 1, "model": {"name": "m", "version": "1"},
        "window": {"start": "2026-11-20T10:00:00Z", "end": "2026-11-20T11:00:00Z"},
        "generated_at": "2026-11-20T11:00:05Z", "signals": doc,
    }  # fmt: skip
    assert validate(window, "window.v1") == []

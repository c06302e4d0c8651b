"""A small synthetic detection dataset, made here and now: no download, no weights, no numpy.

Coloured circles, squares and triangles on a noisy background, written as PNG with the standard
library and labelled in Ultralytics' YOLO format. The same seed gives the same bytes. ``shift``
makes production-like images that drift (brighter, larger objects) for the observe job.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

CLASSES = ("circle", "square", "triangle")
COLOURS = ((220, 60, 60), (60, 170, 80), (70, 90, 220))


@dataclass(frozen=True)
class Box:
    cls: int
    cx: float
    cy: float
    w: float
    h: float

    def label(self) -> str:
        return f"{self.cls} {self.cx:.6f} {self.cy:.6f} {self.w:.6f} {self.h:.6f}"


def png_bytes(width: int, height: int, rgb: bytearray) -> bytes:
    """An 8-bit RGB PNG: signature, IHDR, one IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[y * stride : (y + 1) * stride]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def render(rng: random.Random, size: int, *, brightness: int = 0, scale: float = 1.0) -> tuple[bytearray, list[Box]]:
    """One image and its boxes; objects do not overlap much, and never leave the frame."""
    base = 90 + brightness
    rgb = bytearray(min(max(base + rng.randint(-12, 12), 0), 255) for _ in range(size * size * 3))
    boxes: list[Box] = []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        cls = rng.randrange(len(CLASSES))
        half = max(3, int(rng.uniform(0.10, 0.22) * size * scale / 2))
        cx, cy = rng.randint(half, size - half - 1), rng.randint(half, size - half - 1)
        colour = tuple(min(c + brightness, 255) for c in COLOURS[cls])
        for y in range(cy - half, cy + half + 1):
            for x in range(cx - half, cx + half + 1):
                dx, dy = x - cx, y - cy
                inside = (
                    dx * dx + dy * dy <= half * half
                    if cls == 0
                    else True
                    if cls == 1
                    else (dy + half) >= 2 * abs(dx)  # a triangle pointing up
                )
                if inside:
                    i = (y * size + x) * 3
                    rgb[i : i + 3] = bytes(colour)
        side = 2 * half + 1
        boxes.append(Box(cls, (cx + 0.5) / size, (cy + 0.5) / size, side / size, side / size))  # pixel centres
    return rgb, boxes


def generate(
    root: Path, *, train: int = 16, val: int = 8, size: int = 64, seed: int = 0, brightness: int = 0, scale: float = 1.0
) -> Path:
    """Write ``images/{train,val}``, ``labels/{train,val}`` and ``data.yaml`` under ``root``; return data.yaml."""
    rng = random.Random(seed)
    for split, count in (("train", train), ("val", val)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            rgb, boxes = render(rng, size, brightness=brightness, scale=scale)
            name = f"{split}_{index:04d}"
            (root / "images" / split / f"{name}.png").write_bytes(png_bytes(size, size, rgb))
            (root / "labels" / split / f"{name}.txt").write_text("".join(b.label() + "\n" for b in boxes))
    names = "\n".join(f"  {i}: {name}" for i, name in enumerate(CLASSES))
    data = root / "data.yaml"
    data.write_text(f"path: {root.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    return data

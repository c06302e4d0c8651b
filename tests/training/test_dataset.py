"""The synthetic dataset: deterministic, valid PNG, labels inside the frame and the classes. No torch needed."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import yaml

from mlops.training.dataset import CLASSES, generate


def read_png(path: Path) -> tuple[int, int, bytes]:
    """Decode the subset of PNG the generator writes: checks every chunk's CRC on the way."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
            assert body[8:10] == b"\x08\x02"  # 8-bit RGB
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height = size
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + 3 * width)
    return width, height, raw


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = (generate(tmp_path / n, seed=s, train=4, val=2) for n, s in (("a", 1), ("b", 1), ("c", 2)))
    files = sorted(p.relative_to(a.parent) for p in a.parent.rglob("*") if p.is_file() and p.name != "data.yaml")
    assert files
    assert all((a.parent / f).read_bytes() == (b.parent / f).read_bytes() for f in files)
    assert any((a.parent / f).read_bytes() != (c.parent / f).read_bytes() for f in files)


def test_images_decode_and_labels_stay_in_frame(tmp_path: Path) -> None:
    data = generate(tmp_path / "ds", train=12, val=6, size=48)
    spec = yaml.safe_load(data.read_text())
    assert spec["names"] == dict(enumerate(CLASSES))
    boxes = 0
    for split in ("train", "val"):
        images = sorted((tmp_path / "ds" / "images" / split).glob("*.png"))
        assert len(images) == {"train": 12, "val": 6}[split]
        for image in images:
            assert read_png(image)[:2] == (48, 48)
            label = tmp_path / "ds" / "labels" / split / f"{image.stem}.txt"
            for line in label.read_text().splitlines():
                cls, cx, cy, w, h = line.split()
                assert 0 <= int(cls) < len(CLASSES)
                eps = 1e-5  # labels carry six decimals
                assert float(cx) - float(w) / 2 >= -eps and float(cx) + float(w) / 2 <= 1 + eps
                assert float(cy) - float(h) / 2 >= -eps and float(cy) + float(h) / 2 <= 1 + eps
                boxes += 1
    assert boxes > 0


def test_shifted_images_are_brighter(tmp_path: Path) -> None:
    def mean(root: Path) -> float:
        values = [sum(read_png(p)[2]) / len(read_png(p)[2]) for p in sorted(root.rglob("*.png"))]
        return sum(values) / len(values)

    generate(tmp_path / "base", train=3, val=3)
    generate(tmp_path / "shift", train=3, val=3, brightness=60)
    assert mean(tmp_path / "shift") > mean(tmp_path / "base") + 30

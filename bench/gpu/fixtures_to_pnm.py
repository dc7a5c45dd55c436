#!/usr/bin/env python3
"""Copies the SAM3 parity fixtures (tests/data/sam3/<config>) to OUT/<config>
and writes FILE.ppm (RGB) / FILE.pgm (masks) beside every FILE.png, for
samlabel-gpu-check, which runs on the GPU machine without an image decoder.

Usage: fixtures_to_pnm.py FIXTURE_DIR [FIXTURE_DIR ...] OUT
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PIL import Image


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[-1])
    for src in map(Path, sys.argv[1:-1]):
        dst = out / src.name
        shutil.copytree(src, dst, dirs_exist_ok=True)
        for png in dst.glob("*.png"):
            image = Image.open(png)
            if ".mask" in png.name:
                image.convert("L").save(png.with_suffix(".pgm"))
            else:
                image.convert("RGB").save(png.with_suffix(".ppm"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

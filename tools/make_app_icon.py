#!/usr/bin/env python3
"""Draws samlabel's application icon: a polygon annotation with its vertices
over a blue tile. Writes resources/icons/samlabel.png (256 px, Linux .desktop)
and samlabel.ico (16-256 px, the Windows .rc). Deterministic; run with the
project venv's Python (Pillow): python tools/make_app_icon.py"""
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 1024  # drawn large, then downsampled for smooth edges
out = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw() -> Image.Image:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    d.rounded_rectangle((40, 40, SIZE - 40, SIZE - 40), radius=180, fill=(32, 94, 186, 255))
    # A segmented object: filled translucent mask, outline, vertex handles.
    polygon = [(250, 700), (330, 330), (560, 240), (790, 400), (760, 730), (480, 810)]
    d.polygon(polygon, fill=(120, 220, 140, 150))
    d.line(polygon + [polygon[0]], fill=(255, 255, 255, 255), width=34, joint="curve")
    for x, y in polygon:
        d.ellipse((x - 44, y - 44, x + 44, y + 44), fill=(255, 255, 255, 255), outline=(32, 94, 186, 255), width=14)
    # The click that made it.
    d.ellipse((500, 470, 580, 550), fill=(255, 196, 40, 255))
    return image


def main() -> None:
    out.mkdir(parents=True, exist_ok=True)
    big = draw()
    big.resize((256, 256), Image.LANCZOS).save(out / "samlabel.png", optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(out / "samlabel.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])


if __name__ == "__main__":
    main()

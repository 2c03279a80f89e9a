"""Draw the demo's sample photos (``python -m bot.demo_assets.make_samples``); the JPEGs are committed beside it.

Flat, stylised street scenes: enough for a person to tell a poster-covered wall from a clean one at chat size.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).parent
SIZE = (640, 480)
Scene = Callable[[ImageDraw.ImageDraw, random.Random], None]


def _sky_and_ground(draw: ImageDraw.ImageDraw, horizon: int, ground: str = "#9a9a94") -> None:
    for y in range(horizon):
        shade = 200 + int(40 * y / horizon)
        draw.line([(0, y), (SIZE[0], y)], fill=(shade - 40, shade - 10, 255))
    draw.rectangle([0, horizon, SIZE[0], SIZE[1]], fill=ground)
    for x in range(-200, SIZE[0], 90):  # paving joints in perspective
        draw.line([(x + 200, horizon), (x * 1.6, SIZE[1])], fill="#85857f", width=2)


def _wall(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle([0, 0, SIZE[0], 360], fill="#8d8f94")
    for row, y in enumerate(range(0, 360, 24)):  # grey hutong bricks
        offset = 0 if row % 2 else 30
        for x in range(-offset, SIZE[0], 60):
            draw.rectangle([x + 2, y + 2, x + 58, y + 22], fill="#9a9ca1", outline="#7d7f84")
    draw.rectangle([0, 360, SIZE[0], SIZE[1]], fill="#a3a39c")
    draw.rectangle([40, 60, 150, 330], fill="#7a2e26", outline="#4d1c17", width=4)  # a red door


def posters(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """A hutong wall covered in small ads (牛皮癣)."""
    _wall(draw)
    for _ in range(34):
        x, y = rng.randint(170, 590), rng.randint(40, 300)
        w, h = rng.randint(40, 80), rng.randint(50, 90)
        paper = rng.choice(["#fbfbf2", "#fff4a8", "#ffd6d6", "#d9f0ff", "#ffffff"])
        draw.rectangle([x, y, x + w, y + h], fill=paper, outline="#777", width=1)
        for line in range(y + 8, y + h - 6, 9):
            ink = rng.choice(["#c0392b", "#222"])
            draw.line([(x + 5, line), (x + w - rng.randint(6, 20), line)], fill=ink, width=3)


def clean_wall(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """The same wall after cleaning."""
    _wall(draw)
    for _ in range(5):  # faint marks where the posters were
        x, y = rng.randint(180, 560), rng.randint(50, 280)
        draw.rectangle([x, y, x + 50, y + 60], outline="#a4a6ab", width=1)


def litter(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """An overflowing bin with bags around it (暴露垃圾)."""
    _sky_and_ground(draw, 200)
    draw.rectangle([0, 60, SIZE[0], 200], fill="#b8a58c")
    draw.rectangle([250, 210, 390, 400], fill="#2f7d4a", outline="#1d5330", width=4)
    draw.rectangle([240, 196, 400, 222], fill="#256b3c")
    for _ in range(16):
        x, y, r = rng.randint(150, 500), rng.randint(330, 450), rng.randint(22, 45)
        draw.ellipse([x - r, y - r, x + r, y + r * 0.8], fill=rng.choice(["#222", "#3b3b3b", "#e6e6e6", "#4a6fa5"]))
    for _ in range(25):
        x, y = rng.randint(60, 600), rng.randint(380, 470)
        colour = rng.choice(["#f1c40f", "#eee", "#c0392b"])
        draw.rectangle([x, y, x + rng.randint(8, 22), y + rng.randint(5, 12)], fill=colour)


def bikes(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """Shared bikes dumped across the pavement (非机动车乱停放)."""
    _sky_and_ground(draw, 180)
    draw.rectangle([0, 40, SIZE[0], 180], fill="#c9b79c")
    draw.rectangle([0, 380, SIZE[0], 400], fill="#f1c40f")  # the tactile paving they block
    for i in range(6):
        cx, cy = 90 + i * 95 + rng.randint(-20, 20), 330 + rng.randint(-40, 60)
        colour = rng.choice(["#f39c12", "#f1c40f", "#3498db", "#27ae60"])
        tilt = rng.randint(-25, 25)
        for dx, dy in ((-45, 0), (45, tilt)):
            draw.ellipse([cx + dx - 30, cy + dy - 30, cx + dx + 30, cy + dy + 30], outline="#222", width=6)
        draw.line([(cx - 45, cy), (cx, cy - 40 + tilt // 2), (cx + 45, cy + tilt)], fill=colour, width=9)
        draw.line([(cx, cy - 40 + tilt // 2), (cx - 10, cy - 70)], fill="#333", width=6)


def clean_street(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """A tidy pavement with bikes parked in their bay."""
    _sky_and_ground(draw, 180)
    draw.rectangle([0, 40, SIZE[0], 180], fill="#c9b79c")
    draw.rectangle([0, 380, SIZE[0], 400], fill="#f1c40f")
    draw.rectangle([60, 230, 600, 300], outline="#ffffff", width=4)
    for i in range(7):
        x = 95 + i * 75
        draw.line([(x, 235), (x, 295)], fill="#f39c12", width=10)
        draw.ellipse([x - 14, 280, x + 14, 308], outline="#222", width=4)


def debris(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """Building materials piled on the street (乱堆物堆料)."""
    _sky_and_ground(draw, 190)
    draw.rectangle([0, 50, SIZE[0], 190], fill="#a9a9b3")
    draw.polygon([(120, 440), (300, 250), (470, 440)], fill="#c8a165")  # sand
    for _ in range(40):
        x, y = rng.randint(330, 600), rng.randint(300, 450)
        draw.rectangle([x, y, x + 34, y + 14], fill="#b5523b", outline="#7e3526")
    for i in range(5):
        draw.line([(40 + i * 12, 460), (260 + i * 12, 330)], fill="#8e8e8e", width=7)


SCENES: dict[str, Scene] = {
    "posters": posters,
    "litter": litter,
    "bikes": bikes,
    "debris": debris,
    "clean_wall": clean_wall,
    "clean_street": clean_street,
}


def main() -> None:
    """Write every scene as a small JPEG next to this file."""
    for name, scene in SCENES.items():
        image = Image.new("RGB", SIZE, "white")
        scene(ImageDraw.Draw(image), random.Random(name))
        image = image.filter(ImageFilter.GaussianBlur(0.6))  # soften the vector look a little
        image.save(HERE / f"{name}.jpg", format="JPEG", quality=78, optimize=True)


if __name__ == "__main__":
    main()

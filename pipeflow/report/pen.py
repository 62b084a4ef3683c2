"""Pillow drawing for `picture.png()`: lines, dashes, arrow heads, boxes and text in picture
coordinates, scaled to pixels."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont


class Pen:
    """Pillow drawing in picture coordinates (multiplied by `scale`)."""

    def __init__(self, draw: ImageDraw.ImageDraw, scale: float) -> None:
        self.draw = draw
        self.scale = scale
        self.fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def _xy(self, point: tuple[float, float]) -> tuple[float, float]:
        return point[0] * self.scale, point[1] * self.scale

    def font(self, size: int) -> Any:
        from PIL import ImageFont

        key = size
        if key not in self.fonts:
            self.fonts[key] = ImageFont.load_default(size=size * self.scale)
        return self.fonts[key]

    def text(
        self,
        point: tuple[float, float],
        text: str,
        size: int,
        colour: str,
        *,
        anchor: str = "start",
    ) -> None:
        # Baseline anchors as in SVG: "ls" left-baseline, "ms" middle-baseline.
        where = "ms" if anchor == "middle" else "ls"
        font = self.font(size)
        try:
            self.draw.text(
                self._xy(point),
                text,
                fill=colour,
                font=font,
                anchor=where,
            )
        except ValueError:  # a bitmap font (Pillow without FreeType) takes no anchor
            x, y = self._xy(point)
            self.draw.text((x, y - size * self.scale), text, fill=colour, font=font)

    def box(
        self, rect: tuple[float, float, float, float], radius: float, fill: str, stroke: str
    ) -> None:
        x, y, width, height = (value * self.scale for value in rect)
        self.draw.rounded_rectangle(
            (x, y, x + width, y + height),
            radius=radius * self.scale,
            fill=fill,
            outline=stroke,
            width=max(1, round(1.5 * self.scale)),
        )

    def line(self, points: list[tuple[float, float]], colour: str, *, dashed: bool) -> None:
        scaled = [self._xy(point) for point in points]
        width = max(1, round(1.4 * self.scale))
        if not dashed:
            self.draw.line(scaled, fill=colour, width=width, joint="curve")
            return
        for piece in _dashes(scaled, 5 * self.scale, 4 * self.scale):
            self.draw.line(piece, fill=colour, width=width)

    def arrow_head(self, tip: tuple[float, float], colour: str) -> None:
        x, y = self._xy(tip)
        length, half = 8 * self.scale, 4 * self.scale
        self.draw.polygon([(x, y), (x - length, y - half), (x - length, y + half)], fill=colour)


def _dashes(
    points: list[tuple[float, float]], on: float, off: float
) -> Iterator[list[tuple[float, float]]]:
    """A polyline cut into dashes `on` long with gaps `off` long."""
    drawing, left = True, on
    current = [points[0]]
    for (x0, y0), (x1, y1) in pairwise(points):
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        done = 0.0
        while length - done > left:
            done += left
            t = done / length
            point = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if drawing:
                current.append(point)
                yield current
            current = [point]
            drawing = not drawing
            left = on if drawing else off
        left -= length - done
        if drawing:
            current.append((x1, y1))
        else:
            current = [(x1, y1)]
    if drawing and len(current) > 1:
        yield current

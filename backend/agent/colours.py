"""Plain colour words for a shot's dominant colours, so "a red shot" is searchable."""

from __future__ import annotations

import colorsys
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.visual import Color

MIN_FRACTION = 0.2  # a colour covering less of the frame does not describe the shot

# Hue bands in degrees, as people name them.
_HUES = (
    (15, "red"),
    (45, "orange"),
    (70, "yellow"),
    (160, "green"),
    (200, "cyan"),
    (260, "blue"),
    (290, "purple"),
    (335, "pink"),
    (360, "red"),
)


def colour_name(hex_colour: str) -> str:
    """The everyday name of an `#rrggbb` colour."""
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    if light < 0.12:
        return "black"
    if light > 0.9:
        return "white"
    if sat < 0.18:
        return "grey"
    degrees = hue * 360
    return next(name for limit, name in _HUES if degrees < limit)


def colour_words(colors: Iterable[Color], brightness: float | None) -> list[str]:
    """Names of the colours that cover a good part of the frame, plus dark/bright."""
    names: list[str] = []
    for colour in colors:
        if colour.fraction >= MIN_FRACTION:
            name = colour_name(colour.hex)
            if name not in names:
                names.append(name)
    if brightness is not None:
        if brightness < 0.2:
            names.append("dark")
        elif brightness > 0.8:
            names.append("bright")
    return names

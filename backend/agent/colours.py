"""Plain colour words for a shot's dominant colours, so "a red shot" is searchable."""

from __future__ import annotations

import colorsys
from collections.abc import Iterable
from typing import Any

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


def _entries(colors: Iterable[Any]) -> Iterable[tuple[str, float]]:
    for c in colors or ():
        if isinstance(c, dict):
            yield c.get("hex") or c.get("color") or "#000000", float(c.get("fraction", 1.0))
        elif isinstance(c, (tuple, list)):
            yield str(c[0]), float(c[1]) if len(c) > 1 else 1.0
        else:
            yield str(c), 1.0


def colour_words(colors: Iterable[Any], brightness: float | None) -> list[str]:
    """Names of the colours that cover a good part of the frame, plus dark/bright."""
    names: list[str] = []
    for hex_colour, fraction in _entries(colors):
        if fraction >= MIN_FRACTION:
            name = colour_name(hex_colour)
            if name not in names:
                names.append(name)
    if brightness is not None:
        if brightness < 0.2:
            names.append("dark")
        elif brightness > 0.8:
            names.append("bright")
    return names

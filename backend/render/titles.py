"""Generated pictures: titles (drawtext) and solid colours, from a GeneratorReference's
parameters."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from render.graph import escape_value

# Debian's fonts-dejavu-core, installed with ffmpeg's drawtext dependencies.
DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_COLOR = re.compile(r"^#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")
_MARGIN = Fraction(1, 20)  # of the picture height, between a corner title and the edges


@lru_cache(maxsize=64)
def font_file(family: str | None) -> str:
    """The font file fontconfig picks for a family name (DejaVu Sans when none matches)."""
    if not family:
        return DEFAULT_FONT
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", family],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return DEFAULT_FONT
    return found if found and Path(found).is_file() else DEFAULT_FONT


def parse_color(value: Any, default: str, warn: Callable[[str], None]) -> tuple[str, int]:
    """('0xRRGGBB', alpha 0-255) from '#RRGGBB' or '#RRGGBBAA'."""
    match = _COLOR.match(value) if isinstance(value, str) else None
    if match is None:
        if value is not None:
            warn(f"colour {value!r} is not #RRGGBB or #RRGGBBAA; using {default}")
        match = _COLOR.match(default)
        assert match is not None
    alpha = int(match.group(2), 16) if match.group(2) else 255
    return "0x" + match.group(1).upper(), alpha


def ffmpeg_color(rgb: str, alpha: int | float) -> str:
    """An ffmpeg colour with alpha: '0xRRGGBB@0.5' (alpha 0-255)."""
    return f"{rgb}@{alpha / 255:.4f}"


def solid_rgb(params: Mapping[str, Any], warn: Callable[[str], None]) -> tuple[str, int]:
    """A solid's colour and alpha."""
    return parse_color(params.get("color"), "#000000", warn)


def _position(name: Any, margin: int) -> tuple[str, str]:
    x = {"left": str(margin), "right": f"w-text_w-{margin}"}
    y = {"top": str(margin), "bottom": f"h-text_h-{margin}"}
    if name == "center" or not isinstance(name, str):
        return "(w-text_w)/2", "(h-text_h)/2"
    vertical, _, horizontal = name.partition("_")
    return x.get(horizontal, "(w-text_w)/2"), y.get(vertical, "(h-text_h)/2")


def drawtext(
    params: Mapping[str, Any],
    *,
    height: int,
    scale: Fraction,
    warn: Callable[[str], None],
    alpha: str | None = None,
    enable: str | None = None,
) -> str | None:
    """The drawtext filter for a title (None when it has no text). `scale` is the output
    height over the timeline height; `alpha` and `enable` are expressions."""
    text = params.get("text")
    if not isinstance(text, str) or not text:
        return None
    size = params.get("font_size", 64)
    size = size if isinstance(size, int | float) and size > 0 else 64
    pixels = max(1, round(Fraction(size) * scale))
    rgb, a = parse_color(params.get("color"), "#FFFFFF", warn)
    family = params.get("font")
    x, y = _position(params.get("position", "center"), round(height * _MARGIN))
    options = [
        ("fontfile", font_file(family if isinstance(family, str) else None)),
        ("expansion", "none"),  # no %{...} expansion: the text is shown as typed
        ("text", text),
        ("fontsize", str(pixels)),
        ("fontcolor", ffmpeg_color(rgb, a)),
        ("x", x),
        ("y", y),
    ]
    background = params.get("background")
    if background is not None:
        box_rgb, box_a = parse_color(background, "#000000", warn)
        options += [
            ("box", "1"),
            ("boxcolor", ffmpeg_color(box_rgb, box_a)),
            ("boxborderw", str(max(1, pixels // 4))),
        ]
    if alpha is not None:
        options.append(("alpha", alpha))
    if enable is not None:
        options.append(("enable", enable))
    return "drawtext=" + ":".join(f"{key}={escape_value(value)}" for key, value in options)

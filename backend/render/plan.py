"""The render compiler's contract: what goes in (a timeline, its media, a preset, a range)
and what comes out (one ffmpeg argument list). Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from render.packets import StreamFacts


class RenderError(ValueError):
    """The timeline cannot be rendered as asked (an empty range, an unknown preset)."""


@dataclass(frozen=True)
class SourceMedia:
    """One asset as the renderer reads it: a local path (or URL) and what probing found.

    When `path` is a proxy, its times match the original's, so source ranges apply unchanged.
    """

    path: str
    kind: Literal["video", "audio", "image"]
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    fps: Fraction | None = None
    has_video: bool = True
    has_audio: bool = False
    sample_rate: int | None = None
    # Degrees the picture is turned for display (ffmpeg turns it upright while decoding).
    rotation: int = 0
    # Every frame on the grid of `fps`, none missing (read from the packets): frames can be
    # numbered rather than resampled in time.
    constant_rate: bool = False
    # The video packets' facts kept at ingest (None: not known; a render reads the file).
    facts: StreamFacts | None = None


@dataclass(frozen=True)
class Preset:
    """Output settings. `height` None keeps the timeline's size; otherwise the picture is
    scaled to that height (width from the timeline's aspect, even)."""

    name: str
    description: str
    height: int | None
    crf: int
    x264_preset: str
    audio_bitrate: str
    # The draft preset reads an asset's 540p proxy when it has one.
    use_proxy: bool = False


@dataclass(frozen=True)
class RenderPlan:
    """One ffmpeg run: `args` go after `ffmpeg -hide_banner -nostdin -y` and end with the
    output; `duration_s` is the output's length (for progress)."""

    args: list[str]
    duration_s: float
    width: int
    height: int
    warnings: list[str] = field(default_factory=list)

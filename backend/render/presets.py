"""The render presets (`GET /render/presets`)."""

from __future__ import annotations

from render.plan import Preset, RenderError

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="draft",
            description="540p H.264, fast encode from proxies where they exist; for review",
            height=540,
            crf=28,
            x264_preset="veryfast",
            audio_bitrate="128k",
            use_proxy=True,
        ),
        Preset(
            name="standard",
            description="1080p H.264 CRF 20, AAC 192 kb/s, MP4 with faststart",
            height=1080,
            crf=20,
            x264_preset="fast",
            audio_bitrate="192k",
        ),
        Preset(
            name="high",
            description="the timeline's own size, H.264 CRF 16 (slow preset), AAC 256 kb/s",
            height=None,
            crf=16,
            x264_preset="slow",
            audio_bitrate="256k",
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called `name`."""
    try:
        return PRESETS[name]
    except KeyError:
        raise RenderError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None

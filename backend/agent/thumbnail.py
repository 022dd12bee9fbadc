"""Poster thumbnail: one JPEG frame of a video (a little way in) or the image itself."""

from __future__ import annotations

import re
from pathlib import Path

from utils.ffmpeg import MediaError, MediaInfo, fit_filter, frame_size, run_ffmpeg

POSTER_FRACTION = 0.1
POSTER_MAX_S = 3.0
JPEG_QUALITY = "3"  # mjpeg qscale: 2 is best, 31 worst; 3 is visually clean at half the size
TIMEOUT_S = 120.0
ALPHA_PIX_FMT = re.compile(r"^(rgba|bgra|argb|abgr|ya|yuva|gbrap|pal8)")


def poster_time(info: MediaInfo) -> float:
    """Where the poster frame is taken: 10% in, but at most a few seconds in."""
    duration = info.duration_s or 0.0
    return round(min(duration * POSTER_FRACTION, POSTER_MAX_S), 3)


def make_thumbnail(src: Path, info: MediaInfo, out: Path, width: int = 640) -> dict:
    """Write a JPEG poster of a video or image to `out`; return its width, height and time."""
    if info.kind == "audio":
        raise MediaError("An audio file has no picture for a thumbnail.")
    out.parent.mkdir(parents=True, exist_ok=True)
    picture_filter = picture_chain(info, fit_filter(max_width=width - width % 2))
    time_s = poster_time(info) if info.kind == "video" else 0.0
    for attempt in dict.fromkeys([time_s, 0.0]):
        out.unlink(missing_ok=True)
        # -ss before -i seeks in the container to the nearest keyframe, then decodes forward
        # only to the requested time, instead of decoding everything before it.
        seek = ["-ss", f"{attempt:.3f}"] if attempt > 0 else []
        args = [*seek, "-i", str(src), "-map", "0:V:0", "-vf", picture_filter]
        args += ["-frames:v", "1", "-q:v", JPEG_QUALITY, "-pix_fmt", "yuvj420p"]
        args += ["-f", "image2", "-c:v", "mjpeg", "-update", "1", str(out)]
        run_ffmpeg(args, timeout=TIMEOUT_S)
        # A seek past the last decodable frame ends without error and without output.
        if out.exists() and out.stat().st_size > 0:
            out_width, out_height = frame_size(out)
            return {"width": out_width, "height": out_height, "time_s": attempt}
    raise MediaError("No frame of the video could be decoded for a thumbnail.")


def picture_chain(info: MediaInfo, scale: str) -> str:
    """The filter chain for a still: scaled, and transparent areas laid on white."""
    if not ALPHA_PIX_FMT.match(info.pix_fmt or ""):
        return scale
    # JPEG has no alpha; without this, transparent pixels turn black or show junk colours.
    return (
        f"{scale},format=rgba,split[fg][bg];[bg]lutrgb=r=255:g=255:b=255:a=255[white];"
        "[white][fg]overlay=format=auto,format=yuvj420p"
    )

"""Playable proxy: a small H.264/AAC MP4 (or AAC-only for audio) every browser can play."""

from __future__ import annotations

from pathlib import Path

from utils.ffmpeg import MediaError, MediaInfo, ProgressCallback, fit_filter, probe, run_ffmpeg

PROXY_HEIGHT = 540
# veryfast: ~7x real time from 1080p30 on 2 cores; ultrafast is ~1.4x faster but ~4x bigger.
X264_PRESET = "veryfast"
X264_CRF = "23"
GOP_S = 1  # a keyframe a second: snappy scrubbing, and draft renders copy whole seconds
AUDIO_BITRATE = "128k"
AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
TIMEOUT_FACTOR = 4.0  # at worst a quarter of real time before we call it stuck
MIN_TIMEOUT_S = 300.0


def make_proxy(
    src: Path, info: MediaInfo, out: Path, progress: ProgressCallback | None = None
) -> dict:
    """Transcode to a 540p H.264/AAC MP4 (audio-only: AAC in MP4); return size and duration."""
    if info.kind == "image":
        raise MediaError("An image has no playable proxy; use its thumbnail.")
    duration = info.duration_s or 0.0
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["-i", str(src)]
    if info.kind == "video":
        args += _video_args(info)
    if info.audio_codec is not None:
        args += ["-map", "0:a:0", *_audio_args(info)]
    # faststart moves the index to the front so playback starts before the download ends.
    args += ["-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(out)]
    timeout = max(MIN_TIMEOUT_S, duration * TIMEOUT_FACTOR)
    run_ffmpeg(args, duration_s=duration, progress=progress, timeout=timeout)
    result = probe(out)
    return {"width": result.width, "height": result.height, "duration_s": result.duration_s}


def _video_args(info: MediaInfo) -> list[str]:
    """Map and encode the picture: 540p at most, upright, 8-bit 4:2:0 for every browser."""
    # ffmpeg turns rotated video upright itself (autorotate) before our filters run, and
    # then writes no rotation into the output, so the proxy plays upright everywhere.
    args = ["-map", "0:V:0", "-vf", f"{fit_filter(max_height=PROXY_HEIGHT)},format=yuv420p"]
    args += ["-c:v", "libx264", "-preset", X264_PRESET, "-crf", X264_CRF]
    args += ["-profile:v", "high", "-pix_fmt", "yuv420p"]
    if info.fps:
        args += ["-g", str(max(1, round(info.fps * GOP_S)))]
    return args


def _audio_args(info: MediaInfo) -> list[str]:
    """Encode the first audio stream as AAC, stereo at most, at a rate AAC supports."""
    args = ["-c:a", "aac", "-b:a", AUDIO_BITRATE]
    if (info.audio_channels or 2) > 2:
        args += ["-ac", "2"]
    if info.sample_rate not in AAC_RATES:
        args += ["-ar", "48000"]
    return args

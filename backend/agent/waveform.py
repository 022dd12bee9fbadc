"""Waveform peaks: per-bucket min/max of the audio, mixed to mono, for drawing a waveform."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from utils.ffmpeg import MediaInfo, stream_ffmpeg

# 8 kHz keeps everything under 4 kHz, plenty for a drawn waveform, and makes the pipe and the
# arithmetic six times cheaper than 48 kHz.
TARGET_RATE = 8000
BUCKETS_PER_CHUNK = 4096
TIMEOUT_S = 600.0


def make_waveform(src: Path, info: MediaInfo, peaks_per_second: int = 50) -> dict:
    """Min/max peaks (-1..1, `peaks_per_second` a second) of the audio; [] without audio."""
    if peaks_per_second <= 0:
        raise ValueError("peaks_per_second must be positive")
    # A whole number of samples per bucket, so buckets never straddle a chunk boundary.
    bucket = max(1, math.ceil(TARGET_RATE / peaks_per_second))
    sample_rate = bucket * peaks_per_second
    if info.audio_codec is None:
        return {
            "peaks_per_second": peaks_per_second,
            "duration_s": info.duration_s,
            "sample_rate": sample_rate,
            "peaks": [],
        }
    # s16 output makes ffmpeg normalise the downmix, so stereo never sums past full scale.
    args = ["-i", str(src), "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1"]
    args += ["-ar", str(sample_rate), "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"]
    chunk_bytes = bucket * BUCKETS_PER_CHUNK * 2
    lows: list[np.ndarray] = []
    highs: list[np.ndarray] = []
    samples = 0
    pending = b""
    for data in stream_ffmpeg(args, chunk_size=chunk_bytes, timeout=TIMEOUT_S):
        pending += data
        whole = len(pending) - len(pending) % (bucket * 2)
        if whole:
            low, high = _reduce(np.frombuffer(pending[:whole], "<i2"), bucket)
            lows.append(low)
            highs.append(high)
            samples += whole // 2
            pending = pending[whole:]
    if len(pending) >= 2:
        tail = np.frombuffer(pending[: len(pending) - len(pending) % 2], "<i2")
        lows.append(tail.min(keepdims=True))
        highs.append(tail.max(keepdims=True))
        samples += len(tail)
    low_all = np.concatenate(lows) if lows else np.zeros(0)
    high_all = np.concatenate(highs) if highs else np.zeros(0)
    scale = 1 / 32768
    peaks = np.stack([low_all * scale, high_all * scale], axis=1).round(4)
    return {
        "peaks_per_second": peaks_per_second,
        "duration_s": round(samples / sample_rate, 4),
        "sample_rate": sample_rate,
        "peaks": peaks.tolist(),
    }


def _reduce(samples: np.ndarray, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of each consecutive run of `bucket` samples."""
    frames = samples.reshape(-1, bucket)
    return frames.min(axis=1), frames.max(axis=1)

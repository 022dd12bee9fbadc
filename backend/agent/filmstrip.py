"""Filmstrip: small frames at a fixed interval, tiled into one JPEG sprite with an index."""

from __future__ import annotations

import itertools
import math
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np

from utils.ffmpeg import FFPROBE, MediaError, MediaInfo, fit_filter, run_ffmpeg

MAX_TILES = 100  # with the default interval
TILE_LIMIT = 2000  # any interval: beyond this the sprite is too big to be useful
COLUMNS = 10
MIN_TILES_PER_PART = 10  # shorter stretches are not worth a process of their own
KEYFRAME_SCAN_S = 120.0
# Decoding every frame gets through about this many pixels a second on our 2-core machines
# (1080p30 H.264 at 30-35x real time); jobs over the budget use keyframes only.
FULL_DECODE_PIXELS_PER_S = 1920 * 1080 * 30 * 30
FULL_DECODE_BUDGET_S = 4.0
TIMEOUT_S = 600.0
PPM_HEADER = re.compile(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s")


def default_interval(duration_s: float) -> float:
    """Whole seconds between tiles, so a clip gets at most about MAX_TILES tiles."""
    return float(max(1, math.ceil(duration_s / MAX_TILES - 1e-9)))


def make_filmstrip(
    src: Path, info: MediaInfo, out: Path, interval_s: float | None = None, tile_width: int = 160
) -> dict:
    """Write a JPEG sprite of frames every `interval_s` seconds to `out`; return its index."""
    if info.kind == "audio":
        raise MediaError("An audio file has no frames for a filmstrip.")
    duration = info.duration_s or 0.0
    interval = float(interval_s) if interval_s else default_interval(duration)
    if interval <= 0:
        raise ValueError("interval_s must be positive")
    wanted = 1 if info.kind == "image" else max(1, math.ceil(duration / interval - 1e-6))
    if wanted > TILE_LIMIT:
        raise ValueError(f"{wanted} tiles at {interval:g} s; the limit is {TILE_LIMIT}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="filmstrip-") as tmp:
        tiles = _grab_tiles(src, info, interval, wanted, tile_width, Path(tmp))
        if len(tiles) == 0:
            raise MediaError("No frame of the video could be decoded for a filmstrip.")
        columns = min(len(tiles), COLUMNS)
        rows = math.ceil(len(tiles) / columns)
        _write_sprite(tiles, columns, rows, out, Path(tmp))
    count, tile_h, tile_w = tiles.shape[:3]
    frames = [
        {"t": round(i * interval, 3), "x": i % columns * tile_w, "y": i // columns * tile_h}
        for i in range(count)
    ]
    return {
        "interval_s": interval,
        "tile_width": tile_w,
        "tile_height": tile_h,
        "columns": columns,
        "rows": rows,
        "count": count,
        "frames": frames,
    }


def _grab_tiles(
    src: Path, info: MediaInfo, interval: float, wanted: int, tile_width: int, tmp: Path
) -> np.ndarray:
    """Decode the frames as small RGB tiles: an array of shape (count, height, width, 3)."""
    scale = fit_filter(max_width=tile_width - tile_width % 2)
    if info.kind == "image":
        return _decode_part(src, [], scale, 0.0, wanted, tmp / "image.ppm")
    decode = _decode_options(src, info, interval)
    rate = Fraction(1 / interval).limit_denominator(100_000)
    # start_time=0 pins tile k to k * interval even when the first frame is a bit late.
    chain = f"fps=fps={rate.numerator}/{rate.denominator}:start_time=0:eof_action=pass,{scale}"
    parts = 1 if "nokey" in decode else min(os.cpu_count() or 1, wanted // MIN_TILES_PER_PART)
    if parts <= 1:
        return _decode_part(src, decode, chain, 0.0, wanted, tmp / "tiles.ppm")
    # ffmpeg's frame threads keep only ~1.4 of 2 cores busy on H.264; one single-threaded
    # process per stretch of the video keeps them all busy (~1.5x faster end to end).
    bounds = [wanted * i // parts for i in range(parts + 1)]

    def decode_part(first: int, end: int) -> np.ndarray:
        threads = [*decode, "-threads", "1"]
        ppm = tmp / f"part{first}.ppm"
        return _decode_part(src, threads, chain, first * interval, end - first, ppm)

    with ThreadPoolExecutor(parts) as pool:
        results = list(pool.map(decode_part, bounds[:-1], bounds[1:]))
    tiles = results[0]
    for result, (first, end) in zip(results[1:], itertools.pairwise(bounds[1:]), strict=True):
        if len(tiles) == 0:
            break
        # A stretch past the last decodable frame (or at a new resolution) repeats the last.
        usable = len(result) and result.shape[1:] == tiles.shape[1:]
        tiles = np.concatenate([tiles, result if usable else np.repeat(tiles[-1:], end - first, 0)])
    return tiles


def _decode_part(
    src: Path, decode: list[str], chain: str, start_s: float, count: int, ppm: Path
) -> np.ndarray:
    """Decode `count` tiles from `start_s` on (input seeking), padded with the last one."""
    seek = ["-ss", f"{start_s:.3f}"] if start_s > 0 else []
    args = [*decode, *seek, "-i", str(src), "-map", "0:V:0", "-vf", f"{chain},format=rgb24"]
    args += ["-frames:v", str(count), "-f", "image2pipe", "-c:v", "ppm", str(ppm)]
    run_ffmpeg(args, timeout=TIMEOUT_S)
    tiles = _read_ppm_frames(ppm.read_bytes())
    if 0 < len(tiles) < count:
        # The fps filter stops at the last decoded frame (with keyframes only, often seconds
        # before the end); a player shows that frame until the end too.
        padding = np.repeat(tiles[-1:], count - len(tiles), axis=0)
        tiles = np.concatenate([tiles, padding])
    return tiles


def _decode_options(src: Path, info: MediaInfo, interval: float) -> list[str]:
    """Decoder flags: keyframes only when they are dense enough or full decoding is too slow."""
    keyframes_only = ["-skip_frame", "nokey"]
    if _max_keyframe_gap(src, info) <= interval:
        return keyframes_only
    width, height = info.width or 1920, info.height or 1080
    pixels = width * height * (info.fps or 30.0) * (info.duration_s or 0.0)
    if pixels / FULL_DECODE_PIXELS_PER_S > FULL_DECODE_BUDGET_S:
        # Tiles then show the last keyframe before their time: stale but still fast.
        return keyframes_only
    # Frames nobody references and the deblocking filter can go: a 160 px tile shows no
    # difference, and decoding gets about 40% faster.
    return ["-skip_frame", "noref", "-skip_loop_filter", "all"]


def _max_keyframe_gap(src: Path, info: MediaInfo) -> float:
    """The longest stretch without a keyframe in the first couple of minutes."""
    span = min(info.duration_s or 0.0, KEYFRAME_SCAN_S)
    cmd = [FFPROBE, "-v", "error", "-select_streams", "V:0", "-read_intervals", f"%+{span:.3f}"]
    cmd += ["-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", str(src)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    times = sorted(
        float(fields[0])
        for fields in (line.split(",") for line in result.stdout.splitlines())
        if len(fields) >= 2 and "K" in fields[1] and fields[0] not in ("", "N/A")
    )
    if not times:
        return math.inf
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return max([*gaps, span - times[-1]])


def _read_ppm_frames(data: bytes) -> np.ndarray:
    """Split ffmpeg's concatenated binary PPM images into one array."""
    frames: list[np.ndarray] = []
    position = 0
    while position < len(data):
        header = PPM_HEADER.match(data, position)
        if header is None or header.group(3) != b"255":
            raise RuntimeError("ffmpeg wrote an unexpected PPM stream")
        width, height = int(header.group(1)), int(header.group(2))
        size = width * height * 3
        pixels = np.frombuffer(data, np.uint8, size, header.end()).reshape(height, width, 3)
        # A stream that changes resolution midway yields other tile sizes; the previous
        # tile stands in so the sprite grid and the timing stay regular.
        frames.append(pixels if not frames or pixels.shape == frames[0].shape else frames[-1])
        position = header.end() + size
    if not frames:
        return np.zeros((0, 0, 0, 3), np.uint8)
    return np.stack(frames)


def _write_sprite(tiles: np.ndarray, columns: int, rows: int, out: Path, tmp: Path) -> None:
    """Lay the tiles out row by row (black after the last one) and encode the JPEG."""
    count, height, width, _ = tiles.shape
    sheet = np.zeros((rows * columns, height, width, 3), np.uint8)
    sheet[:count] = tiles
    sheet = sheet.reshape(rows, columns, height, width, 3).swapaxes(1, 2)
    raw = tmp / "sprite.rgb"
    raw.write_bytes(sheet.tobytes())
    size = f"{columns * width}x{rows * height}"
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", size, "-i", str(raw)]
    args += ["-frames:v", "1", "-q:v", "4", "-pix_fmt", "yuvj420p"]
    args += ["-f", "image2", "-c:v", "mjpeg", "-update", "1", str(out)]
    run_ffmpeg(args, timeout=TIMEOUT_S)

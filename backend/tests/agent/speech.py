"""Spoken test media: espeak-ng phrases placed at known times, muxed onto a lavfi video.

The mix is done in numpy rather than with ffmpeg's amix, which rescales its inputs by default;
placing samples directly keeps every phrase at full volume and exactly where it was asked for.
"""

from __future__ import annotations

import functools
import hashlib
import re
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
ESPEAK_RATE_WPM = "130"
# Where synthesized phrases are cached: the same phrase is spoken the same way every time.
_CACHE = Path(tempfile.gettempdir()) / "vedit-espeak-cache"
_SILENCE_START = re.compile(r"silence_start: (-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end: (-?[\d.]+)")


def _run(cmd: list[str]) -> str:
    """Run a command, failing with its stderr; return its stderr (ffmpeg's filters log there)."""
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{cmd[0]} failed: {result.stderr}"
    return result.stderr


def synthesize(text: str) -> Path:
    """A mono 16-bit WAV of espeak-ng speaking `text` (cached by text)."""
    _CACHE.mkdir(exist_ok=True)
    digest = hashlib.sha1(f"{ESPEAK_RATE_WPM}|{text}".encode()).hexdigest()[:16]
    path = _CACHE / f"{digest}.wav"
    if not path.exists():
        # Written under a temporary name first, so a parallel run never reads a half file.
        part = path.with_suffix(".part.wav")
        _run(["espeak-ng", "-s", ESPEAK_RATE_WPM, "-w", str(part), "--", text])
        part.replace(path)
    return path


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2, "espeak-ng writes s16 mono"
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        return samples, wav.getframerate()


@functools.cache
def speech_bounds(text: str) -> tuple[float, float]:
    """Seconds from the start of `text`'s synthesized WAV to its first and last sound.

    Measured with ffmpeg's silencedetect, so tests account for espeak-ng's lead-in and
    trailing silence from the audio itself rather than from a guessed constant.
    """
    wav = synthesize(text)
    log = _run(
        ["ffmpeg", "-hide_banner", "-nostats", "-nostdin", "-i", str(wav), "-af",
         "silencedetect=noise=-50dB:d=0.01", "-f", "null", "-"]
    )  # fmt: skip
    starts = [float(s) for s in _SILENCE_START.findall(log)]
    ends = [float(e) for e in _SILENCE_END.findall(log)]
    samples, rate = _read_wav(wav)
    total = len(samples) / rate
    lead_in = ends[0] if starts and starts[0] <= 0.001 and ends else 0.0
    # ffmpeg 5.1 closes a silence still open at the end of the file with an end at EOF.
    trailing = bool(starts) and (len(starts) > len(ends) or ends[-1] >= total - 0.002)
    tail = starts[-1] if trailing else total
    return lead_in, tail


def phrase_onsets(phrases: list[tuple[float, str]]) -> list[float]:
    """Where each phrase's first sound lands in a clip made by make_speech()."""
    return [start + speech_bounds(text)[0] for start, text in phrases]


def make_speech(
    path: Path, phrases: list[tuple[float, str]], seconds: float, video: bool = True
) -> Path:
    """A `seconds`-long clip with each (start, text) phrase spoken from `start` on.

    With `video`, H.264 testsrc2 320x240 at 25 fps plus AAC in MP4; otherwise audio only,
    in the container `path`'s suffix names (.wav as PCM, .m4a as AAC).
    """
    rate = 0
    mix: np.ndarray | None = None
    for start, text in phrases:
        samples, wav_rate = _read_wav(synthesize(text))
        if mix is None:
            rate = wav_rate
            mix = np.zeros(round(seconds * rate), np.int32)
        assert wav_rate == rate, "every phrase comes from the same voice and rate"
        offset = round(start * rate)
        assert offset + len(samples) <= len(mix), f"{text!r} at {start} s runs past {seconds} s"
        mix[offset : offset + len(samples)] += samples
    if mix is None:
        rate, mix = 22050, np.zeros(round(seconds * 22050), np.int32)
    with tempfile.TemporaryDirectory() as tmp:
        track = Path(tmp) / "speech.wav"
        with wave.open(str(track), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(np.clip(mix, -32768, 32767).astype("<i2").tobytes())
        if video:
            args = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}"]
            args += ["-i", str(track), "-map", "0:v", "-map", "1:a"]
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
            args += ["-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-movflags", "+faststart"]
        elif path.suffix.lower() == ".wav":
            args = ["-i", str(track), "-c:a", "pcm_s16le"]
        else:
            args = ["-i", str(track), "-c:a", "aac", "-b:a", "96k"]
        _run([*FFMPEG, *args, str(path)])
    return path


def make_tone_and_silence(path: Path, tone_s: float = 3.0, silence_s: float = 3.0) -> Path:
    """A WAV of a 440 Hz sine for `tone_s`, then `silence_s` of silence: nothing to transcribe."""
    total = tone_s + silence_s
    _run(
        [*FFMPEG, "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=16000:duration={total}",
         "-af", f"volume=enable='gte(t,{tone_s})':volume=0", "-ac", "1", str(path)]
    )  # fmt: skip
    return path

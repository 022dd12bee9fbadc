"""make_waveform(): peaks where the tone plays, nothing where it is silent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.waveform import make_waveform
from tests.agent.conftest import ffmpeg, make_video
from utils.ffmpeg import probe

TONE = "0.8*sin(2*PI*440*t)*lt(t,1)"


def test_stereo_tone_then_silence(tmp_path: Path) -> None:
    src = tmp_path / "tone.m4a"
    ffmpeg(
        "-f", "lavfi", "-i", f"aevalsrc=exprs='{TONE}|{TONE}':sample_rate=48000:duration=2",
        "-c:a", "aac", "-b:a", "128k", str(src),
    )  # fmt: skip

    data = make_waveform(src, probe(src))

    assert data["peaks_per_second"] == 50
    assert data["duration_s"] == pytest.approx(2.0, abs=0.05)
    peaks = data["peaks"]
    assert len(peaks) == pytest.approx(100, abs=2)
    tone, silence = peaks[5:45], peaks[60:100]
    assert all(high > 0.5 and low < -0.5 for low, high in tone)
    assert all(abs(low) < 0.01 and abs(high) < 0.01 for low, high in silence)


def test_mono_wav_with_volume_expression(tmp_path: Path) -> None:
    src = tmp_path / "tone.wav"
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=44100:duration=3",
        "-af", "volume=6,volume=enable='between(t,1,2)':volume=0", str(src),
    )  # fmt: skip

    data = make_waveform(src, probe(src), peaks_per_second=10)

    peaks = data["peaks"]
    assert len(peaks) == 30
    assert data["sample_rate"] % 10 == 0
    loudest = [max(high, -low) for low, high in peaks]
    assert min(loudest[1:9] + loudest[21:29]) > 0.5
    assert max(loudest[11:19]) < 0.01
    # JSON-ready and rounded to 4 decimals.
    assert json.loads(json.dumps(data)) == data
    assert all(round(v, 4) == v for pair in peaks for v in pair)


def test_video_without_audio_has_no_peaks(tmp_path: Path) -> None:
    src = make_video(tmp_path / "mute.mp4", seconds=1.0, audio=False)

    data = make_waveform(src, probe(src))

    assert data["peaks"] == []

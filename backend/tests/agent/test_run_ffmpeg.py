"""run_ffmpeg() and stream_ffmpeg(): progress, errors, timeouts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.agent.conftest import make_video
from utils.ffmpeg import FFmpegError, run_ffmpeg, stream_ffmpeg


def test_progress_fractions_increase_and_end_near_one(tmp_path: Path) -> None:
    src = make_video(tmp_path / "src.mp4", seconds=4.0, size="640x360")
    fractions: list[float] = []

    # A short stats period makes ffmpeg report several times even for a quick job.
    args = ["-stats_period", "0.05", "-i", str(src), "-c:v", "libx264", "-preset", "medium"]
    run_ffmpeg(
        [*args, "-c:a", "aac", str(tmp_path / "out.mp4")],
        duration_s=4.0,
        progress=fractions.append,
    )

    assert len(fractions) >= 2
    assert all(a < b for a, b in itertools.pairwise(fractions))
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions[-1] == pytest.approx(1.0, abs=0.01)
    assert (tmp_path / "out.mp4").stat().st_size > 0


def test_bad_argument_raises_with_ffmpeg_stderr(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(["-no-such-option", "1", str(tmp_path / "out.mp4")])

    assert "Unrecognized option 'no-such-option'" in str(caught.value)


def test_bad_filter_raises_with_ffmpeg_stderr(tmp_path: Path) -> None:
    src = make_video(tmp_path / "src.mp4", seconds=1.0, audio=False)

    with pytest.raises(FFmpegError, match="No such filter: 'nosuchfilter'"):
        run_ffmpeg(["-i", str(src), "-vf", "nosuchfilter", "-f", "null", "-"])


def test_timeout_kills_ffmpeg() -> None:
    endless = ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x64", "-f", "null", "-"]

    with pytest.raises(FFmpegError, match="timed out"):
        run_ffmpeg(endless, timeout=0.5)


def test_an_exception_from_progress_stops_ffmpeg(tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel(_fraction: float) -> None:
        raise Cancelled

    endless = ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x64", "-f", "null", "-"]
    with pytest.raises(Cancelled):
        run_ffmpeg(endless, duration_s=10.0, progress=cancel, timeout=30)


def test_stream_ffmpeg_yields_the_output() -> None:
    args = ["-f", "lavfi", "-i", "sine=sample_rate=8000:duration=1", "-f", "s16le", "pipe:1"]

    data = b"".join(stream_ffmpeg(args, chunk_size=1000))

    assert len(data) == 8000 * 2


def test_stream_ffmpeg_raises_when_ffmpeg_fails(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError, match="No such file or directory"):
        list(stream_ffmpeg(["-i", str(tmp_path / "missing.wav"), "-f", "s16le", "pipe:1"]))

"""splice: spans of H.264 packets from differently encoded files joined without re-encoding."""

from __future__ import annotations

import subprocess
import threading
from fractions import Fraction
from pathlib import Path

import av
import pytest

from render.splice import Span, SpliceCancelled, SpliceError, splice
from tests.media import run
from tests.render.test_packets import VARIANTS, X264, make_ramp

RATE = Fraction(30)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("splice")
    files = {name: make_ramp(d / f"{name}.mp4", args) for name, args in VARIANTS.items()}
    files["wide"] = make_ramp(d / "wide.mp4", [*X264, "-vf", "scale=640:180"])
    audio = d / "tone.m4a"
    run(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:d=5", "-c:a", "aac",
         str(audio)])  # fmt: skip
    files["audio"] = audio
    return files


def decode_errors(path: Path) -> str:
    """What ffmpeg prints decoding the whole file (nothing when it decodes cleanly)."""
    result = subprocess.run(
        ["/usr/bin/ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stderr + ("" if result.returncode == 0 else f"exit {result.returncode}")


def shown_frames(path: Path) -> list[tuple[int, float]]:
    """(frame number from pts, mean luma of the Y plane) for every decoded frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [
            (round(frame.pts * stream.time_base * RATE), float(frame.to_ndarray()[:180].mean()))
            for frame in container.decode(stream)
        ]


def video_timestamps(path: Path) -> list[tuple[int, int]]:
    """(pts, dts) in frames of every video packet, in decode order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        to_frames = stream.time_base * RATE
        return [
            (round(packet.pts * to_frames), round(packet.dts * to_frames))
            for packet in container.demux(stream)
            if packet.pts is not None
        ]


def expected_luma(source_frames: list[int]) -> list[float]:
    return [16 + 2 * n for n in source_frames]


def check_luma(path: Path, source_frames: list[int]) -> None:
    frames = shown_frames(path)
    assert [n for n, _ in frames] == list(range(len(source_frames)))
    for (n, luma), want in zip(frames, expected_luma(source_frames), strict=True):
        assert luma == pytest.approx(want, abs=0.5), f"output frame {n}"


def test_three_encodings_join_without_decode_errors(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    reported: list[float] = []
    spans = [
        Span(media["plain"], 30, 30),
        Span(media["pyramid"], 0, 60),
        Span(media["baseline"], 60, 60),
    ]
    splice(spans, RATE, out, progress=reported.append)
    assert decode_errors(out) == ""
    check_luma(out, [*range(30, 60), *range(0, 60), *range(60, 120)])
    with av.open(str(out)) as container:
        assert container.duration / 1_000_000 == pytest.approx(5.0, abs=1e-3)
        assert not container.streams.audio
    assert reported == sorted(reported)
    assert reported[-1] == 1.0


def test_b_frame_spans_keep_dts_increasing_and_before_pts(
    media: dict[str, Path], tmp_path: Path
) -> None:
    # No B-frames, then a B-pyramid (reorder delay 2), then no B-frames again: one delay for
    # the whole output keeps every dts <= its pts while dts steps by one frame.
    out = tmp_path / "mixed.mp4"
    spans = [
        Span(media["plain"], 0, 30),
        Span(media["pyramid"], 30, 30),
        Span(media["plain"], 60, 30),
        Span(media["baseline"], 90, 30),
        Span(media["plain"], 0, 30),
    ]
    splice(spans, RATE, out)
    stamps = video_timestamps(out)
    assert sorted(pts for pts, _ in stamps) == list(range(150))
    assert [dts for _, dts in stamps] == list(range(-2, 148))
    assert all(dts <= pts for pts, dts in stamps)
    assert decode_errors(out) == ""
    check_luma(out, [*range(0, 120), *range(0, 30)])


def test_a_player_seeking_to_any_keyframe_decodes_it_cleanly(
    media: dict[str, Path], tmp_path: Path
) -> None:
    # A player that seeks starts at the nearest keyframe, often deep inside a span whose
    # SPS/PPS differ from the file's avcC (the first span's).
    out = tmp_path / "seek.mp4"
    splice([Span(media["plain"], 0, 30), Span(media["baseline"], 0, 120)], RATE, out)
    for second, source_frame in ((2.5, 45), (3.5, 75)):
        result = subprocess.run(
            ["/usr/bin/ffmpeg", "-v", "error", "-nostdin", "-ss", str(second), "-i", str(out),
             "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert result.stderr.decode() == "", second
        luma = sum(result.stdout[: 320 * 180]) / (320 * 180)
        # gray is full range: limited-range 16 + 2N stretched.
        assert luma == pytest.approx(2 * source_frame * 255 / 219, abs=1.5), second


def test_audio_is_copied_and_moov_comes_first(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "with_audio.mp4"
    splice([Span(media["pyramid"], 0, 90), Span(media["plain"], 30, 60)], RATE, out,
           audio=media["audio"])  # fmt: skip
    with av.open(str(out)) as container:
        (sound,) = container.streams.audio
        assert sound.codec_context.name == "aac"
        assert float(sound.duration * sound.time_base) == pytest.approx(5.0, abs=0.03)
        assert container.streams.video[0].frames == 150
    assert decode_errors(out) == ""
    atoms = top_level_atoms(out)
    assert atoms.index(b"moov") < atoms.index(b"mdat")


def top_level_atoms(path: Path) -> list[bytes]:
    """The MP4's top-level box types in file order."""
    data = path.read_bytes()
    atoms, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        atoms.append(data[pos + 4 : pos + 8])
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        if size < 8:
            break
        pos += size
    return atoms


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (Span("plain", 15, 15), "not a keyframe"),
        # x264's open-GOP I-frame at 30 is followed by B-frames that show before it.
        (Span("open", 30, 30), "not a clean"),
        (Span("open", 0, 30), "end right before a clean keyframe"),
        (Span("plain", 30, 20), "end right before a clean keyframe"),
        (Span("wide", 0, 30), "width"),
    ],
)
def test_spans_that_cannot_be_copied_raise_and_leave_nothing(
    media: dict[str, Path], tmp_path: Path, span: Span, words: str
) -> None:
    out = tmp_path / "bad.mp4"
    span = Span(media[str(span.path)], span.first, span.frames)
    with pytest.raises(SpliceError, match=words):
        splice([Span(media["plain"], 0, 30), span], RATE, out)
    assert not out.exists()


def test_cancel_raises_and_leaves_nothing(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "cancelled.mp4"
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(SpliceCancelled):
        splice([Span(media["plain"], 0, 120)], RATE, out, cancel=cancel)
    assert not out.exists()


def test_cancel_while_writing_deletes_the_partial_output(
    media: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "cancelled.mp4"
    cancel = threading.Event()

    def progress(fraction: float) -> None:
        if fraction > 0.3:
            cancel.set()

    with pytest.raises(SpliceCancelled):
        splice([Span(media["plain"], 0, 120)] * 3, RATE, out, cancel=cancel, progress=progress)
    assert not out.exists()

"""stream_facts: codec facts and clean keyframes read from packets of real files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from render.packets import FrameGrid, frame_index, parse_avcc, stream_facts
from tests.media import run

# 120 frames at 30 fps, frame N with luma 16 + 2N: every frame tells which one it is.
RAMP = "nullsrc=s=320x180:r=30:d=4,geq=lum='16+N*2':cb=128:cr=128"
X264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "30", "-crf", "10"]
# Keyframes exactly every 30 frames, with no B-frames / a B-pyramid / open GOPs / baseline.
VARIANTS = {
    "plain": [*X264, "-bf", "0", "-x264-params", "scenecut=0"],
    "pyramid": [*X264, "-bf", "3", "-x264-params", "b-pyramid=normal:scenecut=0"],
    "open": [*X264, "-bf", "3", "-x264-params", "open-gop=1:scenecut=0"],
    "baseline": [*X264, "-profile:v", "baseline", "-x264-params", "scenecut=0"],
}


def make_ramp(path: Path, args: list[str], source: str = RAMP) -> Path:
    """Encode the luma ramp (or `source`) with the given output arguments."""
    run(["-f", "lavfi", "-i", source, *args, str(path)])
    return path


def keyframe_packets(path: Path) -> list[int]:
    """Frame indices of the packets the container flags as keyframes."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(
            round(packet.pts * stream.time_base * 30)
            for packet in container.demux(stream)
            if packet.pts is not None and packet.is_keyframe
        )


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("packets")
    files = {name: make_ramp(d / f"{name}.mp4", args) for name, args in VARIANTS.items()}
    # Timestamps 1/3000 s apart per frame, 40 ticks late from frame 40 on: off the 30 fps grid.
    files["vfr"] = make_ramp(
        d / "vfr.mp4",
        ["-vf", "settb=1/3000,setpts='N*100+if(gte(N,40),40,0)'", "-fps_mode", "vfr",
         "-enc_time_base:v", "1:3000", *VARIANTS["plain"]],
    )  # fmt: skip
    # Frame 150 of 300 dropped: the rest on the 30 fps grid (the average rate is close).
    files["gaps"] = make_ramp(
        d / "gaps.mp4",
        ["-vf", "select='not(eq(n,150))'", "-fps_mode", "passthrough", *VARIANTS["plain"]],
        source=RAMP.replace("d=4", "d=10"),
    )
    files["ntsc"] = make_ramp(
        d / "ntsc.mp4", VARIANTS["pyramid"], source=RAMP.replace("r=30", "r=30000/1001")
    )
    rotated = d / "rotated.mp4"
    run(["-i", str(files["plain"]), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated)])
    files["rotated"] = rotated
    files["mpeg4"] = make_ramp(d / "mpeg4.mp4", ["-c:v", "mpeg4", "-g", "30"])
    files["vp9"] = make_ramp(d / "vp9.webm", ["-c:v", "libvpx-vp9", "-t", "1"])
    files["annexb"] = make_ramp(d / "annexb.ts", VARIANTS["plain"])
    files["anamorphic"] = make_ramp(d / "anamorphic.mp4", ["-vf", "setsar=4/3", *X264])
    files["yuv444"] = make_ramp(d / "yuv444.mp4", [*X264[:2], "-pix_fmt", "yuv444p"])
    audio = d / "tone.m4a"
    run(["-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(audio)])
    files["audio"] = audio
    return files


@pytest.mark.parametrize("name", ["plain", "pyramid", "baseline"])
def test_closed_gops_are_copyable_with_a_keyframe_every_30(
    media: dict[str, Path], name: str
) -> None:
    facts = stream_facts(media[name])
    assert facts is not None
    assert facts.copyable, facts.reason
    assert facts.reason is None
    assert (facts.codec, facts.width, facts.height) == ("h264", 320, 180)
    assert facts.rate == Fraction(30)
    assert facts.pix_fmt == "yuv420p"
    assert facts.frames == 120
    assert facts.keyframes == (0, 30, 60, 90)
    assert facts.nal_length_size == 4


def test_open_gop_keyframes_are_left_out(media: dict[str, Path]) -> None:
    # x264's open-GOP I-frames are flagged as sync samples, but B-frames decoded after them
    # show before them (and they are not IDR), so a copy cannot start there.
    assert keyframe_packets(media["open"]) == [0, 30, 60, 90]
    facts = stream_facts(media["open"])
    assert facts is not None
    assert facts.keyframes == (0,)
    assert facts.frames == 120


def test_off_grid_timestamps_are_not_copyable(media: dict[str, Path]) -> None:
    facts = stream_facts(media["vfr"])
    assert facts is not None
    assert not facts.copyable
    assert facts.reason and "frame rate" in facts.reason


def test_missing_frames_are_not_copyable(media: dict[str, Path]) -> None:
    facts = stream_facts(media["gaps"])
    assert facts is not None
    assert facts.rate == Fraction(30)
    assert not facts.copyable
    assert facts.reason and "missing" in facts.reason


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mpeg4", "mpeg4"),
        ("vp9", "vp9"),
        ("annexb", "avcC"),
        ("rotated", "rotated"),
        ("anamorphic", "aspect"),
        ("yuv444", "yuv444p"),
    ],
)
def test_not_copyable_says_why(media: dict[str, Path], name: str, words: str) -> None:
    facts = stream_facts(media[name])
    assert facts is not None
    assert not facts.copyable
    assert facts.reason and words in facts.reason


def test_audio_only_or_unreadable_is_none(media: dict[str, Path], tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    assert stream_facts(media["audio"]) is None
    assert stream_facts(junk) is None
    assert stream_facts(tmp_path / "missing.mp4") is None


def test_parse_avcc_reads_parameter_sets(media: dict[str, Path]) -> None:
    with av.open(str(media["plain"])) as container:
        avcc = parse_avcc(container.streams.video[0].codec_context.extradata)
    assert avcc is not None
    assert avcc.nal_length_size == 4
    assert [unit[0] & 0x1F for unit in avcc.sps] == [7]
    assert [unit[0] & 0x1F for unit in avcc.pps] == [8]
    assert parse_avcc(b"\x00\x00\x00\x01\x67") is None


def test_ntsc_rate_is_exact(media: dict[str, Path]) -> None:
    facts = stream_facts(media["ntsc"])
    assert facts is not None
    assert facts.rate == Fraction(30000, 1001)
    assert facts.copyable, facts.reason
    assert facts.keyframes == (0, 30, 60, 90)


def test_frame_grid_matches_frame_index() -> None:
    time_base, start, rate = Fraction(1, 90000), Fraction(-21, 1000), Fraction(30000, 1001)
    grid = FrameGrid.of(time_base, start, rate)
    for pts in range(-5000, 200_000, 997):
        index, fits = grid.locate(pts)
        assert index == frame_index(pts, time_base, start, rate)
        exact = (pts * time_base - start) * rate
        assert fits == (abs(exact - round(exact)) <= Fraction(1, 100))
    # Frame 10 starts 10 * 1001/30000 s after the start: 3003 ticks per frame.
    assert grid.locate(10 * 3003 - 1890) == (10, True)

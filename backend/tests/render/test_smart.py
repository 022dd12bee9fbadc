"""Smart rendering end to end: copied and encoded pieces joined into one file that shows, frame
for frame, what a full re-encode shows."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from render.compiler import compile_render
from render.packets import facts_from_json, facts_to_json, stream_facts
from render.plan import SourceMedia
from render.presets import PRESETS
from render.runner import RenderCancelled
from render.smart import plan_work, run_work
from tests.media import run
from tests.render.media import audio, clip, rms, source, timeline, title


def _ramp(path: Path, bframes: int) -> Path:
    # Every frame has its own brightness (16 + 2N), so a frame shows which source frame it is.
    run(
        ["-f", "lavfi", "-i", "nullsrc=s=320x180:r=25:d=4,geq=lum='16+2*N':cb=128:cr=128",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:d=4",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "8", "-pix_fmt", "yuv420p",
         "-g", "25", "-bf", str(bframes), "-x264-params", "scenecut=0",
         "-c:a", "aac", "-ac", "2", "-shortest", str(path)]
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def ramps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SourceMedia]:
    d = tmp_path_factory.mktemp("smart")
    return {
        "ramp": source(_ramp(d / "ramp.mp4", 0)),
        "rampb": source(_ramp(d / "rampb.mp4", 3)),
    }


def lumas(path: Path) -> list[float]:
    """Mean brightness of every frame, in order."""
    with av.open(str(path)) as container:
        return [float(f.to_ndarray(format="gray").mean()) for f in container.decode(video=0)]


def decode_errors(path: Path) -> str:
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return result.stderr.strip()


def render(tl, sources, out: Path, **kw):
    work = plan_work(tl, sources, PRESETS["high"], out, **kw)
    seen: list[float] = []
    run_work(work, out, progress=seen.append)
    return work, seen


def expected(src_frames: list[int]) -> list[float]:
    # geq's luma in limited range, as gray (full range) decodes it.
    return [(16 + 2 * n - 16) * 255 / 219 for n in src_frames]


def test_copied_and_encoded_pieces_show_every_frame_from_the_right_source_frame(
    ramps: dict[str, SourceMedia], tmp_path: Path
) -> None:
    # Source frames 10-79 of one ramp, then 0-49 of the B-frame ramp: cuts between keyframes.
    tl = timeline(("Video", [clip("ramp", 70, src=10), clip("rampb", 50)]), ("Audio", []))
    out = tmp_path / "smart.mp4"
    work, seen = render(tl, ramps, out)

    # Copied: source frames 25-74 of the first clip and 0-49 of the second.
    assert work.stats() == {"segments": 4, "copied_s": 4.0, "encoded_s": 0.8}
    assert [s.copied for s in work.segments] == [False, True, False, True]
    # Both encoded stretches came out of one encoder run, each opening on a keyframe.
    assert len(work.plans) == 1 and work.placed == {0: (0, 0), 2: (0, 15)}
    pieces = stream_facts(work.plans[0].args[-1])
    assert pieces is not None and pieces.frames == 20 and {0, 15} <= set(pieces.keyframes)
    assert decode_errors(out) == ""
    got = lumas(out)
    assert len(got) == 120
    want = expected([*range(10, 80), *range(0, 50)])
    worst = max(abs(a - b) for a, b in zip(got, want, strict=True))
    assert worst < 3, [
        (i, round(a), round(b)) for i, (a, b) in enumerate(zip(got, want, strict=True))
    ]
    assert seen == sorted(seen) and 95 <= seen[-1] <= 100


def test_smart_output_matches_a_full_encode_with_title_and_sound(
    ramps: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [clip("ramp", 100)]),
        ("Video", [title("Hello", 20)]),
        ("Audio", [clip("ramp", 100)]),
    )
    smart, _ = render(tl, ramps, tmp_path / "smart.mp4")
    full, _ = render(tl, ramps, tmp_path / "full.mp4", smart=False)
    assert smart.stats()["copied_s"] == 3.0 and full.stats()["copied_s"] == 0
    a, b = lumas(tmp_path / "smart.mp4"), lumas(tmp_path / "full.mp4")
    assert len(a) == len(b) == 100
    assert np.max(np.abs(np.array(a) - np.array(b))) < 3
    # The sound is there, as long as the picture.
    sound = audio(tmp_path / "smart.mp4")
    assert abs(len(sound) / 48000 - 4.0) < 0.05 and rms(sound, 0.5, 3.5) > 0.03


def test_a_long_cut_is_encoded_in_chunks_that_join_seamlessly(
    ramps: dict[str, SourceMedia], tmp_path: Path
) -> None:
    # Ten 10-frame clips of the ramp, three clips per ffmpeg run at most: 4 chunks.
    starts = [37, 3, 61, 12, 80, 45, 20, 71, 5, 50]
    tl = timeline(("Video", [clip("ramp", 10, src=s) for s in starts]), ("Audio", []))
    out = tmp_path / "chunks.mp4"
    work = plan_work(tl, ramps, PRESETS["high"], out, smart=False, max_clips=3)
    seen: list[float] = []
    run_work(work, out, parallel=2, progress=seen.append)
    assert [(s.start, s.end) for s in work.segments] == [(0, 30), (30, 60), (60, 90), (90, 100)]
    assert len(work.plans) == 4  # no run opens more than three clips
    # The ramp is constant-rate at the timeline's rate: frames are numbered, not resampled.
    graphs = [plan.args[plan.args.index("-filter_complex") + 1] for plan in work.plans]
    assert graphs and not any("fps=" in graph for graph in graphs)
    # Media whose packets were not read keeps the fps filter.
    unread = compile_render(tl, ramps, PRESETS["high"], str(tmp_path / "x.mp4"))
    assert "fps=" in unread.args[unread.args.index("-filter_complex") + 1]
    assert decode_errors(out) == ""
    got = lumas(out)
    want = expected([s + i for s in starts for i in range(10)])
    assert len(got) == 100
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 3
    assert seen == sorted(seen) and 95 <= seen[-1] <= 100


def test_facts_kept_at_ingest_are_used_without_reading_the_file(
    ramps: dict[str, SourceMedia], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = stream_facts(ramps["ramp"].path)
    assert kept is not None and facts_from_json(facts_to_json(kept)) == kept
    assert facts_from_json({"rate": "30"}) is None and facts_from_json(None) is None
    monkeypatch.setattr("render.smart.stream_facts", lambda path: pytest.fail(f"read {path}"))
    tl = timeline(("Video", [clip("ramp", 70, src=10)]))
    known = {"ramp": replace(ramps["ramp"], facts=kept)}
    work = plan_work(tl, known, PRESETS["high"], tmp_path / "kept.mp4")
    assert work.stats()["copied_s"] == 2.0


def test_cancel_leaves_no_output(ramps: dict[str, SourceMedia], tmp_path: Path) -> None:
    tl = timeline(("Video", [clip("ramp", 70, src=10)]))
    out = tmp_path / "gone.mp4"
    work = plan_work(tl, ramps, PRESETS["high"], out)
    with pytest.raises(RenderCancelled):
        run_work(work, out, is_cancelled=lambda: True)
    assert not out.exists()


def test_rotated_or_resized_media_is_encoded(ramps: dict[str, SourceMedia], tmp_path: Path) -> None:
    tl = timeline(("Video", [clip("turned", 50)]))
    turned = {"turned": replace(ramps["ramp"], rotation=90)}
    assert plan_work(tl, turned, PRESETS["high"], tmp_path / "x.mp4").stats()["copied_s"] == 0
    upright = {"turned": ramps["ramp"]}
    assert plan_work(tl, upright, PRESETS["draft"], tmp_path / "y.mp4").single is not None


def test_a_cut_that_is_all_copies_runs_no_encoder(
    ramps: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", [clip("rampb", 100)]), ("Audio", []))
    out = tmp_path / "copied.mp4"
    work, seen = render(tl, ramps, out)
    assert work.plans == [] and work.stats()["copied_s"] == 4.0
    assert decode_errors(out) == ""
    got = lumas(out)
    assert len(got) == 100
    assert max(abs(a - b) for a, b in zip(got, expected(list(range(100))), strict=True)) < 3
    assert seen == sorted(seen) and 95 <= seen[-1] <= 100

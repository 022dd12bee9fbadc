"""SRT and WebVTT from transcripts: well-formed, in time order, readable line lengths."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from agent.subtitles import build_cues, to_srt, to_vtt
from agent.transcribe import Segment, Transcript, Word

Cue = tuple[float, float, list[str]]
STAMP = r"(\d{2,}):(\d{2}):(\d{2})SEP(\d{3})"


def parse_cues(text: str, kind: str) -> list[Cue]:
    """Parse SRT or WebVTT strictly, failing on anything malformed; (start, end, lines)."""
    sep = "," if kind == "srt" else "."
    stamp = STAMP.replace("SEP", re.escape(sep))
    timing = re.compile(f"^{stamp} --> {stamp}$")
    if kind == "vtt":
        assert text.startswith("WEBVTT\n\n"), text[:20]
        text = text.removeprefix("WEBVTT\n\n")
    if not text:
        return []
    assert text.endswith("\n\n") and "\n\n\n" not in text, repr(text)
    cues: list[Cue] = []
    for number, block in enumerate(text[:-2].split("\n\n"), 1):
        index, times, *lines = block.split("\n")
        assert index == str(number), block
        match = timing.match(times)
        assert match, times
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, match.groups())
        start = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        end = h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert start < end, block
        assert 1 <= len(lines) <= 2 and all(lines), block
        assert cues == [] or cues[-1][1] <= start, "cues overlap or go back in time"
        cues.append((start, end, lines))
    return cues


def words_at(start: float, text: str, step: float = 0.4) -> tuple[Word, ...]:
    """Words of `text`, one every `step` seconds from `start`, each lasting most of it."""
    return tuple(
        Word(round(start + i * step, 3), round(start + i * step + step * 0.8, 3), t, 0.9)
        for i, t in enumerate(text.split())
    )


def transcript_of(*segments: Segment) -> Transcript:
    """A transcript holding `segments`."""
    return Transcript("en", 600.0, segments, "test")


def segment_of(words: tuple[Word, ...]) -> Segment:
    """A segment spanning `words`, its text their texts joined."""
    return Segment(words[0].start, words[-1].end, " ".join(w.text for w in words), words)


LONG = (
    "So today we are going to look at how the new timeline works, why every clip keeps its "
    "source range, and what happens to the audio when you trim the start of a shot by hand."
)


def test_short_segments_become_numbered_cues() -> None:
    transcript = transcript_of(
        segment_of(words_at(1.0, "Hello there, friends.")),
        segment_of(words_at(3723.5, "Bye now.", step=0.5)),
    )
    assert to_srt(transcript) == (
        "1\n00:00:01,000 --> 00:00:02,120\nHello there, friends.\n\n"
        "2\n01:02:03,500 --> 01:02:04,400\nBye now.\n\n"
    )
    assert to_vtt(transcript) == (
        "WEBVTT\n\n"
        "1\n00:00:01.000 --> 00:00:02.120\nHello there, friends.\n\n"
        "2\n01:02:03.500 --> 01:02:04.400\nBye now.\n\n"
    )


def test_a_short_cue_stays_up_long_enough_to_read() -> None:
    alone = build_cues(transcript_of(segment_of(words_at(2.0, "Yes."))))
    assert (alone[0].start, alone[0].end) == (2.0, 2.8)
    # ... but never into the next cue.
    crowded = build_cues(
        transcript_of(segment_of(words_at(2.0, "Yes.")), segment_of(words_at(2.5, "No.")))
    )
    assert [(c.start, c.end) for c in crowded] == [(2.0, 2.5), (2.5, 3.3)]


def test_long_segment_is_split_into_readable_cues() -> None:
    words = words_at(10.0, LONG, step=0.3)
    transcript = transcript_of(segment_of(words))
    for kind, text in (("srt", to_srt(transcript)), ("vtt", to_vtt(transcript))):
        cues = parse_cues(text, kind)
        assert len(cues) >= 3
        assert all(len(line) <= 42 for cue in cues for line in cue[2])
        assert all(end - start <= 7.0 for start, end, _ in cues)
        assert " ".join(" ".join(cue[2]) for cue in cues) == LONG
        # Cue times are word times: each cue starts on a word's start and ends on one's end,
        # or 0.8 s after its start when that is later.
        starts, ends = {w.start for w in words}, {w.end for w in words}
        assert all(start in starts for start, _, _ in cues)
        assert all(end in ends or end == round(start + 0.8, 3) for start, end, _ in cues)


def test_two_lines_are_balanced() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve"
    (cue,) = build_cues(transcript_of(segment_of(words_at(0.0, text, step=0.2))))
    assert len(cue.lines) == 2
    assert abs(len(cue.lines[0]) - len(cue.lines[1])) <= 8, cue.lines


def test_a_pause_starts_a_new_cue() -> None:
    words = (*words_at(0.0, "before the pause"), *words_at(4.0, "after it"))
    cues = build_cues(transcript_of(segment_of(words)))
    assert [c.lines for c in cues] == [("before the pause",), ("after it",)]
    assert cues[1].start == 4.0


def test_segments_without_word_times_are_spread_over_the_segment() -> None:
    segment = Segment(2.0, 14.0, LONG, ())
    cues = build_cues(transcript_of(segment))
    assert len(cues) >= 2
    assert cues[0].start == 2.0 and 14.0 - 0.002 <= cues[-1].end <= 14.0 + 0.8
    assert " ".join(" ".join(c.lines) for c in cues) == LONG


def test_overlapping_segments_never_show_two_cues_at_once() -> None:
    first = segment_of(words_at(0.0, "first words here"))  # ends at 1.12
    second = segment_of(words_at(1.0, "second words here"))
    cues = parse_cues(to_srt(transcript_of(first, second)), "srt")
    assert cues[0][1] <= cues[1][0]


def test_empty_transcript() -> None:
    assert to_srt(transcript_of()) == ""
    assert parse_cues(to_vtt(transcript_of()), "vtt") == []


def test_vtt_escapes_markup_and_srt_keeps_arrows_out_of_text() -> None:
    transcript = transcript_of(segment_of(words_at(0.0, "R&D <b> --> done")))
    assert "R&amp;D &lt;b&gt; --&gt; done" in to_vtt(transcript)
    assert parse_cues(to_srt(transcript), "srt")[0][2] == ["R&D <b> -> done"]


@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_ffmpeg_reads_the_files(tmp_path: Path, kind: str) -> None:
    """An independent parser (ffprobe's subtitle demuxers) sees the same cues."""
    words = words_at(10.0, LONG, step=0.3)
    transcript = transcript_of(segment_of(words), segment_of(words_at(40.0, "The end.")))
    text = to_srt(transcript) if kind == "srt" else to_vtt(transcript)
    path = tmp_path / f"subs.{kind}"
    path.write_text(text, encoding="utf-8")
    cmd = ["ffprobe", "-v", "error", "-show_entries", "packet=pts_time,duration_time"]
    result = subprocess.run(
        [*cmd, "-of", "json", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    packets = json.loads(result.stdout)["packets"]
    expected = parse_cues(text, kind)
    assert len(packets) == len(expected)
    for packet, (start, end, _) in zip(packets, expected, strict=True):
        assert float(packet["pts_time"]) == pytest.approx(start, abs=0.001)
        assert float(packet["duration_time"]) == pytest.approx(end - start, abs=0.001)

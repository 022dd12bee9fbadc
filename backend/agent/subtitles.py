"""SRT and WebVTT subtitles from a Transcript (pure functions, no I/O).

Segments are cut into cues of at most two lines of 42 characters (the usual broadcast
limit), no longer than 7 s, split at pauses; cue times come from the word times, a cue
shorter than 0.8 s being held until then if the next one leaves room.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from agent.transcribe import Segment, Transcript, Word

MAX_CHARS = 42
MAX_LINES = 2
MAX_CUE_S = 7.0
# A pause this long between words starts a new cue, so text is not on screen over silence.
PAUSE_S = 1.0
# A lone short word stays up long enough to be read, if the next cue leaves room.
MIN_CUE_S = 0.8


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from `start` to `end` seconds, one to MAX_LINES lines."""

    start: float
    end: float
    lines: tuple[str, ...]


def to_srt(transcript: Transcript) -> str:
    """The transcript as SubRip text (numbered cues, `00:00:01,234` times)."""
    blocks = [
        f"{n}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n"
        + "\n".join(line.replace("-->", "->") for line in c.lines)
        for n, c in enumerate(build_cues(transcript), 1)
    ]
    return "".join(block + "\n\n" for block in blocks)


def to_vtt(transcript: Transcript) -> str:
    """The transcript as WebVTT text (`WEBVTT` header, numbered cues, `00:00:01.234` times)."""
    blocks = [
        f"{n}\n{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n"
        + "\n".join(_vtt_escape(line) for line in c.lines)
        for n, c in enumerate(build_cues(transcript), 1)
    ]
    return "WEBVTT\n\n" + "".join(block + "\n\n" for block in blocks)


def build_cues(
    transcript: Transcript, max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES
) -> list[Cue]:
    """The transcript cut into cues, in time order and never overlapping."""
    cues: list[Cue] = []
    for segment in transcript.segments:
        for group in _groups(_words_of(segment), max_chars, max_lines):
            lines = _wrap([w.text for w in group], max_chars, max_lines)
            if lines is None:  # one word longer than the lines: show it on its own anyway
                lines = (" ".join(w.text for w in group),)
            cues.append(Cue(group[0].start, group[-1].end, lines))
    # Whisper's segments may touch or overlap by a few ms; players then show two cues at once.
    fixed: list[Cue] = []
    for i, cue in enumerate(cues):
        start = max(cue.start, fixed[-1].end) if fixed else cue.start
        end = max(cue.end, start + MIN_CUE_S)
        if i + 1 < len(cues):
            end = max(start + 0.001, min(end, cues[i + 1].start))
        fixed.append(Cue(round(start, 3), round(end, 3), cue.lines))
    return fixed


def _words_of(segment: Segment) -> list[Word]:
    """The segment's words; without word times, its text spread over it by length."""
    if segment.words:
        return [w for w in segment.words if w.text]
    texts = segment.text.split()
    total = sum(len(t) + 1 for t in texts)
    words, at = [], segment.start
    span = max(0.0, segment.end - segment.start)
    for text in texts:
        length = span * (len(text) + 1) / total
        words.append(Word(at, at + length, text, 1.0))
        at += length
    return words


def _groups(words: list[Word], max_chars: int, max_lines: int) -> Iterator[list[Word]]:
    """Consecutive runs of words, each fitting one cue: split at pauses, then balanced."""
    run: list[Word] = []
    for word in words:
        if run and word.start - run[-1].end >= PAUSE_S:
            yield from _balanced(run, max_chars, max_lines)
            run = []
        run.append(word)
    if run:
        yield from _balanced(run, max_chars, max_lines)


def _balanced(words: list[Word], max_chars: int, max_lines: int) -> list[list[Word]]:
    """The fewest cues, as even as possible, preferring breaks after punctuation.

    Greedy filling leaves a lone "hand." as the last cue; a shortest-path over the break
    points (each cue's cost growing with its unused room) spreads the words out instead.
    """
    room = max_chars * max_lines
    lengths = [len(w.text) for w in words]
    cost = [0.0] + [float("inf")] * len(words)
    back = [0] * (len(words) + 1)
    for end in range(1, len(words) + 1):
        chars = -1
        for begin in range(end - 1, -1, -1):
            chars += lengths[begin] + 1
            span = words[end - 1].end - words[begin].start
            fits = chars <= room and span <= MAX_CUE_S
            fits = fits and _fits(lengths[begin:end], max_chars, max_lines)
            # A single word always gets a cue; widening a cue that does not fit never helps.
            if begin < end - 1 and not fits:
                break
            penalty = 0 if end == len(words) or words[end - 1].text[-1] in ".,;:!?" else 300
            total = cost[begin] + 10_000 + (room - chars) ** 2 + penalty
            if total < cost[end]:
                cost[end], back[end] = total, begin
    groups, end = [], len(words)
    while end > 0:
        groups.append(words[back[end] : end])
        end = back[end]
    return groups[::-1]


def _fits(lengths: list[int], max_chars: int, max_lines: int) -> bool:
    """Whether words of these lengths fit on `max_lines` lines (greedy filling is optimal)."""
    lines, used = 1, -1
    for length in lengths:
        if used + 1 + length <= max_chars:
            used += 1 + length
        else:
            lines, used = lines + 1, length
    return lines <= max_lines and used <= max_chars


def _wrap(texts: list[str], max_chars: int, max_lines: int) -> tuple[str, ...] | None:
    """The words on one line if they fit, else on up to `max_lines` lines of `max_chars`
    as even as possible; None when they do not fit."""
    line = " ".join(texts)
    if len(line) <= max_chars:
        return (line,)
    best: tuple[str, ...] | None = None
    for cut in range(1, len(texts) if max_lines > 1 else 0):
        head = " ".join(texts[:cut])
        if len(head) > max_chars:
            break
        rest = _wrap(texts[cut:], max_chars, max_lines - 1)
        option = None if rest is None else (head, *rest)
        # Even lines read faster than a long line over a short one.
        if option and (best is None or max(map(len, option)) < max(map(len, best))):
            best = option
    return best


def _stamp(seconds: float, separator: str) -> str:
    """HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT)."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: a bare & or < would start an entity or a tag.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

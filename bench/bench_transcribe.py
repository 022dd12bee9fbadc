"""Time offline transcription (faster-whisper tiny.en, int8) on a ~5-minute espeak-ng clip.

Usage: .venv/bin/python bench/bench_transcribe.py [--seconds 300] [--repeat 3]
Prints wall time (decode + VAD + decoding, model already loaded; best and median of the
rounds), x real time, CPU seconds, word count and word error rate against the script, for
beam size 1/5 and cpu_threads 1/2. The clip is
generated once into /tmp and reused. Goal on the 2-core machine: 8x real time or faster.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1] / "backend"
GOAL = 8.0
GAP_S = 0.6
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Video editing is fun when the tools stay out of the way.",
    "Every clip on the timeline has a start, an end and a source.",
    "We recorded the interview in the morning, before the light changed.",
    "Cut the pause after the second question and keep the laugh.",
    "The camera was set to twenty five frames per second.",
    "Please move the title card two seconds later.",
    "A good story needs a beginning, a middle and an end.",
    "The weather turned cold, so the crew packed up early.",
    "Music under the opening shot should fade in slowly.",
    "She opened the window and listened to the rain on the roof.",
    "Our team will review the draft on Thursday afternoon.",
    "The river runs past the old mill and under the stone bridge.",
    "Trim the last frame of the shot so the flash disappears.",
    "He said the coffee machine on the third floor is broken again.",
    "Subtitles help people watch videos without sound.",
    "Remember to export the final version in high quality.",
    "The children ran across the field toward the little red house.",
    "Search the footage for every time someone mentions the budget.",
    "Add a short cross dissolve between the two outdoor scenes.",
    "The library closes at nine o'clock on weekdays.",
    "Bright colors look different on every screen.",
    "This sentence is here to make the recording a little longer.",
    "Thank you for watching, and see you in the next episode.",
]


def script(seconds: float) -> list[tuple[float, str]]:
    """Sentences end to end with short gaps, cycling the list, filling about `seconds`."""
    from tests.agent.speech import speech_bounds, synthesize

    phrases: list[tuple[float, str]] = []
    at, i = 0.5, 0
    while True:
        text = SENTENCES[i % len(SENTENCES)]
        synthesize(text)
        length = speech_bounds(text)[1]
        if at + length + 0.5 > seconds:
            return phrases
        phrases.append((round(at, 3), text))
        at += length + GAP_S
        i += 1


def normalize(text: str) -> list[str]:
    """Lower-case words without punctuation, for the error rate."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / len(reference), by edit distance."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            cost = previous[j - 1] + (ref != hyp)
            current.append(min(cost, previous[j] + 1, current[j - 1] + 1))
        previous = current
    return previous[-1] / max(1, len(reference))


def main() -> None:
    """Make (or reuse) the clip, transcribe it with each setting and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    sys.path.insert(0, str(BACKEND))
    from agent.transcribe import Transcript, WhisperTranscriber
    from tests.agent.speech import make_speech

    phrases = script(options.seconds)
    # Named by the script, so a changed script never reuses a clip that speaks another one.
    digest = hashlib.sha1(repr(phrases).encode()).hexdigest()[:10]
    clip = Path(tempfile.gettempdir()) / f"vedit-bench-speech-{options.seconds:g}s-{digest}.mp4"
    if not clip.exists():
        make_speech(clip, phrases, options.seconds)
    reference = normalize(" ".join(text for _, text in phrases))
    print(f"clip: {clip} ({options.seconds:g} s, {len(phrases)} sentences, {len(reference)} words)")
    configs = [(beam, threads) for beam in (1, 5) for threads in (1, 2)]
    transcribers, loads = {}, {}
    for beam, threads in configs:
        transcribers[beam, threads] = WhisperTranscriber(beam_size=beam, cpu_threads=threads)
        start = time.perf_counter()
        transcribers[beam, threads].model()
        loads[beam, threads] = time.perf_counter() - start
    walls: dict[tuple[int, int], list[float]] = {c: [] for c in configs}
    cpus: dict[tuple[int, int], list[float]] = {c: [] for c in configs}
    results: dict[tuple[int, int], Transcript] = {}
    # Rounds interleave the settings, so a burst of load from other work hits them all alike.
    for _ in range(options.repeat):
        for config in configs:
            cpu_start, start = cpu_seconds(), time.perf_counter()
            results[config] = transcribers[config].transcribe(clip)
            walls[config].append(time.perf_counter() - start)
            cpus[config].append(cpu_seconds() - cpu_start)
    print(
        "| beam | cpu_threads | load s | wall s (best) | wall s (median) | x real time (best)"
        " | CPU s | words | WER | goal |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for config in configs:
        words = results[config].words
        wer = word_error_rate(reference, normalize(" ".join(w.text for w in words)))
        best, median = min(walls[config]), statistics.median(walls[config])
        print(
            f"| {config[0]} | {config[1]} | {loads[config]:.2f} | {best:.2f} | {median:.2f} "
            f"| {results[config].duration_s / best:.1f}x | {statistics.median(cpus[config]):.1f} "
            f"| {len(words)} | {wer:.1%} | {GOAL:g}x |"
        )


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (ffmpeg, ffprobe)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()

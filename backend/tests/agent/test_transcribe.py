"""Offline speech-to-text on espeak-ng speech: the words, their times, and no invented words."""

from __future__ import annotations

import json
import re
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from agent.subtitles import to_srt, to_vtt
from agent.transcribe import Transcript, WhisperTranscriber, _snap, get_local_transcriber
from tests.agent.conftest import make_video
from tests.agent.speech import make_speech, make_tone_and_silence, phrase_onsets, speech_bounds
from tests.agent.test_subtitles import parse_cues
from utils.probe import MediaError

FOX = "the quick brown fox jumps over the lazy dog"
FUN = "video editing is fun"
# tiny.en mishears "video editing is fun" on its own (it is fine after the fox sentence), so
# the short clips speak sentences it knows without context.
WELCOME = "good morning everyone and welcome to the show"
THANKS = "thank you very much for watching this video"
PHRASES = [(1.0, FOX), (5.0, FUN)]
SECONDS = 9.0
# Close enough to cut on: a frame or so off is fine, a word off is not.
TOLERANCE_S = 0.3


def spoken(transcript: Transcript) -> list[str]:
    """The recognised words, lower-case, without punctuation."""
    return [re.sub(r"[^a-z0-9']", "", w.text.lower()) for w in transcript.words]


def heard(transcript: Transcript, sentence: str) -> bool:
    """Whether all but at most one word of `sentence` were recognised, in order."""
    words, found, at = spoken(transcript), 0, 0
    for word in sentence.split():
        if word in words[at:]:
            at = words.index(word, at) + 1
            found += 1
    return found >= len(sentence.split()) - 1


@pytest.fixture(scope="session")
def transcriber() -> WhisperTranscriber:
    """The process-wide transcriber with its model loaded once for the session."""
    local = get_local_transcriber()
    local.model()
    return local


@pytest.fixture(scope="session")
def speech_clip(media: Path) -> Path:
    """9 s of testsrc2 with the fox sentence at 1 s and "video editing is fun" at 5 s."""
    return make_speech(media / "speech.mp4", PHRASES, SECONDS)


@pytest.fixture(scope="session")
def transcribed(
    transcriber: WhisperTranscriber, speech_clip: Path
) -> tuple[Transcript, list[float]]:
    """The clip's transcript and every progress fraction reported while making it."""
    reported: list[float] = []
    return transcriber.transcribe(speech_clip, progress=reported.append), reported


def test_transcript_contains_the_spoken_words(transcribed: tuple[Transcript, list[float]]) -> None:
    transcript, _ = transcribed
    words = spoken(transcript)
    # tiny.en mishears an odd word of synthetic speech ("brown fox" as "roundfoc" with a
    # beam of 1); the sentences must still be there.
    reference = f"{FOX} {FUN}".split()
    assert sum(word in words for word in reference) >= 0.65 * len(reference), words
    for word in ("quick", "lazy", "dog", "video", "editing", "fun"):
        assert word in words, words
    assert words.index("quick") < words.index("dog") < words.index("video") < words.index("fun")
    assert transcript.language == "en"
    assert transcript.model == "faster-whisper/tiny.en"
    assert transcript.duration_s == pytest.approx(SECONDS, abs=0.1)
    assert all(s.text == s.text.strip() and s.text for s in transcript.segments)
    assert all(w.text == w.text.strip() and w.text for w in transcript.words)


def test_word_times_match_where_the_phrases_were_placed(
    transcribed: tuple[Transcript, list[float]],
) -> None:
    transcript, _ = transcribed
    words = spoken(transcript)
    fox_onset, fun_onset = phrase_onsets(PHRASES)
    fox_end = PHRASES[0][0] + speech_bounds(FOX)[1]
    first = transcript.words[words.index("the")]
    video = transcript.words[words.index("video")]
    dog = transcript.words[words.index("dog")]
    assert abs(first.start - fox_onset) <= TOLERANCE_S, (first, fox_onset)
    assert abs(video.start - fun_onset) <= TOLERANCE_S, (video, fun_onset)
    assert abs(dog.end - fox_end) <= TOLERANCE_S, (dog, fox_end)
    times = [t for w in transcript.words for t in (w.start, w.end)]
    assert times == sorted(times)
    assert times[0] >= 0 and times[-1] <= transcript.duration_s
    assert all(t == round(t, 3) for t in times)
    for segment in transcript.segments:
        assert segment.start == segment.words[0].start
        assert segment.end == segment.words[-1].end


def test_word_edges_snap_to_the_sound_they_cover() -> None:
    # 10 ms frames: silence, then sound from 1.0 s to 2.0 s, then silence.
    silent = np.array([True] * 100 + [False] * 100 + [True] * 100)
    assert _snap(0.5, 1.5, 0.0, silent) == (1.0, 1.5)  # a start inside the pause moves in
    assert _snap(1.2, 2.6, 1.1, silent) == (1.2, 2.0)  # so does an end
    assert _snap(1.4, 1.9, 0.0, silent) == (1.0, 1.9)  # sound no word was given joins it
    assert _snap(1.4, 1.9, 1.2, silent) == (1.4, 1.9)  # ... unless an earlier word has it
    assert _snap(2.2, 2.5, 0.0, silent) == (2.2, 2.5)  # all silence: left alone


def test_progress_rises_to_one(transcribed: tuple[Transcript, list[float]]) -> None:
    _, reported = transcribed
    assert reported, "progress was never called"
    assert reported == sorted(reported)
    assert all(0.0 <= p <= 1.0 for p in reported)
    assert reported[-1] >= 0.99


def test_tone_and_silence_give_no_words(transcriber: WhisperTranscriber, media: Path) -> None:
    reported: list[float] = []
    clip = make_tone_and_silence(media / "tone.wav", tone_s=3.0, silence_s=3.0)
    transcript = transcriber.transcribe(clip, progress=reported.append)
    assert transcript.segments == ()
    assert transcript.duration_s == pytest.approx(6.0, abs=0.05)
    assert reported[-1] == 1.0


@pytest.mark.parametrize("suffix", [".wav", ".m4a"])
def test_audio_only_files(transcriber: WhisperTranscriber, media: Path, suffix: str) -> None:
    clip = make_speech(media / f"speech{suffix}", [(0.5, WELCOME)], 5.0, video=False)
    transcript = transcriber.transcribe(clip)
    assert heard(transcript, WELCOME), transcript.text
    assert transcript.duration_s == pytest.approx(5.0, abs=0.1)


def test_video_without_audio_gives_an_empty_transcript(
    transcriber: WhisperTranscriber, media: Path
) -> None:
    clip = make_video(media / "silent-film.mp4", seconds=2.0, audio=False)
    reported: list[float] = []
    transcript = transcriber.transcribe(clip, progress=reported.append)
    assert transcript.segments == ()
    assert transcript.duration_s == pytest.approx(2.0, abs=0.1)
    assert reported == [1.0]


def test_a_file_that_is_not_media_raises_media_error(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video at all\n" * 20)
    with pytest.raises(MediaError):
        transcriber.transcribe(junk)


def test_dict_round_trip_through_json(transcribed: tuple[Transcript, list[float]]) -> None:
    transcript, _ = transcribed
    data = json.loads(json.dumps(transcript.to_dict()))
    assert Transcript.from_dict(data) == transcript
    assert set(data["segments"][0]["words"][0]) == {"start", "end", "text", "probability"}


def test_subtitles_of_a_real_transcript_parse(transcribed: tuple[Transcript, list[float]]) -> None:
    transcript, _ = transcribed
    for cues in (parse_cues(to_srt(transcript), "srt"), parse_cues(to_vtt(transcript), "vtt")):
        assert cues, "no cues"
        assert " ".join(line for cue in cues for line in cue[2]).split() == [
            w.text for w in transcript.words
        ]
        assert cues[0][0] == pytest.approx(transcript.words[0].start, abs=0.001)


def test_model_loads_once_and_offline(monkeypatch: pytest.MonkeyPatch, media: Path) -> None:
    """A fresh transcriber loads its model and VAD with the network unreachable."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            no_network(address)
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    fresh = WhisperTranscriber()
    models: list[object] = []
    threads = [threading.Thread(target=lambda: models.append(fresh.model())) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(models) == 3 and all(m is models[0] for m in models)
    clip = make_speech(media / "offline.wav", [(0.5, THANKS)], 5.0, video=False)
    transcript = fresh.transcribe(clip)
    assert heard(transcript, THANKS), transcript.text

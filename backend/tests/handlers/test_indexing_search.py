"""Upload -> index -> transcript, shots, search: the whole AI pipeline through the HTTP API,
on real models, with media whose words, cuts, colours and on-screen text are known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runtime import Runtime
from tests.agent.speech import make_speech
from tests.handlers.asset_helpers import project_for, upload, wait_indexed
from tests.support import login

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
CUT_S = 4.0
# Phrases Whisper tiny.en hears reliably in espeak-ng's voice.
PHRASES = [(0.5, "the weather today is sunny and warm"), (5.0, "video editing is fun")]


def ffmpeg(*args: str) -> None:
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s: a red shot titled KESTREL, a hard cut at 4 s to blue; speech over both."""
    folder = tmp_path_factory.mktemp("talk")
    speech = make_speech(folder / "speech.wav", PHRASES, seconds=8.0, video=False)
    title = f"drawtext=fontfile={FONT}:text=KESTREL:fontsize=64:fontcolor=white:x=40:y=80"
    graph = (
        f"color=c=red:size=480x270:rate=25:duration={CUT_S},{title}[a];"
        f"color=c=blue:size=480x270:rate=25:duration={8 - CUT_S}[b];"
        "[a][b]concat=n=2:v=1:a=0[v]"
    )
    out = folder / "talk.mp4"
    ffmpeg(
        "-filter_complex", graph, "-i", str(speech), "-map", "[v]", "-map", "0:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-ar", "48000", "-movflags", "+faststart", str(out),
    )  # fmt: skip
    return out


@pytest.fixture
def indexed(committed: Runtime, make_client, talk: Path) -> tuple[TestClient, str, str]:
    client = make_client()
    pid = project_for(client)
    created = upload(client, pid, talk, "interview.mp4", "video/mp4")
    assert created.status_code == 201, created.text
    aid = created.json()["asset"]["id"]
    asset = wait_indexed(client, pid, aid, timeout=300)
    assert asset["indexing_status"] == "completed", asset.get("indexing_error")
    return client, pid, aid


def test_an_uploaded_video_becomes_searchable(indexed: tuple[TestClient, str, str]) -> None:
    client, pid, aid = indexed
    base = f"/projects/{pid}/assets/{aid}"
    asset = client.get(base).json()["asset"]
    for stage in ("transcribe", "shots", "summarise", "embed"):
        assert asset["stages"][stage]["status"] == "completed", stage
    assert {"transcript", "shots", "summary"} <= set(asset["renditions"])

    transcript = client.get(f"{base}/transcript").json()
    assert transcript["language"] == "en"
    words = [w["text"].strip(".,!?").lower() for s in transcript["segments"] for w in s["words"]]
    assert "sunny" in words and "editing" in words
    editing = next(
        w for s in transcript["segments"] for w in s["words"] if "editing" in w["text"].lower()
    )
    assert 5.0 < editing["start"] < 6.5  # "video" starts at about 5.0 s; "editing" follows

    srt = client.get(f"{base}/transcript", params={"format": "srt"})
    assert srt.headers["content-type"].startswith("application/x-subrip")
    assert srt.text.startswith("1\n00:00:") and " --> " in srt.text
    vtt = client.get(f"{base}/transcript", params={"format": "vtt"})
    assert vtt.text.startswith("WEBVTT") and "sunny" in vtt.text.lower()

    shots = client.get(f"{base}/shots").json()["shots"]
    assert len(shots) == 2
    assert abs(shots[1]["start"] - CUT_S) <= 0.04  # within one frame at 25 fps
    assert "KESTREL" in shots[0]["ocr_text"].upper()
    assert shots[1]["ocr_text"] == ""
    red = shots[0]["colors"][0]["hex"]
    assert int(red[1:3], 16) > 180 and int(red[3:5], 16) < 80
    keyframe = client.get(shots[1]["keyframe_url"])
    assert keyframe.status_code == 200
    assert keyframe.headers["content-type"] == "image/jpeg"
    assert keyframe.content[:2] == b"\xff\xd8"

    hits = client.get(f"/projects/{pid}/search", params={"q": "kestrel"}).json()["results"]
    assert hits[0]["kind"] == "shot" and hits[0]["asset_id"] == aid
    assert (hits[0]["start"], hits[0]["end"]) == (0.0, pytest.approx(CUT_S, abs=0.04))
    hits = client.get(
        f"/projects/{pid}/search", params={"q": "a hot summer day", "mode": "semantic"}
    ).json()["results"]
    assert hits[0]["asset_id"] == aid and hits[0]["start"] < 4.0
    hits = client.get(f"/projects/{pid}/search", params={"q": "editing"}).json()["results"]
    top = hits[0]
    assert top["kind"] == "transcript" and top["matched_words"]
    assert top["start"] == pytest.approx(editing["start"], abs=0.01)
    blue = client.get(f"/projects/{pid}/search", params={"q": "blue", "mode": "keyword"})
    assert [(h["kind"], h["start"]) for h in blue.json()["results"]][:1] == [
        ("shot", pytest.approx(CUT_S, abs=0.04))
    ]


def test_transcripts_and_shots_are_private(
    indexed: tuple[TestClient, str, str], make_client
) -> None:
    _, pid, aid = indexed
    other = make_client()
    login(other)
    for path in ("transcript", "shots", "shots/0/keyframe", "summary"):
        response = other.get(f"/projects/{pid}/assets/{aid}/{path}")
        assert response.status_code == 404, path
    search = other.get(f"/projects/{pid}/search", params={"q": "fox"})
    assert search.status_code == 404


def test_audio_has_a_transcript_but_no_shots(
    committed: Runtime, make_client, tmp_path: Path
) -> None:
    client = make_client()
    pid = project_for(client)
    audio = make_speech(tmp_path / "memo.m4a", PHRASES, seconds=8.0, video=False)
    aid = upload(client, pid, audio, "memo.m4a", "audio/mp4").json()["asset"]["id"]
    assert wait_indexed(client, pid, aid, timeout=180)["indexing_status"] == "completed"
    base = f"/projects/{pid}/assets/{aid}"
    text = " ".join(s["text"] for s in client.get(f"{base}/transcript").json()["segments"])
    assert "sunny" in text.lower()
    response = client.get(f"{base}/shots")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "shots_not_available"

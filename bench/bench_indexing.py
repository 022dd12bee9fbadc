"""Indexing benchmark: a 5-minute 720p clip with speech, hard cuts and on-screen titles,
uploaded over HTTP to a real server; every stage's time as a multiple of real time.

    .venv/bin/python bench/bench_indexing.py [--seconds 300] [--shot-s 10]

Starts `python main.py` on the embedded default in a temporary DATA_DIR (in-process jobs),
so the figures include the database writes and storage of a real run. The goal: the AI
stages (transcribe, shots, summarise, embed) together at 5x real time or faster.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from tests.agent.speech import make_speech  # noqa: E402
from tests.support import ServerProcess, wait_for  # noqa: E402

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
AI_STAGES = ("transcribe", "shots", "summarise", "embed")
COLOURS = ["navy", "darkgreen", "maroon", "teal", "purple", "olive", "gray", "black"]
SENTENCES = [
    "welcome back to the channel where we cut video together",
    "today we look at the weather and how it changes the light",
    "the camera follows the river down to the old stone bridge",
    "our editor trims the interview to keep only the best answers",
    "music fades in as the title card appears on the screen",
    "the quarterly results were better than anyone expected",
    "a storm moved in over the mountains late in the afternoon",
    "she explained how the sound was recorded on location",
    "the final scene shows the city lights at night",
    "thank you for watching and see you in the next episode",
]


def make_clip(folder: Path, seconds: int, shot_s: int) -> Path:
    """Speech every 5 s; a hard cut every `shot_s` s; a title on every third shot."""
    phrases = [(t + 0.5, SENTENCES[(t // 5) % len(SENTENCES)]) for t in range(0, seconds - 4, 5)]
    speech = make_speech(folder / "speech.wav", phrases, seconds=float(seconds), video=False)
    shots = seconds // shot_s
    graph = []
    for i in range(shots):
        if i % 2:
            src = f"color=c={COLOURS[i % len(COLOURS)]}:size=1280x720:rate=25:duration={shot_s}"
        else:
            src = f"testsrc2=size=1280x720:rate=25:duration={shot_s}"
        if i % 3 == 0:
            src += (
                f",drawtext=fontfile={FONT}:text=CHAPTER {i // 3 + 1}:fontsize=72:"
                "fontcolor=white:box=1:boxcolor=black@0.6:x=80:y=80"
            )
        graph.append(f"{src}[v{i}]")
    graph.append("".join(f"[v{i}]" for i in range(shots)) + f"concat=n={shots}:v=1:a=0[v]")
    out = folder / "talk.mp4"
    subprocess.run(
        [*FF, "-filter_complex", ";".join(graph), "-i", str(speech), "-map", "[v]",
         "-map", "0:a", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-ar", "48000", "-ac", "2", "-movflags", "+faststart", str(out)],
        check=True,
    )  # fmt: skip
    return out


def seconds_between(start: str | None, end: str | None) -> float:
    if not start or not end:
        return float("nan")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--shot-s", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-indexing-") as tmp:
        tmpdir = Path(tmp)
        print(f"making a {args.seconds} s 720p25 clip with speech ...", flush=True)
        started = time.perf_counter()
        clip = make_clip(tmpdir, args.seconds, args.shot_s)
        print(f"  made in {time.perf_counter() - started:.0f} s", flush=True)
        env = {"DATA_DIR": str(tmpdir / "data"), "DATABASE_URL": "", "REDIS_RQ_URL": ""}
        server = ServerProcess(
            {**env, "REDIS_AUTH_URL": "", "LOG_LEVEL": "WARNING"}, tmpdir / "log"
        )
        server.start()
        try:
            http = httpx.Client(base_url=server.url, timeout=600)
            http.headers["Authorization"] = "Bearer " + http.post("/auth/session").json()["token"]
            pid = http.post("/projects", json={"name": "bench"}).json()["project"]["id"]
            with open(clip, "rb") as handle:
                files = {"file": ("talk.mp4", handle, "video/mp4")}
                asset = http.post(f"/projects/{pid}/assets", files=files).json()["asset"]
            url = f"/projects/{pid}/assets/{asset['id']}"
            state: dict = {}

            def indexed() -> bool:
                state.update(http.get(url).json()["asset"])
                stage = state.get("indexing_stage") or ""
                print(f"\r  indexing {state['indexing_progress']:5.1f}% {stage:<12}", end="")
                return state["indexing_status"] in ("completed", "failed")

            wait_for(indexed, 3600, 0.5)
            print()
            assert state["indexing_status"] == "completed", state["indexing_error"]
            report(args.seconds, state)
            shots = http.get(f"{url}/shots").json()["shots"]
            words = sum(len(s["words"]) for s in http.get(f"{url}/transcript").json()["segments"])
            titled = sum(1 for s in shots if "CHAPTER" in s["ocr_text"].upper())
            made = args.seconds // args.shot_s
            print(f"\nshots found {len(shots)} of {made}; titles read {titled} of {-(-made // 3)}")
            print(f"words transcribed: {words}")
        finally:
            server.stop()
            os.sync()


def report(seconds: int, state: dict) -> None:
    stages = sorted(state["stages"].items(), key=lambda kv: kv[1]["started_at"])
    print("\n| stage | seconds | x real time |\n|---|---:|---:|")
    ai = previews = 0.0
    for name, stage in stages:
        secs = seconds_between(stage["started_at"], stage["completed_at"])
        if name in AI_STAGES:
            ai += secs
        else:
            previews += secs
        print(f"| {name} | {secs:.2f} | {seconds / secs:.1f}x |")
    total = seconds_between(state["indexing_started_at"], state["indexing_completed_at"])
    print(f"| **previews (probe..proxy)** | {previews:.2f} | {seconds / previews:.1f}x |")
    print(f"| **AI stages (transcribe..embed)** | {ai:.2f} | {seconds / ai:.1f}x |")
    print(f"| **whole pipeline** | {total:.2f} | {seconds / total:.1f}x |")


if __name__ == "__main__":
    main()

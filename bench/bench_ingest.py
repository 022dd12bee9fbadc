"""Ingest benchmark: upload a 60 s 1080p30 stereo clip over HTTP and time every stage.

Also measures the server's peak RSS while a 1 GiB file is uploaded.

    .venv/bin/python bench/bench_ingest.py [--seconds 60] [--big-gib 1.0]

Starts `python main.py` on the embedded default in a temporary DATA_DIR.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from tests.support import ServerProcess, wait_for  # noqa: E402

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]


def make_clip(path: Path, seconds: int) -> None:
    subprocess.run(
        [
            *FF,
            "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-ac", "2", "-c:a", "aac", "-b:a", "128k",
            "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", str(path),
        ],
        check=True,
    )  # fmt: skip


def make_big_wav(path: Path, gib: float) -> None:
    # 8 channels of 32-bit PCM at 48 kHz is 1.5 MB/s: a big real media file, made fast.
    seconds = int(gib * 1024**3 / (48000 * 8 * 4))
    subprocess.run(
        [
            *FF,
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-af", "pan=7.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0|c6=c0|c7=c0",
            "-c:a", "pcm_s32le", str(path),
        ],
        check=True,
    )  # fmt: skip


def seconds_between(start: str | None, end: str | None) -> float:
    if not start or not end:
        return float("nan")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def upload(http: httpx.Client, pid: str, path: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    with open(path, "rb") as handle:
        response = http.post(f"/projects/{pid}/assets", files={"file": (path.name, handle)})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return response.json()["asset"], elapsed


def peak_rss_during(proc: psutil.Process, action) -> tuple[float, float]:
    """Run `action` while sampling the server's RSS; return (baseline MiB, peak MiB)."""
    baseline = proc.memory_info().rss
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        action()
    finally:
        stop.set()
        sampler.join()
    return baseline / 2**20, peak[0] / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--big-gib", type=float, default=1.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmpdir = Path(tmp)
        print(f"making a {args.seconds} s 1080p30 clip ...", flush=True)
        clip = tmpdir / "clip.mp4"
        make_clip(clip, args.seconds)
        env = {
            "DATA_DIR": str(tmpdir / "data"),
            "DATABASE_URL": "",
            "REDIS_RQ_URL": "",
            "REDIS_AUTH_URL": "",
            "LOG_LEVEL": "WARNING",
        }
        server = ServerProcess(env, tmpdir / "server.log")
        server.start()
        try:
            http = httpx.Client(base_url=server.url, timeout=600)
            http.headers["Authorization"] = "Bearer " + http.post("/auth/session").json()["token"]
            pid = http.post("/projects", json={"name": "bench"}).json()["project"]["id"]

            asset, upload_s = upload(http, pid, clip)
            url = f"/projects/{pid}/assets/{asset['id']}"
            state: dict = {}

            def indexed() -> bool:
                state.update(http.get(url).json()["asset"])
                print(f"\r  indexing {state['indexing_progress']:5.1f}%", end="", flush=True)
                return state["indexing_status"] in ("completed", "failed")

            wait_for(indexed, 900, 0.25)
            print()
            assert state["indexing_status"] == "completed", state["indexing_error"]
            size_mb = clip.stat().st_size / 1e6
            rows = [("upload", upload_s, f"{size_mb / upload_s:.0f} MB/s")]
            ordered = sorted(state["stages"].items(), key=lambda kv: kv[1]["started_at"])
            for name, stage in ordered:
                rows.append((name, seconds_between(stage["started_at"], stage["completed_at"]), ""))
            total = seconds_between(state["indexing_started_at"], state["indexing_completed_at"])
            rows.append(("indexing total", total, ""))

            print(f"\ningest of a {args.seconds} s 1080p30 H.264 clip ({size_mb:.1f} MB)\n")
            print(f"| {'stage':<16} | {'seconds':>8} | {'x real time':>11} | {'note':<10} |")
            print(f"|{'-' * 18}|{'-' * 10}|{'-' * 13}|{'-' * 12}|")
            for name, secs, note in rows:
                speed = args.seconds / secs if secs > 0 else float("inf")
                print(f"| {name:<16} | {secs:8.2f} | {speed:10.1f}x | {note:<10} |")

            if args.big_gib > 0:
                print(f"\nmaking a {args.big_gib:.1f} GiB WAV ...", flush=True)
                big = tmpdir / "big.wav"
                make_big_wav(big, args.big_gib)
                proc = psutil.Process(server.proc.pid)
                result: dict = {}

                def send() -> None:
                    result["asset"], result["seconds"] = upload(http, pid, big)

                base, peak = peak_rss_during(proc, send)
                gib = big.stat().st_size / 2**30
                print(
                    f"\n| upload of {gib:.2f} GiB | {result['seconds']:.1f} s | "
                    f"{big.stat().st_size / 1e6 / result['seconds']:.0f} MB/s |"
                )
                print(
                    f"| server RSS before | {base:.0f} MiB | peak during | {peak:.0f} MiB |"
                    f" growth | {peak - base:.1f} MiB |"
                )
                http.delete(f"/projects/{pid}/assets/{result['asset']['id']}")
        finally:
            server.stop()
            os.sync()


if __name__ == "__main__":
    main()

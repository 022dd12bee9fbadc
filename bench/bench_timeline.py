"""Timeline benchmark: a 2,000-clip timeline (2 video + 2 audio tracks) edited 1,000 times
through HTTP on PostgreSQL; latency per op, bytes stored per version, reading old versions;
the same edits on our editor in-process and on an opentimelineio tree as references.

    .venv/bin/python bench/bench_timeline.py [--clips 2000] [--ops 1000] [--seed 1]

Starts its own embedded PostgreSQL server on a TCP port and `python main.py` against it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import opentimelineio as otio
import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "bench"))

from timeline_workload import OtioMirror, draw_op, rng  # noqa: E402

from database.embedded import EmbeddedPostgres  # noqa: E402
from database.models import Asset  # noqa: E402
from models.timeline_models import Timeline  # noqa: E402
from operators.timeline_editor import EditContext, InvalidOp, apply_op, parse_op  # noqa: E402
from operators.timeline_operator import to_asset_info  # noqa: E402
from tests.support import ServerProcess, free_port  # noqa: E402

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
MEDIA_SECONDS = 300


def make_media(tmp: Path) -> list[Path]:
    video = ["-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=24:duration={MEDIA_SECONDS}"]
    tone = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={MEDIA_SECONDS}"]
    paths = [tmp / "a.mp4", tmp / "b.mp4", tmp / "music.m4a"]
    for path in paths[:2]:
        subprocess.run([*FF, *video, *tone, "-c:v", "libx264", "-preset", "ultrafast",
                        "-c:a", "aac", "-shortest", str(path)], check=True)  # fmt: skip
    subprocess.run([*FF, *tone, "-c:a", "aac", str(paths[2])], check=True)
    return paths


def cpu_seconds(server: psutil.Process) -> float:
    """CPU time the server's threads have used: ns-exact from Linux's schedstat when there,
    else psutil's (in 10 ms ticks)."""
    try:
        return (
            sum(
                int(stat.read_text().split()[0])
                for stat in Path(f"/proc/{server.pid}/task").glob("*/schedstat")
            )
            / 1e9
        )
    except (OSError, ValueError, IndexError):
        return sum(server.cpu_times()[:2])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"| {name:<34} | {len(ms):5d} | {statistics.median(ms):8.2f} | {pct(ms, 0.95):8.2f} |"
            f" {pct(ms, 0.99):8.2f} | {max(ms):8.2f} |")  # fmt: skip


class Bench:
    def __init__(self, http: httpx.Client, pid: str, server: psutil.Process) -> None:
        self.http = http
        self.base = f"/projects/{pid}/timeline"
        self.version = 0
        self.server = server
        self.cpu = 0.0  # the server's CPU time for the last request

    def ops(self, ops: list[dict], full: bool = False) -> tuple[dict, float]:
        before = cpu_seconds(self.server)
        started = time.perf_counter()
        response = self.http.post(
            f"{self.base}/ops",
            json={"ops": ops, "return_timeline": full},
            headers={"X-Expected-Version": str(self.version)},
        )
        elapsed = time.perf_counter() - started
        self.cpu = cpu_seconds(self.server) - before
        assert response.status_code == 200, response.text
        body = response.json()
        self.version = body["version"]
        return body, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reads", type=int, default=20, help="random old versions to read")
    args = parser.parse_args()
    r = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as tmp:
        tmpdir = Path(tmp)
        pg = EmbeddedPostgres(tmpdir / "pg", port=free_port())
        url = pg.start()
        env = {"DATABASE_URL": url, "DATA_DIR": str(tmpdir / "data"), "LOG_LEVEL": "WARNING",
               "REDIS_RQ_URL": "", "REDIS_AUTH_URL": ""}  # fmt: skip
        server = ServerProcess(env, tmpdir / "server.log")
        server.start()
        try:
            assert server.proc is not None
            run(args, r, server.url, url, tmpdir, psutil.Process(server.proc.pid))
        finally:
            server.stop()
            pg.stop()


def run(
    args: argparse.Namespace,
    r: random.Random,
    base_url: str,
    db_url: str,
    tmp: Path,
    server: psutil.Process,
) -> None:
    http = httpx.Client(base_url=base_url, timeout=120)
    http.headers["Authorization"] = "Bearer " + http.post("/auth/session").json()["token"]
    pid = http.post("/projects", json={"name": "bench"}).json()["project"]["id"]
    assets: dict[str, tuple[str, int]] = {}
    infos = {}
    for path in make_media(tmp):
        with open(path, "rb") as handle:
            body = http.post(f"/projects/{pid}/assets", files={"file": (path.name, handle)})
        asset = body.json()["asset"]
        kind = "Audio" if asset["kind"] == "audio" else "Video"
        assets[asset["id"]] = (kind, int(asset["duration_s"] * 24) - 1)
        fps = asset["fps"] or {}
        # The server's own conversion, fed from the API's view of the asset.
        facts = Asset(
            id=uuid.UUID(asset["id"]),
            kind=asset["kind"],
            filename=asset["filename"],
            duration_s=asset["duration_s"],
            fps_num=fps.get("num"),
            fps_den=fps.get("den"),
            sample_rate=asset["sample_rate"],
            audio_codec=asset["audio_codec"],
        )
        infos[asset["id"]] = to_asset_info(facts)
    print("waiting for indexing to finish (so it does not compete for the CPU) ...", flush=True)
    for asset_id in assets:
        while http.get(f"/projects/{pid}/assets/{asset_id}").json()["asset"]["indexing_status"] in (
            "pending",
            "processing",
        ):
            time.sleep(0.5)
    bench = Bench(http, pid, server)
    assert http.post(bench.base, json={"name": "bench", "rate": 24}).status_code == 201
    body, _ = bench.ops([{"op": "add_track", "kind": k} for k in ("video",) * 2 + ("audio",) * 2])
    tracks = body["created_ids"]
    print(f"building a {args.clips}-clip timeline ...", flush=True)
    per_track = args.clips // len(tracks)
    build = []
    for index, track in enumerate(tracks):
        fitting = [a for a, (k, _) in assets.items() if k == ("Video" if index < 2 else "Audio")]
        for _ in range(per_track):
            asset = r.choice(fitting)
            length = r.randrange(24, 73)
            start = r.randrange(12, assets[asset][1] - length - 12)
            build.append({"op": "append_clip", "track_id": track, "asset_id": asset,
                          "source_range": rng(start, length)})  # fmt: skip
    for first in range(0, len(build), 500):
        bench.ops(build[first : first + 500])
    start_version = bench.version
    doc = Timeline.model_validate(http.get(bench.base).json()["timeline"])
    tree = otio.adapters.read_from_string(http.get(f"{bench.base}/export").text, "otio_json")
    mirror = OtioMirror(tree)

    print(f"applying {args.ops} random edits over HTTP ...", flush=True)
    http_times: list[float] = []
    http_cpu: list[float] = []
    local_times: list[float] = []
    otio_times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    skipped_otio = 0
    while len(http_times) < args.ops:
        op = draw_op(r, doc, assets)
        try:
            apply_op(doc, parse_op(op), EditContext(assets=infos))
        except InvalidOp:
            continue  # the workload sends only edits that apply
        body, elapsed = bench.ops([op])
        http_times.append(elapsed)
        http_cpu.append(bench.cpu)
        by_kind.setdefault(op["op"], []).append(elapsed)
        ctx = EditContext(assets=infos, new_id=iter(body["created_ids"]).__next__)
        started = time.perf_counter()
        doc = apply_op(doc, parse_op(op), ctx)
        local_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        try:
            mirror.apply(op, body["created_ids"])
        except (KeyError, ValueError, IndexError, StopIteration, AttributeError):
            skipped_otio += 1  # an id the simple mirror does not track
        else:
            otio_times.append(time.perf_counter() - started)
        if len(http_times) % 100 == 0:
            print(f"\r  {len(http_times)}/{args.ops}", end="", flush=True)
    print()
    full_times = []
    for _ in range(20):
        op = {"op": "rename_track", "track_id": tracks[0], "name": f"V{r.randrange(99)}"}
        full_times.append(bench.ops([op], full=True)[1])
        doc = apply_op(doc, parse_op(op), EditContext(assets=infos))

    server_doc = http.get(bench.base).json()["timeline"]
    assert server_doc == doc.model_dump(mode="json"), "the local mirror diverged from the server"
    print(f"\n{args.clips} clips on 4 tracks, {args.ops} random edits, one op per request\n")
    print(f"| {'':<34} |     n |  p50 ms |  p95 ms |  p99 ms |  max ms |")
    print(f"|{'-' * 36}|------:|--------:|--------:|--------:|--------:|")
    print(row("HTTP POST /timeline/ops (minimal)", http_times))
    print(row("  server CPU of those", http_cpu))
    print(row("HTTP POST /ops, full timeline back", full_times))
    print(row("our editor in-process (apply_op)", local_times))
    print(row("opentimelineio tree, in place", otio_times))
    for kind, values in sorted(by_kind.items()):
        print(row(f"  HTTP {kind}", values))
    ratio = statistics.median(local_times) / statistics.median(otio_times)
    print(f"\nour in-process p50 / OTIO in-place p50: {ratio:.1f}x ({skipped_otio} edits the OTIO"
          " mirror could not follow were left out)")  # fmt: skip

    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        versions, v_bytes, snaps = conn.execute(
            "SELECT count(*), sum(pg_column_size(v.*)), count(snapshot) FROM timeline_versions v"
            " WHERE version > %s", (start_version,)).fetchone()  # fmt: skip
        op_bytes = conn.execute(
            "SELECT sum(pg_column_size(o.*)) FROM timeline_ops o WHERE version > %s",
            (start_version,),
        ).fetchone()[0]
        snap_bytes = conn.execute(
            "SELECT avg(pg_column_size(snapshot)) FROM timeline_versions WHERE snapshot IS NOT NULL"
            " AND version > %s", (start_version,)).fetchone()[0]  # fmt: skip
    print(f"\n| storage over the {versions} edit versions | bytes |\n|---|---:|")
    print(f"| per version (version row + audit rows) | {(v_bytes + op_bytes) / versions:,.0f} |")
    print(f"| of which snapshots ({snaps} of them, {snap_bytes or 0:,.0f} B each) |"
          f" {(snap_bytes or 0) * snaps / versions:,.0f} |")  # fmt: skip
    print(f"| full timeline as JSON | {len(str(server_doc).encode()):,} |")

    reads, cpu = [], []
    current = bench.version
    targets = [max(current - 900, 0), *r.sample(range(start_version, current), args.reads)]
    for number in targets:
        before = cpu_seconds(server)
        started = time.perf_counter()
        response = http.get(bench.base, params={"version": number})
        reads.append(time.perf_counter() - started)
        # The server's CPU time (all its threads): steadier than wall time on a busy machine.
        cpu.append(cpu_seconds(server) - before)
        assert response.status_code == 200
    print(f"\n| {'read an old version (GET ?version=)':<34} |     n |  p50 ms |  p95 ms |  p99 ms |"
          f"  max ms |\n|{'-' * 36}|------:|--------:|--------:|--------:|--------:|")  # fmt: skip
    print(row(f"version {current - 900} (900 edits back)", reads[:1]))
    print(row("  server CPU of that one", cpu[:1]))
    print(row(f"{args.reads} random versions", reads[1:]))
    print(row(f"  server CPU of those {args.reads}", cpu[1:]))
    cached, cached_cpu = [], []
    for _ in range(20):
        before = cpu_seconds(server)
        started = time.perf_counter()
        assert http.get(bench.base).status_code == 200
        cached.append(time.perf_counter() - started)
        cached_cpu.append(cpu_seconds(server) - before)
    print(row("the current version (cached)", cached))
    print(row("  server CPU of those 20", cached_cpu))


if __name__ == "__main__":
    main()

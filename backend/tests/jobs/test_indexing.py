"""The indexing job called directly: duplicates, stage failures, the reaper."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from agent.pipeline import index_asset, index_lock_key
from database.locks import try_advisory_lock
from database.models import Asset
from database.session import session_scope
from jobs.recovery import recover_assets
from runtime import Runtime
from tests import media
from tests.factories import make_asset, make_project
from tests.support import wait_for


def new_asset(runtime: Runtime, path: Path, **fields: object) -> str:
    with session_scope(runtime.sessions) as db:
        project = make_project(db)
        return str(make_asset(db, runtime.storage, project, path, **fields).id)


def load(runtime: Runtime, asset_id: str) -> Asset:
    with session_scope(runtime.sessions) as db:
        asset = db.get(Asset, uuid.UUID(asset_id))
        assert asset is not None
        db.expunge(asset)
        return asset


def test_duplicate_runs_never_overlap(committed: Runtime, tmp_path: Path) -> None:
    asset_id = new_asset(committed, media.make_video(tmp_path / "v.mp4", seconds=2))
    results: list[str] = []
    start = threading.Barrier(3)

    def run() -> None:
        start.wait()
        results.append(index_asset(asset_id))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(results).count("completed") == 1
    assert set(results) <= {"completed", "busy", "skipped"}
    asset = load(committed, asset_id)
    assert asset.indexing_status == "completed"
    assert asset.indexing_attempts == 1


def test_held_lock_means_busy(committed: Runtime, tmp_path: Path) -> None:
    asset_id = new_asset(committed, media.make_wav(tmp_path / "a.wav"))
    with try_advisory_lock(committed.engine, index_lock_key(asset_id)) as acquired:
        assert acquired
        assert index_asset(asset_id) == "busy"
    assert load(committed, asset_id).indexing_status == "pending"
    assert index_asset(asset_id) == "completed"
    assert index_asset(asset_id) == "skipped"  # already done: a late duplicate does nothing


def test_truncated_video_fails_with_a_stage_error(committed: Runtime, tmp_path: Path) -> None:
    whole = media.make_video(tmp_path / "whole.mp4", seconds=4, size="640x360")
    data = whole.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 3])
    asset_id = new_asset(committed, truncated)
    assert index_asset(asset_id) == "failed"
    asset = load(committed, asset_id)
    assert asset.indexing_status == "failed"
    assert "truncated" in (asset.indexing_error or "")
    assert asset.indexing_attempts == 1  # broken media is not retried
    assert asset.indexing_error
    failed = [name for name, s in asset.stages.items() if s["status"] == "failed"]
    assert failed and asset.indexing_error.startswith(failed[0])
    # The stages before the failure keep their results.
    assert asset.stages["probe"]["status"] == "completed"
    assert "thumbnail" in asset.renditions


def test_reaper_requeues_a_dead_run(committed: Runtime, tmp_path: Path) -> None:
    asset_id = new_asset(
        committed,
        media.make_wav(tmp_path / "a.wav"),
        status="processing",
        indexing_attempts=1,
        indexing_stage="waveform",
    )
    counts = recover_assets(committed)
    assert counts["requeued"] == 1
    assert wait_for(lambda: load(committed, asset_id).indexing_status == "completed", 60)
    asset = load(committed, asset_id)
    assert asset.indexing_attempts == 2
    assert asset.indexing_error is None


def test_reaper_leaves_live_runs_and_fails_exhausted_ones(
    committed: Runtime, tmp_path: Path
) -> None:
    wav = media.make_wav(tmp_path / "a.wav")
    live = new_asset(committed, wav, status="processing", indexing_attempts=1)
    exhausted = new_asset(
        committed,
        wav,
        status="processing",
        indexing_attempts=committed.settings.index_max_attempts,
        indexing_stage="waveform",
    )
    with try_advisory_lock(committed.engine, index_lock_key(live)) as acquired:
        assert acquired
        counts = recover_assets(committed)
    assert counts == {"requeued": 0, "failed": 1}
    assert load(committed, live).indexing_status == "processing"
    dead = load(committed, exhausted)
    assert dead.indexing_status == "failed"
    assert "interrupted" in (dead.indexing_error or "")

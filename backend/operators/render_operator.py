"""Renders: ask for one, list, read, cancel, download; and single-frame previews."""

from __future__ import annotations

import logging
import math
import uuid
from contextlib import ExitStack
from fractions import Fraction

from sqlalchemy.orm import Session

from database.base import utcnow
from database.models import Project
from database.render_models import Render
from errors import AppError, Conflict, InvalidOperation, NotFound
from jobs.maintenance import delete_render_file
from jobs.render_job import enqueue_render
from jobs.render_rows import content_url
from models import render_api as ra
from models.timeline_models import Timeline as TimelineDoc
from models.timeline_models import number_fraction, rate_fraction, round_half_up
from operators import timeline_operator
from operators.paging import newest_first
from render.callbacks import private_target
from render.compiler import compile_frame, timeline_duration
from render.plan import RenderError
from render.presets import PRESETS, get_preset
from render.runner import render_png
from render.sources import MissingMedia, find_assets, open_sources, path_names, redact
from runtime import enqueue_after_commit, get_runtime
from utils.ffmpeg import FFmpegError

logger = logging.getLogger(__name__)


class RenderFailed(AppError):
    status_code, code = 500, "render_failed"


def create_render(
    db: Session, project: Project, user_id: uuid.UUID, data: ra.RenderCreate
) -> Render:
    """Validate the preset, version and range, add a pending render, queue its job."""
    try:
        get_preset(data.preset)
    except RenderError as exc:
        raise InvalidOperation(str(exc), code="unknown_preset") from None
    if data.callback_url is not None:
        _check_callback(str(data.callback_url))
    version, doc = timeline_operator.read_timeline(db, project, data.version)
    rate = rate_fraction(doc.settings.rate)
    total = round_half_up(timeline_duration(doc) * rate)
    if total <= 0:
        raise InvalidOperation("the timeline is empty: nothing to render", code="empty_timeline")
    start_s = end_s = None
    if data.range is not None:
        start, end = _range_frames(data, rate, total)
        start_s, end_s = float(start / rate), float(end / rate)
    render = Render(
        project_id=project.id,
        user_id=user_id,
        timeline_version=version,
        preset=data.preset,
        range_start_s=start_s,
        range_end_s=end_s,
        callback_url=str(data.callback_url) if data.callback_url else None,
        smart=data.smart,
    )
    db.add(render)
    db.flush()
    enqueue_render(db, render)
    return render


def _check_callback(url: str) -> None:
    """Refuse a callback URL on the server's own network unless private targets are on."""
    if get_runtime().settings.render_callbacks_private:
        return
    refused = private_target(url)
    if refused is not None:
        raise InvalidOperation(
            f"callback_url is not allowed: {refused}; set RENDER_CALLBACKS_PRIVATE=true to "
            "send callbacks to this machine or its network",
            code="callback_url_not_allowed",
        )


def _range_frames(data: ra.RenderCreate, rate: Fraction, total: int) -> tuple[int, int]:
    """The range as whole frames at the timeline's rate, inside [0, total]."""
    assert data.range is not None
    start_s = data.range.start_time.to_fraction_seconds()
    duration_s = data.range.duration.to_fraction_seconds()
    if start_s < 0 or duration_s <= 0:
        raise InvalidOperation(
            "range: start_time must be >= 0 and duration > 0", code="invalid_range"
        )
    start = round_half_up(start_s * rate)
    end = round_half_up((start_s + duration_s) * rate)
    if end <= start:
        raise InvalidOperation("range: shorter than one frame", code="invalid_range")
    if end > total:
        raise InvalidOperation(
            f"range: ends at {float(end / rate):g} s, after the timeline's end "
            f"({float(total / rate):g} s)",
            code="range_outside_timeline",
        )
    return start, end


def list_renders(
    db: Session, project: Project, status: str | None, limit: int, offset: int
) -> tuple[list[Render], int]:
    """One page of the project's renders, newest first."""
    conditions = [Render.project_id == project.id]
    if status:
        conditions.append(Render.status == status)
    return newest_first(db, Render, conditions, limit, offset)


def get_render(db: Session, project: Project, render_id: uuid.UUID) -> Render:
    """The render if it belongs to the project; 404 otherwise."""
    render = db.get(Render, render_id)
    if render is None or render.project_id != project.id:
        raise NotFound("render not found", code="render_not_found")
    return render


def cancel_render(db: Session, render: Render) -> Render:
    """Cancel: a pending render at once, a running one as soon as its job sees the flag."""
    # Locked: the job's final write and this cancel must not both win.
    db.refresh(render, with_for_update=True)
    if render.status in ("completed", "failed"):
        raise Conflict(f"the render has already {render.status}", code="render_finished")
    if render.status == "pending":
        render.status, render.completed_at = "cancelled", utcnow()
    render.cancel_requested = True
    render.updated_at = utcnow()
    db.flush()
    return render


def delete_render(db: Session, render: Render) -> None:
    """Delete a render in any state: a running job stops, and the file goes once this commits."""
    project_id, render_id = str(render.project_id), str(render.id)
    db.delete(render)
    db.flush()
    enqueue_after_commit(db, "maintenance", delete_render_file, project_id, render_id)


def content_of(render: Render) -> tuple[str, str]:
    """Storage key and download name of a completed render's file; 409 before that."""
    if render.status != "completed" or not render.output_key:
        raise Conflict(
            f"the render is {render.status}: it has no file", code="render_not_completed"
        )
    return render.output_key, f"render-{render.id}.mp4"


def render_frame(
    db: Session, project: Project, t: float, version: int | None, height: int | None
) -> bytes:
    """The composed frame shown at `t` seconds of a timeline version, as PNG bytes."""
    _, doc = timeline_operator.read_timeline(db, project, version)
    at = _frame_time(doc, t)
    names: dict[str, str] = {}
    try:
        with ExitStack() as stack:
            assets = find_assets(db, project.id, doc)
            sources = open_sources(assets, get_runtime().storage, stack)
            names = path_names(assets, sources)
            plan = compile_frame(doc, sources, at, "pipe:1", height=height)
            return render_png(plan)
    except MissingMedia as exc:
        raise Conflict(str(exc), code="media_missing") from None
    except RenderError as exc:
        raise InvalidOperation(str(exc), code="render_error") from None
    except FFmpegError as exc:
        message = redact(str(exc), names)
        logger.warning("frame at %s s of project %s failed: %s", t, project.id, message)
        raise RenderFailed(f"ffmpeg could not draw the frame: {message}") from None


def _frame_time(doc: TimelineDoc, t: float) -> Fraction:
    """The start of the frame on screen at `t` (frames are shown from their start on)."""
    rate = rate_fraction(doc.settings.rate)
    total = timeline_duration(doc)
    if not math.isfinite(t) or not 0 <= number_fraction(t) < total:
        raise InvalidOperation(
            f"t must be in [0, {float(total):g}) s: the timeline's length",
            code="time_outside_timeline",
        )
    return Fraction(math.floor(number_fraction(t) * rate)) / rate


def to_model(render: Render) -> ra.Render:
    """The API view of a render."""
    completed = render.status == "completed"
    return ra.Render(
        id=render.id,
        project_id=render.project_id,
        status=render.status,  # type: ignore[arg-type]
        progress=render.progress,
        preset=render.preset,
        timeline_version=render.timeline_version,
        start_s=render.range_start_s,
        end_s=render.range_end_s,
        cancel_requested=render.cancel_requested,
        callback_url=render.callback_url,
        output_key=render.output_key,
        content_url=content_url(render.project_id, render.id) if completed else None,
        size_bytes=render.size_bytes,
        duration_s=render.duration_s,
        width=render.width,
        height=render.height,
        warnings=list(render.warnings or []),
        smart=render.smart,
        stats=ra.RenderStats(**render.stats) if render.stats else None,
        error=render.error,
        attempts=render.attempts,
        job_id=render.job_id,
        created_at=render.created_at,
        started_at=render.started_at,
        completed_at=render.completed_at,
    )


def presets() -> list[ra.PresetInfo]:
    """The render presets, cheapest first."""
    return [
        ra.PresetInfo(
            name=p.name,
            description=p.description,
            height=p.height,
            crf=p.crf,
            x264_preset=p.x264_preset,
            audio_bitrate=p.audio_bitrate,
            use_proxy=p.use_proxy,
        )
        for p in PRESETS.values()
    ]

"""The timeline editor: NLE edit operations as pure functions over `Timeline` models.

`apply_op(timeline, op, ctx)` returns a new timeline (the input is never changed) after
checking every invariant; `apply_ops` applies a batch all or nothing. No database, no I/O:
the caller supplies the assets (`EditContext.assets`) and the id generator.

Edge behaviour (OpenTimelineIO's edit algorithms where they define it):
- Times in ops are read at the timeline's rate and snapped to the nearest whole frame.
- insert/overwrite/add_gap `at` past the track's end pad the track with a gap up to `at`.
- insert splits the item under `at`; transitions whose cut or overlap meets the edited span
  are removed (OTIO's remove_transitions=True).
- Lifting (remove without ripple, move) leaves a gap only where later items need holding in
  place: lifting the last item leaves nothing behind. Adjacent gaps merge, empty ones vanish.
- remove_clip also accepts a gap id (ripple closes it).
- trim without ripple: shortening leaves a gap (and drops a transition on that edge);
  lengthening eats the neighbouring gap and is refused with NoRoom without enough of one;
  the last item's tail may grow the track. Ripple trims move every later item.
- split keeps the clip's id on the left half; the right half gets a new id, copies of the
  effects (new ids) and the markers whose start falls in it; fade_in stays left, fade_out right.
- slide at the start of a track with a positive delta opens a gap before the clip; a
  neighbouring gap may shrink to nothing in slide and roll, a clip must keep a frame.
- Markers on clips are stored in the clip's source time (OTIO); ops take record times.
"""

from __future__ import annotations

from operators.timeline_ops.apply import (
    apply_op,
    apply_ops,
    item_ranges,
    referenced_asset_ids,
    timeline_duration,
    track_duration,
)
from operators.timeline_ops.clip_ops import bind_references
from operators.timeline_ops.core import AssetInfo, Clock, EditContext, clock_of
from operators.timeline_ops.encoding import load_snapshot, snapshot_json, timeline_json
from operators.timeline_ops.errors import (
    DuplicateId,
    InvalidIndex,
    InvalidOp,
    InvalidProperty,
    InvalidTime,
    MissingHandle,
    NonPositiveDuration,
    NoRoom,
    NotAdjacent,
    SourceRangeOutOfBounds,
    TrackKindMismatch,
    TransitionPlacement,
    TransitionTooLong,
    UnknownAsset,
    UnknownItem,
    WrongItemType,
)
from operators.timeline_ops.invariants import check_invariants
from operators.timeline_ops.op_models import (
    OP_NAMES,
    AddEffect,
    AddGap,
    AddMarker,
    AddTitle,
    AddTrack,
    AddTransition,
    AppendClip,
    InsertClip,
    ModifyTransition,
    MoveClip,
    MoveTrack,
    Op,
    OverwriteClip,
    RemoveClip,
    RemoveEffect,
    RemoveMarker,
    RemoveTrack,
    RemoveTransition,
    RenameTrack,
    RollEdit,
    SetClipProperties,
    SetGapDuration,
    SlideClip,
    SlipClip,
    SplitClip,
    TitleStyle,
    TrimClip,
    parse_op,
)

__all__ = [
    "OP_NAMES",
    "AddEffect",
    "AddGap",
    "AddMarker",
    "AddTitle",
    "AddTrack",
    "AddTransition",
    "AppendClip",
    "AssetInfo",
    "Clock",
    "DuplicateId",
    "EditContext",
    "InsertClip",
    "InvalidIndex",
    "InvalidOp",
    "InvalidProperty",
    "InvalidTime",
    "MissingHandle",
    "ModifyTransition",
    "MoveClip",
    "MoveTrack",
    "NoRoom",
    "NonPositiveDuration",
    "NotAdjacent",
    "Op",
    "OverwriteClip",
    "RemoveClip",
    "RemoveEffect",
    "RemoveMarker",
    "RemoveTrack",
    "RemoveTransition",
    "RenameTrack",
    "RollEdit",
    "SetClipProperties",
    "SetGapDuration",
    "SlideClip",
    "SlipClip",
    "SourceRangeOutOfBounds",
    "SplitClip",
    "TitleStyle",
    "TrackKindMismatch",
    "TransitionPlacement",
    "TransitionTooLong",
    "TrimClip",
    "UnknownAsset",
    "UnknownItem",
    "WrongItemType",
    "apply_op",
    "apply_ops",
    "bind_references",
    "check_invariants",
    "clock_of",
    "item_ranges",
    "load_snapshot",
    "parse_op",
    "referenced_asset_ids",
    "snapshot_json",
    "timeline_duration",
    "timeline_json",
    "track_duration",
]

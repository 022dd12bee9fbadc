"""The edit operations' JSON shapes: one model per op, told apart by the field `op`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from models.timeline_models import MarkerColor, RationalTime, TimeRange
from operators.timeline_ops.errors import InvalidOp

Id = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(max_length=500)]
TransitionKind = Literal[
    "dissolve", "SMPTE_Dissolve", "wipe_left", "wipe_right", "wipe_up", "wipe_down",
    "fade_to_black", "fade_to_white",
]  # fmt: skip
Alignment = Literal["center", "start", "end"]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddTrack(_Op):
    op: Literal["add_track"]
    kind: Literal["video", "audio"]
    name: Name = ""
    index: int | None = None


class RemoveTrack(_Op):
    op: Literal["remove_track"]
    track_id: Id


class RenameTrack(_Op):
    op: Literal["rename_track"]
    track_id: Id
    name: Name


class MoveTrack(_Op):
    op: Literal["move_track"]
    track_id: Id
    index: int


class AppendClip(_Op):
    op: Literal["append_clip"]
    track_id: Id
    asset_id: Id
    source_range: TimeRange
    name: Name | None = None


class InsertClip(_Op):
    op: Literal["insert_clip"]
    track_id: Id
    asset_id: Id
    source_range: TimeRange
    at: RationalTime
    name: Name | None = None


class OverwriteClip(_Op):
    op: Literal["overwrite_clip"]
    track_id: Id
    asset_id: Id
    source_range: TimeRange
    at: RationalTime
    name: Name | None = None


class RemoveClip(_Op):
    op: Literal["remove_clip"]
    clip_id: Id
    ripple: bool = False


class MoveClip(_Op):
    op: Literal["move_clip"]
    clip_id: Id
    track_id: Id
    at: RationalTime


class TrimClip(_Op):
    op: Literal["trim_clip"]
    clip_id: Id
    edge: Literal["head", "tail"]
    delta: RationalTime
    ripple: bool = False


class SplitClip(_Op):
    op: Literal["split_clip"]
    clip_id: Id
    at: RationalTime


class SlipClip(_Op):
    op: Literal["slip_clip"]
    clip_id: Id
    delta: RationalTime


class SlideClip(_Op):
    op: Literal["slide_clip"]
    clip_id: Id
    delta: RationalTime


class RollEdit(_Op):
    op: Literal["roll_edit"]
    left_clip_id: Id
    right_clip_id: Id | None = None
    delta: RationalTime


class AddGap(_Op):
    op: Literal["add_gap"]
    track_id: Id
    duration: RationalTime
    at: RationalTime | None = None


class SetGapDuration(_Op):
    op: Literal["set_gap_duration"]
    gap_id: Id
    duration: RationalTime


class AddTransition(_Op):
    op: Literal["add_transition"]
    left_clip_id: Id
    right_clip_id: Id
    kind: TransitionKind = "dissolve"
    duration: RationalTime
    alignment: Alignment = "center"
    name: Name = ""


class ModifyTransition(_Op):
    op: Literal["modify_transition"]
    transition_id: Id
    duration: RationalTime | None = None
    kind: TransitionKind | None = None
    alignment: Alignment | None = None


class RemoveTransition(_Op):
    op: Literal["remove_transition"]
    transition_id: Id


class AddMarker(_Op):
    """A marker on a track (track time) or on a clip (`at` is record time inside the clip)."""

    op: Literal["add_marker"]
    track_id: Id | None = None
    clip_id: Id | None = None
    item_id: Id | None = None
    at: RationalTime
    duration: RationalTime | None = None
    name: Name = ""
    color: MarkerColor = "RED"
    comment: Annotated[str, Field(max_length=5000)] = ""

    @field_validator("color", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class RemoveMarker(_Op):
    op: Literal["remove_marker"]
    marker_id: Id


class SetClipProperties(_Op):
    op: Literal["set_clip_properties"]
    clip_id: Id
    volume: float | None = Field(default=None, ge=0, le=4, allow_inf_nan=False)
    opacity: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    speed: float | None = Field(default=None, ge=0.1, le=16, allow_inf_nan=False)
    fade_in: RationalTime | None = None
    fade_out: RationalTime | None = None
    name: Name | None = None
    enabled: bool | None = None

    # Six decimals is beyond what anyone hears or sees, and survives every interchange format
    # (OTIO writes floats with 15 significant digits).
    @field_validator("volume", "opacity", "speed")
    @classmethod
    def _six_decimals(cls, value: float | None) -> float | None:
        return None if value is None else round(value, 6)


class AddEffect(_Op):
    op: Literal["add_effect"]
    clip_id: Id
    effect_name: Annotated[str, Field(min_length=1, max_length=100)]
    parameters: dict[str, Any] = Field(default_factory=dict)


class RemoveEffect(_Op):
    op: Literal["remove_effect"]
    effect_id: Id


class TitleStyle(_Op):
    font_size: int = Field(default=64, ge=4, le=1000)
    color: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")] = "#FFFFFF"
    position: Literal[
        "center", "top", "bottom", "top_left", "top_right", "bottom_left", "bottom_right"
    ] = "center"
    font: Annotated[str, Field(max_length=200)] | None = None
    background: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")] | None = None


class AddTitle(_Op):
    op: Literal["add_title"]
    track_id: Id
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    at: RationalTime
    duration: RationalTime
    style: TitleStyle = Field(default_factory=TitleStyle)


Op = Annotated[
    AddTrack | RemoveTrack | RenameTrack | MoveTrack | AppendClip | InsertClip | OverwriteClip
    | RemoveClip | MoveClip | TrimClip | SplitClip | SlipClip | SlideClip | RollEdit | AddGap
    | SetGapDuration | AddTransition | ModifyTransition | RemoveTransition | AddMarker
    | RemoveMarker | SetClipProperties | AddEffect | RemoveEffect | AddTitle,
    Field(discriminator="op"),
]  # fmt: skip
_OP_ADAPTER: TypeAdapter[Op] = TypeAdapter(Op)


def _op_names() -> list[str]:
    names = []
    for model in _Op.__subclasses__():
        field = model.model_fields.get("op")
        if field is not None:
            names.append(field.annotation.__args__[0])  # type: ignore[union-attr]
    return sorted(names)


OP_NAMES = _op_names()


def parse_op(data: Any) -> Op:
    """Validate one op's JSON; InvalidOp (code invalid_op) with a readable reason if it's wrong."""
    if not isinstance(data, dict):
        raise InvalidOp(f"an op must be a JSON object, got {type(data).__name__}")
    name = data.get("op")
    if name is None:
        raise InvalidOp("an op needs an 'op' field naming the operation")
    if name not in OP_NAMES:
        raise InvalidOp(f"unknown op {name!r}; expected one of: {', '.join(OP_NAMES)}")
    try:
        return _OP_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"][1:]) or "op"
            problems.append(f"{where}: {err['msg']}")
        raise InvalidOp(f"invalid {name} op: " + "; ".join(problems), op=name) from None

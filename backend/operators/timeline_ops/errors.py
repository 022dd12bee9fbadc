"""Why an edit was refused: each error has a machine `code` and a `message` for the user."""

from __future__ import annotations

from errors import InvalidOperation


class InvalidOp(InvalidOperation):
    """An edit that can't be applied (HTTP 422 through the app's error handler)."""

    code = "invalid_op"


class UnknownItem(InvalidOp):
    code = "unknown_item"


class UnknownAsset(UnknownItem):
    code = "unknown_asset"


class WrongItemType(InvalidOp):
    code = "wrong_item_type"


class DuplicateId(InvalidOp):
    code = "duplicate_id"


class SourceRangeOutOfBounds(InvalidOp):
    code = "source_range_out_of_bounds"


class NonPositiveDuration(InvalidOp):
    code = "non_positive_duration"


class InvalidTime(InvalidOp):
    code = "invalid_time"


class InvalidIndex(InvalidOp):
    code = "invalid_index"


class TrackKindMismatch(InvalidOp):
    code = "track_kind_mismatch"


class TransitionPlacement(InvalidOp):
    code = "transition_not_between_clips"


class TransitionTooLong(InvalidOp):
    code = "transition_too_long"


class MissingHandle(InvalidOp):
    code = "missing_handle"


class NotAdjacent(InvalidOp):
    code = "not_adjacent"


class NoRoom(InvalidOp):
    """Lengthening without ripple needs a gap next to the edge to absorb the change."""

    code = "no_room"


class InvalidProperty(InvalidOp):
    code = "invalid_property"

"""Which stages run for each kind of asset, in order, and their relative cost."""

from __future__ import annotations

from collections.abc import Callable

from agent.ai_stages import (
    embed_stage,
    shots_stage,
    summarise_stage,
    transcribe_stage,
    visual_embed_stage,
)
from agent.stages import (
    StageContext,
    StageOutput,
    filmstrip_stage,
    probe_stage,
    proxy_stage,
    thumbnail_stage,
    waveform_stage,
)

Stage = Callable[[StageContext], StageOutput]

STAGES: dict[str, Stage] = {
    "probe": probe_stage,
    "thumbnail": thumbnail_stage,
    "filmstrip": filmstrip_stage,
    "waveform": waveform_stage,
    "proxy": proxy_stage,
    "transcribe": transcribe_stage,
    "shots": shots_stage,
    "summarise": summarise_stage,
    "embed": embed_stage,
    "visual_embed": visual_embed_stage,
}
# Relative cost, for one progress figure over all stages.
WEIGHTS = {
    "probe": 1,
    "thumbnail": 1,
    "filmstrip": 3,
    "waveform": 2,
    "proxy": 12,
    "transcribe": 10,
    "shots": 5,
    "summarise": 1,
    "embed": 2,
    "visual_embed": 1,
}
# Previews first: an asset is playable and browsable before the slower AI stages finish.
STAGES_BY_KIND = {
    "video": [
        "probe", "thumbnail", "filmstrip", "waveform", "proxy",
        "transcribe", "shots", "summarise", "embed", "visual_embed",
    ],
    "audio": ["probe", "waveform", "transcribe", "summarise", "embed"],
    # An image is one "shot": its on-screen text and colours are searchable too.
    "image": ["probe", "thumbnail", "shots", "summarise", "embed", "visual_embed"],
}  # fmt: skip

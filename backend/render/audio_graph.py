"""The sound of a range: each audio track as one concatenation (gaps silent, transitions
cross-faded), resampled to the timeline's rate in stereo, then summed (not averaged)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from models.timeline_models import Timeline, clip_speed, round_half_up
from operators.timeline_ops.core import clock_of
from render.graph import Graph, number, seconds
from render.layout import Join, Piece, Run, track_runs, track_slots, visible_tracks
from render.pictures import Warn, fade_frames, open_media, properties
from render.plan import SourceMedia

Item = tuple[str, int, int | None]  # (label, samples, crossfade samples with the previous)


def atempo(speed: Fraction) -> list[str]:
    """atempo filters for a speed (each within [0.5, 2], as older ffmpeg requires)."""
    out: list[str] = []
    while speed > 2:
        out.append("atempo=2")
        speed /= 2
    while speed < Fraction(1, 2):
        out.append("atempo=0.5")
        speed *= 2
    if speed != 1:
        out.append(f"atempo={number(speed)}")
    return out


class AudioTrack:
    """Builds one track's stream; `at(frame)` is a record frame's sample offset."""

    def __init__(self, g: Graph, rate: Fraction, sample_rate: int, first: int, warn: Warn):
        self.g, self.rate, self.sr, self.first, self.warn = g, rate, sample_rate, first, warn

    def at(self, frame: int) -> int:
        """Samples from the range start to `frame` (rounded once, so lengths never drift)."""
        return round_half_up(Fraction(frame - self.first) * self.sr / self.rate)

    def silence(self, samples: int) -> str:
        """A silent stream of exactly `samples`."""
        return self.g.chain(
            [],
            [
                f"anullsrc=r={self.sr}:cl=stereo",
                "aformat=sample_fmts=fltp",
                f"atrim=end_sample={samples}",
            ],
        )

    def piece(self, piece: Piece) -> str:
        """A piece's sound: exactly its samples, with its volume and fades."""
        slot = piece.slot
        samples = self.at(piece.end) - self.at(piece.start)
        if slot.kind != "media":
            return self.silence(samples)
        assert slot.clip is not None
        src = open_media(self.g, slot, piece.start, piece.end, self.rate, "a")
        props = properties(slot, self.warn)
        chain = atempo(clip_speed(slot.clip))
        chain += [
            f"aformat=sample_fmts=fltp:sample_rates={self.sr}:channel_layouts=stereo",
            # Timestamps from the sample count: fades below are placed by them.
            "asetpts=N/SR/TB",
        ]
        if props.volume != 1:
            chain.append(f"volume={number(props.volume)}")
        chain += self._fades(piece, props)
        chain += [f"apad=whole_len={samples}", f"atrim=end_sample={samples}"]
        return self.g.chain([src], chain)

    def _fades(self, piece: Piece, props: object) -> list[str]:
        slot = piece.slot
        fade_in, fade_out = fade_frames(slot, props, self.rate)  # type: ignore[arg-type]
        events = []
        if fade_in and piece.start < slot.start + fade_in:
            events.append(("in", slot.start, fade_in))
        if fade_out and piece.end > slot.end - fade_out:
            events.append(("out", slot.end - fade_out, fade_out))
        if not events:
            return []
        shift = Fraction(max(0, piece.start - min(at for _, at, _ in events))) / self.rate
        out = [f"asetpts=PTS+{seconds(shift)}/TB"] if shift else []
        for kind, at, length in events:
            start = Fraction(at - piece.start) / self.rate + shift
            out.append(
                f"afade=t={kind}:st={seconds(start)}:d={seconds(Fraction(length) / self.rate)}"
            )
        return out

    def sequence(self, items: list[Item]) -> str:
        """Items back to back: cuts concatenate, transitions cross-fade."""
        pending: list[str] = []
        for label, _, overlap in items:
            if overlap is None or not pending:
                pending.append(label)
                continue
            cross = f"acrossfade=ns={overlap}:c1=tri:c2=tri"
            pending = [self.g.chain([self._concat(pending), label], [cross])]
        return self._concat(pending)

    def _concat(self, labels: list[str]) -> str:
        if len(labels) == 1:
            return labels[0]
        return self.g.chain(labels, [f"concat=n={len(labels)}:v=0:a=1"])

    def overlap(self, piece: Piece, join: Join) -> int:
        """Samples two pieces cross-fade over."""
        cut = piece.slot.start
        return self.at(cut + join.after) - self.at(cut - join.before)

    def track(self, runs: list[Run], last: int) -> str:
        """The whole range for one track."""
        items: list[Item] = []
        start = pos = self.first
        for run in runs:
            if run.start > pos:
                samples = self.at(run.start) - self.at(pos)
                items.append((self.silence(samples), samples, None))
            start = min(start, run.start)
            for p in run.pieces:
                cross = self.overlap(p, p.join) if p.join else None
                items.append((self.piece(p), self.at(p.end) - self.at(p.start), cross))
            pos = run.end
        if pos < last:
            samples = self.at(last) - self.at(pos)
            items.append((self.silence(samples), samples, None))
        label = self.sequence(items)
        skip, length = self.at(self.first) - self.at(start), self.at(last) - self.at(self.first)
        if start == self.first and pos <= last:
            return label
        trim = f"atrim=start_sample={skip}:end_sample={skip + length}"
        return self.g.chain([label], [trim, "asetpts=PTS-STARTPTS"])


def audio_stream(
    g: Graph,
    timeline: Timeline,
    sources: Mapping[str, SourceMedia],
    first: int,
    last: int,
    warn: Callable[[str], None],
) -> str:
    """The mixed sound of frames [first, last): stereo at the timeline's sample rate."""
    clock = clock_of(timeline)
    builder = AudioTrack(g, clock.rate, timeline.settings.sample_rate, first, warn)
    labels = [
        builder.track(track_runs(track_slots(track, clock, sources), first, last, warn), last)
        for track in visible_tracks(timeline, "Audio")
    ]
    if not labels:
        return builder.silence(builder.at(last))
    if len(labels) == 1:
        return labels[0]
    # normalize=0: a track keeps its level however many tracks play with it.
    return g.chain(labels, [f"amix=inputs={len(labels)}:normalize=0:duration=longest"])

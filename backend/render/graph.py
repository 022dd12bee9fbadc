"""A filtergraph under construction: the ffmpeg inputs it reads, its chains, and the escaping
and number formats ffmpeg's parsers need."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

# av_get_token (used for option values, then again for the whole graph) strips these unless
# they are backslash-escaped.
_VALUE_SPECIALS = "\\':"
_GRAPH_SPECIALS = "\\'[],;"


def _backslash(text: str, specials: str) -> str:
    out = []
    last = len(text) - 1
    for i, char in enumerate(text):
        # Leading and trailing whitespace would be trimmed by the tokenizer.
        if char in specials or (char.isspace() and i in (0, last)):
            out.append("\\")
        out.append(char)
    return "".join(out)


def escape_value(text: str) -> str:
    """A filter option value safe inside a filtergraph string (both parsing levels)."""
    return _backslash(_backslash(text, _VALUE_SPECIALS), _GRAPH_SPECIALS)


def seconds(value: Fraction, *, floor: bool = False) -> str:
    """Seconds as ffmpeg reads a duration (microseconds); `floor` never rounds up, so an input
    seek at a frame's exact time still keeps that frame."""
    micro = value * 1_000_000
    whole = int(micro // 1) if floor else int((micro + Fraction(1, 2)) // 1)
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    return f"{sign}{whole // 1_000_000}.{whole % 1_000_000:06d}"


def ratio(value: Fraction) -> str:
    """An exact rational for an ffmpeg option or expression ('25', '30000/1001')."""
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def number(value: float | Fraction) -> str:
    """A short decimal for a filter expression (no exponent notation)."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


class Graph:
    """ffmpeg inputs (deduplicated, so linked picture and sound share one demuxer) and
    filter chains with generated pad labels."""

    def __init__(self) -> None:
        self.input_args: list[str] = []
        self._inputs: dict[tuple[str, ...], int] = {}
        self._chains: list[str] = []
        self._labels = 0

    def input(self, args: Sequence[str], *, share: tuple[object, ...] = ()) -> int:
        """Index of an input opened with `args` (ending with `-i PATH`); equal `args` plus an
        equal `share` key reuse one input."""
        key = (*args, *map(str, share))
        index = self._inputs.get(key)
        if index is None:
            index = self._inputs[key] = len(self._inputs)
            self.input_args.extend(args)
        return index

    def label(self, prefix: str = "s") -> str:
        """A fresh pad label."""
        self._labels += 1
        return f"{prefix}{self._labels}"

    def chain(self, ins: Sequence[str], filters: Sequence[str], prefix: str = "s") -> str:
        """Add `[ins]f1,f2[out]`; returns `out` (or the single input when there is nothing to
        do)."""
        if not filters:
            if len(ins) != 1:
                raise ValueError("a chain without filters needs exactly one input")
            return ins[0]
        out = self.label(prefix)
        self._chains.append("".join(f"[{i}]" for i in ins) + ",".join(filters) + f"[{out}]")
        return out

    def split(self, label: str, count: int, video: bool = True) -> list[str]:
        """`count` copies of a stream (frames are shared, not copied)."""
        if count == 1:
            return [label]
        outs = [self.label("p") for _ in range(count)]
        name = "split" if video else "asplit"
        self._chains.append(f"[{label}]{name}={count}" + "".join(f"[{o}]" for o in outs))
        return outs

    def script(self) -> str:
        """The -filter_complex text."""
        return ";".join(self._chains)

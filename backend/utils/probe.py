"""ffprobe: what a media file is (kind, duration, rational frame rate, size, codecs)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from utils.ffmpeg_log import clean_log_line

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
PROBE_TIMEOUT_S = 60.0


class MediaError(Exception):
    """The file is not usable media; the message is shown to the user, `detail` is for logs."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class MediaInfo:
    """What probe() found. Sizes are coded (stored) sizes; `rotation` is the clockwise turn
    a player applies to show them upright (0, 90, 180, 270), so see `display_size`."""

    kind: Literal["video", "audio", "image"]
    format_name: str
    duration_s: float | None
    width: int | None
    height: int | None
    rotation: int
    fps_num: int | None
    fps_den: int | None
    video_codec: str | None
    pix_fmt: str | None
    audio_codec: str | None
    audio_channels: int | None
    sample_rate: int | None
    bit_rate: int | None

    @property
    def display_size(self) -> tuple[int, int] | None:
        """Width and height as shown, after applying `rotation`."""
        if self.width is None or self.height is None:
            return None
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height

    @property
    def fps(self) -> float | None:
        """The frame rate as a float (None without video)."""
        return self.fps_num / self.fps_den if self.fps_num and self.fps_den else None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict."""
        return asdict(self)


# Single-picture demuxers: image2 and every `*_pipe` demuxer in libavformat read one image.
IMAGE_CODECS = frozenset(
    {"png", "mjpeg", "jpegls", "webp", "bmp", "tiff", "gif", "jpeg2000", "jpegxl", "qoi", "ppm"}
    | {"pgm", "pbm", "pam", "sgi", "targa", "psd", "dpx", "exr", "pcx", "xwd", "sunrast", "svg"}
)
# Binary text-art demuxers accept almost any bytes; they are never media a user meant to upload.
TEXT_ART_FORMATS = frozenset({"tty", "bin", "xbin", "adf", "idf"})
TEXT_ART_CODECS = frozenset({"ansi", "bintext", "xbin", "idf"})
# ffprobe's probe score of 25 or less means "maybe" (random bytes hit it as raw h263).
MIN_PROBE_SCORE = 26
NOT_MEDIA = "Not a recognised audio, video or image file."
NTSC_RATES = tuple(Fraction(rate * 1000, 1001) for rate in (24, 30, 60, 120))
STANDARD_RATES = NTSC_RATES + tuple(Fraction(rate) for rate in (24, 25, 30, 48, 50, 60, 120))


def probe(path: Path) -> MediaInfo:
    """Describe a media file, or raise MediaError saying why it is not usable."""
    # Absolute, so a name like "-x.mp4" or "concat:a|b" cannot read as an option or protocol.
    path = Path(path).resolve()
    if not path.is_file():
        raise MediaError("The file does not exist.")
    if path.stat().st_size == 0:
        raise MediaError("The file is empty.")
    cmd = [FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    result = _run_quiet(cmd)
    if result.returncode != 0:
        detail = _last_line(result.stderr.replace(f"{path}: ", ""))
        raise MediaError(NOT_MEDIA, detail)
    data = json.loads(result.stdout or "{}")
    fmt: dict[str, Any] = data.get("format") or {}
    streams: list[dict[str, Any]] = data.get("streams") or []
    format_name = str(fmt.get("format_name") or "")
    if format_name in TEXT_ART_FORMATS or int(fmt.get("probe_score") or 0) < MIN_PROBE_SCORE:
        raise MediaError(NOT_MEDIA, f"format {format_name}, score {fmt.get('probe_score')}")

    video = next((s for s in streams if _is_picture_stream(s)), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is not None and video.get("codec_name") in TEXT_ART_CODECS:
        video = None
    if video is None and audio is None:
        raise MediaError("The file has no audio or video stream.")

    kind = _classify(format_name, video, audio)
    duration = _duration(fmt, [s for s in (video, audio) if s is not None])
    if kind != "image" and (duration is None or duration <= 0):
        what = "audio" if kind == "audio" else "video"
        raise MediaError(f"The {what} has no duration (it is empty or damaged).")
    _check_decodes(path, video if video is not None else audio)

    fps = _frame_rate(video) if kind == "video" and video is not None else None
    return MediaInfo(
        kind=kind,
        format_name=format_name,
        duration_s=None if kind == "image" else duration,
        width=_int(video.get("width")) if video else None,
        height=_int(video.get("height")) if video else None,
        rotation=_rotation(video) if video else 0,
        fps_num=fps.numerator if fps else None,
        fps_den=fps.denominator if fps else None,
        video_codec=video.get("codec_name") if video else None,
        pix_fmt=video.get("pix_fmt") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_channels=_int(audio.get("channels")) if audio else None,
        sample_rate=_int(audio.get("sample_rate")) if audio else None,
        bit_rate=None if kind == "image" else _int(fmt.get("bit_rate")),
    )


def _is_picture_stream(stream: dict[str, Any]) -> bool:
    # Cover art and embedded thumbnails are video streams that are not the content.
    disposition = stream.get("disposition") or {}
    return (
        stream.get("codec_type") == "video"
        and not disposition.get("attached_pic")
        and not disposition.get("timed_thumbnails")
    )


def _classify(
    format_name: str, video: dict[str, Any] | None, audio: dict[str, Any] | None
) -> Literal["video", "audio", "image"]:
    if video is None:
        return "audio"
    if audio is None and video.get("codec_name") in IMAGE_CODECS:
        image_demuxer = format_name == "image2" or format_name.endswith("_pipe")
        # A one-frame GIF or PNG-in-a-container is still a picture.
        if image_demuxer or str(video.get("nb_frames")) == "1":
            return "image"
    return "video"


def _duration(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> float | None:
    value = _float(fmt.get("duration"))
    if value is None:
        durations = [d for d in (_float(s.get("duration")) for s in streams) if d is not None]
        value = max(durations, default=None)
    return value


def _frame_rate(stream: dict[str, Any]) -> Fraction | None:
    real, avg = _fraction(stream.get("r_frame_rate")), _fraction(stream.get("avg_frame_rate"))
    # r_frame_rate is exact for constant-rate video but becomes a timebase-like value
    # (90000/1) for variable-rate phone footage, where the average is the useful figure.
    if real and avg:
        rate = real if abs(real - avg) <= real * Fraction(1, 200) else avg
    else:
        rate = real or avg
    if rate is None:
        return None
    # Averages like 2997/100 are rounded timestamps of a standard rate; NTSC rates differ
    # from whole ones by 0.1 %, so the tolerance stays well below that.
    nearest = min(STANDARD_RATES, key=lambda standard: abs(rate - standard))
    if abs(rate - nearest) <= nearest * Fraction(1, 5000):
        return nearest
    return rate.limit_denominator(1001)


def _rotation(stream: dict[str, Any]) -> int:
    """Clockwise degrees to turn the coded picture upright (the `rotate` tag's convention)."""
    for side_data in stream.get("side_data_list") or []:
        if "rotation" in side_data:
            # ffprobe prints the display matrix angle counter-clockwise.
            return _quarter_turns(-float(side_data["rotation"]))
    tag = (stream.get("tags") or {}).get("rotate")
    return _quarter_turns(float(tag)) if _float(tag) is not None else 0


def _quarter_turns(degrees: float) -> int:
    return (round(degrees / 90) * 90) % 360


def _check_decodes(path: Path, stream: dict[str, Any] | None) -> None:
    # ffprobe reads only headers; a file cut short after its index still probes fine,
    # so decode the first frame of the stream that matters.
    if stream is None:
        return
    cmd = [FFMPEG, "-v", "error", "-nostdin", "-i", str(path)]
    cmd += ["-map", f"0:{stream['index']}", "-frames", "1", "-f", "framecrc", "-"]
    result = _run_quiet(cmd)
    decoded = any(line and not line.startswith("#") for line in result.stdout.splitlines())
    if not decoded:
        detail = _last_line(result.stderr)
        message = "The file is damaged or truncated: nothing in it could be decoded."
        raise MediaError(message, detail)


def _run_quiet(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    options: dict[str, Any] = {"capture_output": True, "text": True, "errors": "replace"}
    try:
        return subprocess.run(
            cmd, stdin=subprocess.DEVNULL, timeout=PROBE_TIMEOUT_S, check=False, **options
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError("Reading the file took too long.") from exc


def _last_line(stderr: str) -> str:
    lines = [clean_log_line(line) for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no details"


def _fraction(value: Any) -> Fraction | None:
    try:
        result = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return result if result > 0 else None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _float(value)
    return int(number) if number is not None else None

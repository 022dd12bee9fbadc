"""The render benchmark's edit in MoviePy 2 (bench/bench_render.py): the same clips, dissolves,
title and audio as bench/render_edit.py, encoded with the preset's x264 and AAC settings.
"""

from __future__ import annotations

from pathlib import Path

from render_edit import (
    BED,
    BED_VOLUME,
    DISSOLVE_S,
    DURATION_S,
    FONT,
    HEIGHT,
    RATE,
    SHOTS,
    SOURCES,
    TITLE_AT,
    TITLE_S,
    TITLE_SIZE,
    TITLE_TEXT,
    WIDTH,
    handles,
    record_starts,
)


def moviepy_render(paths: dict[str, Path], preset, output: Path, log_bar: bool = False) -> None:
    """The edit with MoviePy 2's API, encoded with the preset's x264 and AAC settings."""
    video, sources = moviepy_composite(paths, preset)
    video.write_videofile(
        str(output),
        fps=RATE,
        codec="libx264",
        preset=preset.x264_preset,
        ffmpeg_params=["-crf", str(preset.crf), "-movflags", "+faststart"],
        audio_codec="aac",
        audio_bitrate=preset.audio_bitrate,
        audio_fps=48000,
        threads=2,
        logger="bar" if log_bar else None,
        temp_audiofile=str(output.with_suffix(".temp-audio.m4a")),
    )
    for clip in sources:
        clip.close()


def moviepy_composite(paths: dict[str, Path], preset):
    """The edit as one MoviePy composite clip (with sound), and the source clips to close."""
    from moviepy import (
        AudioFileClip,
        CompositeAudioClip,
        CompositeVideoClip,
        TextClip,
        VideoFileClip,
        afx,
        vfx,
    )

    height = preset.height or HEIGHT
    size = (WIDTH * height // HEIGHT // 2 * 2, height)
    sources = {name: VideoFileClip(str(paths[name])) for name in SOURCES}
    layers = []
    for i, (shot, at) in enumerate(zip(SHOTS, record_starts(), strict=True)):
        head, tail = handles(i)
        clip = sources[shot.source].subclipped(
            float(shot.start - head), float(shot.start + shot.duration + tail)
        )
        if clip.h != size[1]:  # fit the height; a narrower picture is centred (pillarbox)
            clip = clip.resized(height=size[1])
        clip = clip.with_start(float(at - head)).with_position("center")
        effects = []
        if head:  # the incoming side of a dissolve fades in over the outgoing clip's handle
            effects += [vfx.CrossFadeIn(float(DISSOLVE_S)), afx.AudioFadeIn(float(DISSOLVE_S))]
        if tail:
            effects.append(afx.AudioFadeOut(float(DISSOLVE_S)))
        layers.append(clip.with_effects(effects) if effects else clip)
    title = TextClip(
        font=FONT, text=TITLE_TEXT, font_size=round(TITLE_SIZE * size[1] / HEIGHT), color="white"
    )
    layers.append(
        title.with_position("center").with_start(float(TITLE_AT)).with_duration(float(TITLE_S))
    )
    video = CompositeVideoClip(layers, size=size, bg_color=(0, 0, 0)).with_duration(DURATION_S)
    bed = AudioFileClip(str(paths[BED])).subclipped(0, DURATION_S)
    bed = bed.with_effects([afx.MultiplyVolume(BED_VOLUME)])
    video = video.with_audio(CompositeAudioClip([video.audio, bed]).with_duration(DURATION_S))
    return video, list(sources.values())

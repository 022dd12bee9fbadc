"""Tests of the render compiler: compiled ffmpeg runs, decoded and checked."""

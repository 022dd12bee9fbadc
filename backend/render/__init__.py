"""Rendering: a timeline version compiled into one FFmpeg invocation, run as a job."""

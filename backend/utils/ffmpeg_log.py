"""Cleaning FFmpeg log lines for people to read."""

from __future__ import annotations

import re


def clean_log_line(line: str) -> str:
    # Context prefixes carry heap addresses and local paths, which mean nothing to users.
    return re.sub(r" @ 0x[0-9a-f]+", "", line.strip())

"""Serve stored objects over HTTP with Range (206), ETag and conditional requests."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from errors import AppError, NotFound
from utils.storage import Storage

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(AppError):
    status_code, code = 416, "range_not_satisfiable"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a single byte range; None to serve the whole object.

    Multiple ranges are answered with the whole object, which RFC 9110 allows.
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable("empty suffix range", size=size)
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(f"range outside the object's {size} bytes", size=size)
    return start, end


def _disposition(filename: str | None, inline: bool) -> str:
    kind = "inline" if inline else "attachment"
    if not filename:
        return kind
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def serve_object(
    request: Request,
    storage: Storage,
    key: str,
    content_type: str,
    filename: str | None = None,
    inline: bool = True,
) -> Response:
    """A streaming response for one stored object, honouring Range and If-None-Match."""
    info = storage.stat(key)
    if info is None:
        raise NotFound("the stored file is missing", code="content_missing")
    etag = f'"{info.etag}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": info.updated.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Content-Disposition": _disposition(filename, inline),
        "Cache-Control": "private, max-age=0, must-revalidate",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    byte_range = None
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header and (not if_range or if_range.strip() == etag):
        try:
            byte_range = parse_range(range_header, info.size)
        except RangeNotSatisfiable:
            error = {"code": "range_not_satisfiable", "message": f"object has {info.size} bytes"}
            return JSONResponse(
                status_code=416,
                content={"ok": False, "error": error},
                headers={"Content-Range": f"bytes */{info.size}", "Accept-Ranges": "bytes"},
            )
    if byte_range is None:
        headers["Content-Length"] = str(info.size)
        return StreamingResponse(
            storage.iter_range(key, 0, None), media_type=content_type, headers=headers
        )
    start, end = byte_range
    headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        storage.iter_range(key, start, end),
        status_code=206,
        media_type=content_type,
        headers=headers,
    )

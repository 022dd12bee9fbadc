"""The retrieval agent with a model: an OpenRouter tool-calling loop over the search tools.

The model may call `list_assets`, `search_transcript`, `semantic_search` and `shot_search`,
then answers with JSON candidates. Every call goes into the run's trace. Candidates naming an
asset outside the project or times outside the asset are dropped, so a confused model can
never point at someone else's media.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.describe import extract_json
from agent.openrouter import OpenRouterClient
from database.models import Asset, Project
from operators.search_operator import SearchHit, search, thumbnail_url

MAX_TURNS = 6
TOOL_RESULTS = 8

SYSTEM = """You find moments in a video project's media for an editor.
Use the tools to look, then answer with JSON only:
{"candidates": [{"asset_id": "...", "t0": seconds, "t1": seconds, "score": 0..1,
"reasons": ["why this moment answers the request"]}]}
Best first, at most LIMIT. Times are seconds within the asset; prefer the tool hits' times."""


def _tool(name: str, description: str, query: bool = True) -> dict[str, Any]:
    props = {"query": {"type": "string"}, "limit": {"type": "integer"}} if query else {}
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": props,
                "required": ["query"] if query else [],
            },
        },
    }


TOOLS = [
    _tool("list_assets", "The project's assets: id, file name, kind, duration.", query=False),
    _tool("search_transcript", "Keyword search in what is said (stems, quoted phrases)."),
    _tool("semantic_search", "Search by meaning over speech, on-screen text and summaries."),
    _tool("shot_search", "Search shots by on-screen text, colours and descriptions."),
]


def _hits(hits: list[SearchHit]) -> list[dict[str, Any]]:
    return [
        {
            "asset_id": str(h.asset_id),
            "file": h.filename,
            "kind": h.kind,
            "start": h.start,
            "end": h.end,
            "text": h.text[:300],
        }
        for h in hits
    ]


def _run_tool(
    db: Session, project: Project, name: str, args: dict[str, Any], assets: dict[str, Asset]
) -> Any:
    if name == "list_assets":
        return [
            {"asset_id": aid, "file": a.filename, "kind": a.kind, "duration_s": a.duration_s}
            for aid, a in assets.items()
        ]
    query = str(args.get("query") or "").strip()
    if not query:
        return {"error": "query is required"}
    limit = min(max(int(args.get("limit") or TOOL_RESULTS), 1), 20)
    if name == "search_transcript":
        return _hits(search(db, project, query, "keyword", limit, kinds=["transcript"]))
    if name == "semantic_search":
        return _hits(search(db, project, query, "semantic", limit))
    if name == "shot_search":
        return _hits(search(db, project, query, "hybrid", limit, kinds=["shot"]))
    return {"error": f"unknown tool {name}"}


def plan_with_model(
    db: Session,
    project: Project,
    query: str,
    limit: int,
    trace: list[dict[str, Any]],
    client: OpenRouterClient,
    model: str,
) -> list[dict[str, Any]] | None:
    """Run the tool loop; None when the model gave no usable answer (the caller falls back)."""
    assets = {str(a.id): a for a in db.scalars(select(Asset).where(Asset.project_id == project.id))}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM.replace("LIMIT", str(limit))},
        {"role": "user", "content": query},
    ]
    trace.append({"step": "plan", "planner": "openrouter", "model": model})
    for turn in range(MAX_TURNS):
        final_turn = turn == MAX_TURNS - 1
        result = client.chat(
            messages, model=model, tools=None if final_turn else TOOLS, temperature=0
        )
        messages.append(result.message)
        if not result.tool_calls:
            trace.append({"step": "answer", "usage": result.usage.total_tokens})
            return _candidates(result.content or "", assets, limit, trace)
        for call in result.tool_calls:
            started = time.perf_counter()
            output = (
                {"error": call.arguments_error}
                if call.arguments_error
                else _run_tool(db, project, call.name, call.arguments, assets)
            )
            trace.append(
                {
                    "step": "tool",
                    "tool": call.name,
                    "args": call.arguments,
                    "results": len(output) if isinstance(output, list) else 0,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )
            messages.append(call.result_message(json.dumps(output)))
    trace.append({"step": "answer", "error": "no answer within the turn limit"})
    return None


def _candidates(
    text: str, assets: dict[str, Asset], limit: int, trace: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    data = extract_json(text) or {}
    raw = data.get("candidates") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        trace.append({"step": "validate", "error": "the answer had no candidates list"})
        return None
    kept, dropped = [], 0
    for item in raw:
        try:
            asset = assets[str(uuid.UUID(str(item["asset_id"])))]
            t0, t1 = float(item["t0"]), float(item["t1"])
        except (KeyError, TypeError, ValueError):
            dropped += 1
            continue
        end = asset.duration_s or t1
        t0, t1 = max(0.0, min(t0, end)), max(0.0, min(t1, end))
        if t1 <= t0:
            dropped += 1
            continue
        reasons = item.get("reasons") or []
        kept.append(
            {
                "asset_id": str(asset.id),
                "filename": asset.filename,
                "t0": round(t0, 3),
                "t1": round(t1, 3),
                "score": float(item.get("score") or 0.0),
                "reasons": [str(r) for r in reasons][:5] if isinstance(reasons, list) else [],
                "text": "",
                "thumbnail_url": thumbnail_url(
                    asset.project_id, asset.id, "thumbnail" in (asset.renditions or {})
                ),
            }
        )
    trace.append({"step": "validate", "kept": len(kept), "dropped": dropped})
    return kept[:limit] if kept else None

"""The offline retrieval planner: split the request, search each part, merge nearby hits.

Candidates are time ranges within one asset. Hits in the same asset closer than
`PROXIMITY_S` join one candidate, so a request like "the fox jumps and the title card"
prefers the moment where both happen over two unrelated exact matches.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from database.models import Project
from operators.search_operator import SearchHit, search

PROXIMITY_S = 15.0
COVERAGE_BONUS = 0.5  # per extra part of the request a candidate answers
_SPLIT = re.compile(r"\s*(?:[,;]|\band then\b|\bthen\b|\band also\b|\band\b|\bplus\b)\s*", re.I)


@dataclass
class Candidate:
    asset_id: uuid.UUID
    filename: str
    t0: float
    t1: float
    thumbnail_url: str | None
    text: str
    parts: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    bonus: float = 0.0

    @property
    def score(self) -> float:
        base = sum(self.parts.values()) + self.bonus
        return base * (1 + COVERAGE_BONUS * (len(self.parts) - 1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset_id": str(self.asset_id),
            "filename": self.filename,
            "t0": round(self.t0, 3),
            "t1": round(self.t1, 3),
            "score": round(self.score, 6),
            "reasons": self.reasons,
            "text": self.text,
            "thumbnail_url": self.thumbnail_url,
        }


def split_query(query: str) -> list[str]:
    """The request's parts: clauses joined by "and", "then", commas."""
    parts = [p.strip(" .?!") for p in _SPLIT.split(query)]
    parts = [p for p in parts if len(re.findall(r"\w{3,}", p)) >= 1]
    return list(dict.fromkeys(parts)) or [query.strip()]


def _reason(part: str, hit: SearchHit) -> str:
    what = ", ".join(hit.matched_words) if hit.matched_words else _snippet(hit.text)
    where = f"{hit.start:.1f}-{hit.end:.1f} s"
    return f'"{part}": {hit.kind} match at {where} ({what})'


def _snippet(text: str, words: int = 12) -> str:
    split = text.split()
    return " ".join(split[:words]) + (" ..." if len(split) > words else "")


def merge_hits(hits_by_part: dict[str, list[SearchHit]]) -> list[Candidate]:
    """Group hits by asset and time; whole-asset summary hits lift the asset's candidates."""
    candidates: list[Candidate] = []
    asset_bonus: dict[uuid.UUID, tuple[float, str]] = {}
    for part, hits in hits_by_part.items():
        for hit in hits:
            if hit.kind == "asset":
                best = asset_bonus.get(hit.asset_id, (0.0, ""))
                if hit.score > best[0]:
                    asset_bonus[hit.asset_id] = (hit.score, f'"{part}": matches the asset summary')
                continue
            near = next((c for c in candidates if _near(c, hit)), None)
            if near is None:
                near = Candidate(
                    hit.asset_id, hit.filename, hit.start, hit.end, hit.thumbnail_url, hit.text
                )
                candidates.append(near)
            else:
                near.t0, near.t1 = min(near.t0, hit.start), max(near.t1, hit.end)
            if hit.score > near.parts.get(part, 0.0):
                near.parts[part] = hit.score
            near.reasons.append(_reason(part, hit))
    for cand in candidates:
        if cand.asset_id in asset_bonus:
            score, reason = asset_bonus[cand.asset_id]
            cand.bonus, cand.reasons = score * 0.5, [*cand.reasons, reason]
    return sorted(candidates, key=lambda c: (-c.score, c.t0))


def _near(cand: Candidate, hit: SearchHit) -> bool:
    return cand.asset_id == hit.asset_id and (
        hit.start <= cand.t1 + PROXIMITY_S and hit.end >= cand.t0 - PROXIMITY_S
    )


def plan_with_rules(
    db: Session, project: Project, query: str, limit: int, trace: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Retrieve by rules; every search is appended to `trace`."""
    parts = split_query(query)
    trace.append({"step": "plan", "planner": "rules", "parts": parts})
    hits_by_part: dict[str, list[SearchHit]] = {}
    for part in parts:
        started = time.perf_counter()
        hits = search(db, project, part, "hybrid", limit=max(10, limit * 4))
        hits_by_part[part] = hits
        trace.append(
            {
                "step": "tool",
                "tool": "search",
                "args": {"q": part, "mode": "hybrid"},
                "results": len(hits),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
        )
    merged = merge_hits(hits_by_part)[:limit]
    trace.append({"step": "merge", "candidates": len(merged)})
    return [c.to_dict() for c in merged]

"""Search a project's index: keyword (Postgres full text), semantic (pgvector), hybrid (RRF).

Hybrid search fuses the two ranked lists by reciprocal-rank fusion in one SQL statement, so a
query costs one round trip plus one small query that finds the matched words of transcript
hits (their times make the hit's range word-precise).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from agent.providers import get_providers, query_embedder
from database.models import Project

SearchMode = Literal["hybrid", "semantic", "keyword"]

RRF_K = 60  # the usual constant: damps the head of each list so neither dominates
# MiniLM puts unrelated sentences at 0-0.15 cosine; below this a "semantic hit" is noise.
MIN_SIMILARITY = 0.2
HNSW_EF_SEARCH = 100

_KEYWORD = """
kw AS (
    SELECT id, row_number() OVER (ORDER BY r DESC, id) AS rank, r AS kw_score FROM (
        SELECT si.id, ts_rank_cd(si.tsv, q.query, 32) AS r
        FROM search_items si, websearch_to_tsquery('english', :q) AS q(query)
        WHERE si.project_id = :pid AND si.tsv @@ q.query {filters}
        ORDER BY r DESC, si.id LIMIT :depth
    ) k
)"""
# The nearest rows by one vector column (text vectors: "sem"; picture vectors: "vis"), with
# parameters :{name}_vec, :{name}_model and :{name}_min.
_NEAREST = """
{name} AS (
    SELECT id, row_number() OVER (ORDER BY d, id) AS rank, 1 - d AS {name}_score FROM (
        SELECT si.id, si.{column} <=> CAST(:{name}_vec AS vector) AS d
        FROM search_items si
        WHERE si.project_id = :pid AND si.{model_column} = :{name}_model {filters}
        ORDER BY si.{column} <=> CAST(:{name}_vec AS vector) LIMIT :depth
    ) n WHERE 1 - d >= :{name}_min
)"""
_SELECT = """
SELECT si.id, si.asset_id, si.kind, si.seq, si.start_s, si.end_s, si.text, si.words,
       si.extra, a.kind AS asset_kind, a.filename, a.renditions ? 'thumbnail' AS has_thumb,
       {score} AS score, {matched_by} AS matched_by
FROM {source}
JOIN search_items si ON si.id = {id_expr}
JOIN assets a ON a.id = si.asset_id
ORDER BY score DESC, si.asset_id, si.start_s
LIMIT :limit
"""


@dataclass(frozen=True)
class SearchHit:
    asset_id: uuid.UUID
    kind: str
    start: float
    end: float
    score: float
    text: str
    filename: str
    segment_start: float
    segment_end: float
    matched_words: list[str]
    thumbnail_url: str | None
    # Which ranked lists found it: keyword, semantic (text vectors), visual (picture vectors).
    matched_by: list[str]


def search(
    db: Session,
    project: Project,
    q: str,
    mode: SearchMode = "hybrid",
    limit: int = 10,
    asset_type: str | None = None,
    kinds: Sequence[str] | None = None,
    asset_ids: Sequence[uuid.UUID] | None = None,
) -> list[SearchHit]:
    """Rank the project's transcript segments, shots and asset summaries for `q`."""
    params: dict[str, Any] = {
        "pid": project.id,
        "q": q,
        "limit": limit,
        "depth": max(50, limit * 4),
    }
    filters = ""
    if asset_type:
        filters += (
            " AND si.asset_id IN (SELECT id FROM assets WHERE project_id = :pid AND kind = :atype)"
        )
        params["atype"] = asset_type
    if kinds:
        filters += " AND si.kind = ANY(:kinds)"
        params["kinds"] = list(kinds)
    if asset_ids:
        filters += " AND si.asset_id = ANY(:aids)"
        params["aids"] = list(asset_ids)
    ctes = []
    lists: list[tuple[str, str]] = []  # (CTE name, score column) of each ranked list
    if mode in ("keyword", "hybrid"):
        ctes.append(_KEYWORD.format(filters=filters))
        lists.append(("kw", "kw_score"))
    if mode in ("semantic", "hybrid"):
        _semantic_params(db, q, params)
        ctes.append(
            _NEAREST.format(
                name="sem", column="embedding", model_column="embedding_model", filters=filters
            )
        )
        lists.append(("sem", "sem_score"))
        image_embedder = get_providers().image_embedder
        if image_embedder is not None:
            params["vis_vec"] = _vector_literal(image_embedder.embed_texts([q])[0])
            params["vis_model"] = image_embedder.name
            params["vis_min"] = image_embedder.min_similarity
            ctes.append(
                _NEAREST.format(
                    name="vis",
                    column="visual_embedding",
                    model_column="visual_model",
                    filters=filters,
                )
            )
            lists.append(("vis", "vis_score"))
    sql = "WITH " + ",".join(ctes) + _fused_select(lists)
    rows = db.execute(text(sql), params).mappings().all()
    if not rows and mode == "keyword" and (any_words := _any_of(q)):
        # Every term must match by default; rather than nothing, rank what has some of them.
        rows = db.execute(text(sql), {**params, "q": any_words}).mappings().all()
    rows = _precise_first(rows)[:limit]
    lexemes = _word_lexemes(db, q, rows)
    return [_hit(project.id, row, lexemes) for row in rows]


def _any_of(q: str) -> str | None:
    """`q` with its words joined by OR, when it has several and no operators of its own."""
    words = q.split()
    if len(words) < 2 or any(ch in q for ch in '"-') or "or" in (w.lower() for w in words):
        return None
    return " or ".join(words)


def _semantic_params(db: Session, q: str, params: dict[str, Any]) -> None:
    embedder = query_embedder()
    params["sem_vec"] = _vector_literal(embedder.embed([q])[0])
    params["sem_model"] = embedder.name
    params["sem_min"] = MIN_SIMILARITY
    # Without iterative scans a project filter can starve HNSW's candidate list. One
    # statement for both settings: each round trip costs milliseconds under load.
    db.execute(
        text(
            "SELECT set_config('hnsw.ef_search', :ef, true),"
            " set_config('hnsw.iterative_scan', 'relaxed_order', true)"
        ),
        {"ef": str(HNSW_EF_SEARCH)},
    )


_LIST_NAMES = {"kw": "keyword", "sem": "semantic", "vis": "visual"}


def _fused_select(lists: list[tuple[str, str]]) -> str:
    """The final SELECT: one list's own score, or reciprocal-rank fusion of several."""
    names = [name for name, _ in lists]
    matched_by = "array_remove(ARRAY[{}], NULL)".format(
        ", ".join(f"CASE WHEN {n}.id IS NOT NULL THEN '{_LIST_NAMES[n]}' END" for n in names)
    )
    if len(lists) == 1:
        name, score = lists[0]
        return _SELECT.format(
            source=name, id_expr=f"{name}.id", score=f"{name}.{score}", matched_by=matched_by
        )
    source = names[0]
    for i, name in enumerate(names[1:], start=1):
        earlier = ", ".join(f"{n}.id" for n in names[:i])
        source += f" FULL OUTER JOIN {name} ON {name}.id = coalesce({earlier})"
    id_expr = "coalesce({})".format(", ".join(f"{n}.id" for n in names))
    score = " + ".join(f"coalesce(1.0 / ({RRF_K} + {n}.rank), 0)" for n in names)
    return _SELECT.format(source=source, id_expr=id_expr, score=score, matched_by=matched_by)


def _precise_first(rows: Sequence[Any]) -> list[Any]:
    """Drop an asset's summary hit when one of its moments matched too: the moment is the
    more useful answer, and the summary would only repeat it without a time range."""
    precise = {row["asset_id"] for row in rows if row["kind"] != "asset"}
    return [row for row in rows if row["kind"] != "asset" or row["asset_id"] not in precise]


def _vector_literal(vec: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vec.tolist()) + "]"


def _word_lexemes(db: Session, q: str, rows: Sequence[Any]) -> dict[str, set[str]]:
    """The query's lexemes (key "") and each hit word's, stemmed by Postgres like the index."""
    words = sorted({w[2] for row in rows for w in (row["words"] or [])})
    result = db.execute(
        text(
            "SELECT '' AS word, coalesce(array_agg(lexeme), '{}') AS lex "
            "FROM unnest(to_tsvector('english', :q)) "
            "UNION ALL SELECT w, coalesce((SELECT array_agg(lexeme) "
            "FROM unnest(to_tsvector('english', w))), '{}') FROM unnest(CAST(:words AS text[])) w"
        ),
        {"q": q, "words": words},
    )
    return {row.word: set(row.lex) for row in result}


def _hit(project_id: uuid.UUID, row: Any, lexemes: dict[str, set[str]]) -> SearchHit:
    start, end, matched = row["start_s"], row["end_s"], []
    words = row["words"] or []
    if words and lexemes.get(""):
        window = _tightest_window(words, lexemes)
        if window is not None:
            first, last = window
            start, end = words[first][0], words[last][1]
            matched = [
                w[2] for w in words[first : last + 1] if lexemes.get(w[2], set()) & lexemes[""]
            ]
    if row["kind"] == "shot":
        thumb: str | None = (
            f"/projects/{project_id}/assets/{row['asset_id']}/shots/{row['seq']}/keyframe"
        )
    else:
        thumb = thumbnail_url(project_id, row["asset_id"], row["has_thumb"])
    return SearchHit(
        asset_id=row["asset_id"],
        kind=row["kind"],
        start=round(start, 3),
        end=round(end, 3),
        score=round(float(row["score"]), 6),
        text=row["text"],
        filename=row["filename"],
        segment_start=round(row["start_s"], 3),
        segment_end=round(row["end_s"], 3),
        matched_words=matched,
        thumbnail_url=thumb,
        matched_by=list(row["matched_by"]),
    )


def thumbnail_url(project_id: uuid.UUID, asset_id: uuid.UUID, has_thumbnail: bool) -> str | None:
    """The URL of an asset's thumbnail, when indexing made one."""
    return f"/projects/{project_id}/assets/{asset_id}/thumbnail" if has_thumbnail else None


def _tightest_window(
    words: list[list[Any]], lexemes: dict[str, set[str]]
) -> tuple[int, int] | None:
    """Shortest run of words covering every query lexeme the segment contains."""
    wanted = lexemes[""]
    hits = [(i, lexemes.get(w[2], set()) & wanted) for i, w in enumerate(words)]
    hits = [(i, found) for i, found in hits if found]
    if not hits:
        return None
    present = set().union(*(found for _, found in hits))
    best: tuple[int, int] | None = None
    counts: dict[str, int] = {}
    left = 0
    for right, (_, found) in enumerate(hits):
        for lex in found:
            counts[lex] = counts.get(lex, 0) + 1
        while len(counts) == len(present):
            i, j = hits[left][0], hits[right][0]
            if best is None or words[j][1] - words[i][0] < words[best[1]][1] - words[best[0]][0]:
                best = (i, j)
            for lex in hits[left][1]:
                counts[lex] -= 1
                if not counts[lex]:
                    del counts[lex]
            left += 1
    return best

"""Search benchmark: latency at 100,000 indexed transcript segments, HNSW recall, relevance.

    .venv/bin/python bench/bench_search.py [--rows 100000] [--queries 300] [--explain]

Starts its own embedded PostgreSQL on a TCP port and `python main.py` against it. Loads one
project with `--rows` synthetic segments (8-30-word sentences from topic templates; vectors
are ~5,000 distinct sentences embedded with the real MiniLM, each row one of them plus small
gaussian noise) and a few smaller projects, then times `GET /search` per mode over HTTP and
`search()` in-process, checks HNSW results against an exact scan, and scores the labelled
set in bench/search_relevance.json. Base-sentence vectors are cached in the temp directory
(the first run embeds them: about a minute). OPENBLAS_NUM_THREADS in the environment reaches
the server too, which is how docs/bench-notes/search.md compares BLAS thread counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.types.json import Jsonb
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))
os.environ["OPENROUTER_API_KEY"] = ""  # always the local MiniLM, here and in the server

from agent.embeddings import get_local_embedder  # noqa: E402
from database.embedded import EmbeddedPostgres  # noqa: E402
from database.models import Project  # noqa: E402
from database.session import create_db_engine  # noqa: E402
from operators import search_operator  # noqa: E402
from operators.search_operator import search  # noqa: E402
from runtime import single_threaded_blas  # noqa: E402
from tests.factories import make_media_row  # noqa: E402
from tests.handlers.search_library import index_asset, segment  # noqa: E402
from tests.support import ServerProcess, free_port  # noqa: E402

MODES = ("keyword", "semantic", "hybrid")
VECTOR_LITERAL = re.compile(r"'\[[-0-9.e,]+\]'::vector")
NOISE_SIGMA = 0.015  # per dimension: a noisy copy keeps ~0.96 cosine to its sentence
SECONDS_PER_WORD = 0.35
COPY_COLUMNS = ("id", "project_id", "asset_id", "kind", "seq", "start_s", "end_s", "text",
                "words", "extra", "embedding", "embedding_model", "created_at")  # fmt: skip
COPY_TYPES = ["uuid", "uuid", "uuid", "varchar", "int4", "float8", "float8", "text", "jsonb",
              "jsonb", "vector", "varchar", "timestamptz"]  # fmt: skip

# topic: (subjects, verbs, objects, tails); a clause is "subject verb object [tail]".
TOPICS: dict[str, tuple[list[str], ...]] = {
    "cooking": (
        ["the chef", "my grandmother", "the sous chef", "our guest", "the baker", "the kitchen team", "my brother", "the caterer"],  # noqa: E501
        ["chopped", "simmered", "roasted", "seasoned", "tasted", "plated", "stirred", "marinated"],
        ["the onions", "a pot of tomato sauce", "the chicken thighs", "fresh basil", "the garlic", "a tray of vegetables", "the risotto", "the sourdough"],  # noqa: E501
        ["for twenty minutes", "over a low heat", "before service", "with a pinch of salt", "until it was golden", "in the cast iron pan", "right before dinner", "while the oven heated up"],  # noqa: E501
    ),
    "finance": (
        ["the chief financial officer", "our analysts", "the board", "the investors", "the accountant", "the sales team", "the auditor", "the treasurer"],  # noqa: E501
        ["reviewed", "cut", "raised", "forecast", "approved", "questioned", "doubled", "restructured"],  # noqa: E501
        ["the quarterly revenue", "the marketing budget", "the dividend", "operating costs", "the cash flow", "the debt", "the hiring plan", "the pricing model"],  # noqa: E501
        ["for next year", "after the earnings call", "by ten percent", "despite the downturn", "in the annual report", "ahead of the merger", "at the shareholder meeting", "this quarter"],  # noqa: E501
    ),
    "wildlife": (
        ["the lioness", "a herd of elephants", "the young fox", "a pair of eagles", "the wolves", "a family of otters", "the grizzly bear", "the zebras"],  # noqa: E501
        ["stalked", "chased", "crossed", "guarded", "hunted", "followed", "circled", "watched"],
        ["the river", "their prey", "the open plain", "the nest", "the watering hole", "the frozen lake", "the valley", "the herd"],  # noqa: E501
        ["at dawn", "through the tall grass", "during the migration", "in the heavy rain", "under the full moon", "for hours", "near the forest edge", "as the sun went down"],  # noqa: E501
    ),
    "film": (
        ["the director", "our camera operator", "the gaffer", "the editor", "the sound recordist", "the producer", "the colourist", "the drone pilot"],  # noqa: E501
        ["framed", "lit", "recorded", "graded", "cut", "reshot", "stabilised", "rehearsed"],
        ["the wide shot", "the interview", "the opening scene", "the b-roll", "the close up", "the drone footage", "the dialogue", "the title sequence"],  # noqa: E501
        ["on location", "with a softbox", "in slow motion", "at golden hour", "before lunch", "for the trailer", "on the gimbal", "in the edit suite"],  # noqa: E501
    ),
    "sports": (
        ["the striker", "the goalkeeper", "the coach", "our captain", "the referee", "the defender", "the substitute", "the home crowd"],  # noqa: E501
        ["blocked", "celebrated", "missed", "won", "argued about", "scored", "defended", "lost"],
        ["the penalty", "the final match", "the free kick", "a corner", "the league title", "the header", "the offside call", "the rebound"],  # noqa: E501
        ["in extra time", "in the second half", "after the whistle", "from the edge of the box", "under the floodlights", "in front of the fans", "during the derby", "in the last minute"],  # noqa: E501
    ),
    "travel": (
        ["we", "our guide", "the backpackers", "my sister", "the tour group", "the locals", "our host", "the ferry captain"],  # noqa: E501
        ["visited", "explored", "photographed", "hiked", "booked", "missed", "found", "walked through"],  # noqa: E501
        ["the old town", "a tiny guesthouse", "the night market", "the mountain trail", "the cathedral", "the night train", "the harbour", "the rice terraces"],  # noqa: E501
        ["in the morning", "on our last day", "without a map", "in the pouring rain", "after a long flight", "for the festival", "on a tight budget", "before the crowds arrived"],  # noqa: E501
    ),
    "tech": (
        ["the engineers", "our backend team", "the intern", "the on call developer", "the architect", "the security team", "the product manager", "the database admin"],  # noqa: E501
        ["deployed", "debugged", "refactored", "migrated", "rolled back", "monitored", "tested", "benchmarked"],  # noqa: E501
        ["the release", "the login service", "the search index", "the database cluster", "the mobile app", "the payment api", "the build pipeline", "the cache layer"],  # noqa: E501
        ["on friday night", "after the outage", "behind a feature flag", "in production", "during the sprint", "with zero downtime", "before the launch", "over the weekend"],  # noqa: E501
    ),
    "climate": (
        ["the scientists", "the researchers", "the climate model", "the satellite data", "the farmers", "the city council", "the glaciologist", "the report"],  # noqa: E501
        ["measured", "predicted", "warned about", "tracked", "studied", "reduced", "documented", "mapped"],  # noqa: E501
        ["the rising sea levels", "the carbon emissions", "the melting glaciers", "the drought", "the heat wave", "the coral bleaching", "the forest fires", "the ocean temperature"],  # noqa: E501
        ["over the last decade", "across the arctic", "since the eighties", "in the southern hemisphere", "this summer", "along the coast", "year after year", "for the first time"],  # noqa: E501
    ),
    "music": (
        ["the band", "our drummer", "the singer", "the orchestra", "the producer", "the guitarist", "the choir", "the sound engineer"],  # noqa: E501
        ["rehearsed", "recorded", "mixed", "performed", "rewrote", "tuned", "sampled", "remastered"],  # noqa: E501
        ["the new single", "the chorus", "the live album", "the guitar solo", "the bass line", "the encore", "the string section", "the demo tape"],  # noqa: E501
        ["in the studio", "on the tour bus", "at the festival", "in one take", "late at night", "for the album", "at sound check", "in front of a sold out crowd"],  # noqa: E501
    ),
    "health": (
        ["the doctor", "the nurse", "my physiotherapist", "the patient", "the surgeon", "the nutritionist", "the trainer", "the pharmacist"],  # noqa: E501
        ["checked", "recommended", "treated", "explained", "monitored", "prescribed", "stretched", "adjusted"],  # noqa: E501
        ["the blood pressure", "a daily walk", "the knee injury", "the sleep schedule", "the medication", "a balanced diet", "the back pain", "the recovery plan"],  # noqa: E501
        ["after the surgery", "every morning", "for six weeks", "at the clinic", "during the checkup", "before the marathon", "twice a day", "without any side effects"],  # noqa: E501
    ),
    "home": (
        ["the builder", "my dad", "the electrician", "we", "the plumber", "the decorator", "the carpenter", "my neighbour"],  # noqa: E501
        ["painted", "replaced", "sanded", "repaired", "tiled", "insulated", "measured", "demolished"],  # noqa: E501
        ["the kitchen wall", "the old floorboards", "the bathroom", "the leaking roof", "the window frames", "the garden shed", "the staircase", "the boiler"],  # noqa: E501
        ["over the weekend", "before winter", "with reclaimed wood", "in a single day", "on a small budget", "after the inspection", "in pale green", "for the new baby"],  # noqa: E501
    ),
    "education": (
        ["the teacher", "the students", "our professor", "the tutor", "the principal", "the class", "the examiner", "the librarian"],  # noqa: E501
        ["explained", "graded", "discussed", "presented", "memorised", "revised", "debated", "summarised"],  # noqa: E501
        ["the algebra homework", "the history essay", "the final exam", "the poem", "the lab experiment", "the reading list", "the group project", "the periodic table"],  # noqa: E501
        ["before the holidays", "in the lecture hall", "after school", "for the third time", "in small groups", "with great patience", "on the whiteboard", "at the end of term"],  # noqa: E501
    ),
}  # fmt: skip
OPENERS = ["so", "and then", "honestly", "okay so", "I think", "you know", "after that", "well"]
LINKS = ["and", "but", "because", "while", "so", "and then", "until", "although"]
FILLERS = ["um", "uh", "like", "you know", "I mean", "actually", "basically", "right"]
RARE = ["quantum entanglement", "volcano eruption", "medieval castle siege", "submarine sonar",
        "origami crane", "lunar eclipse", "chess opening theory", "beekeeping hive"]  # fmt: skip


def clause(r: random.Random, topic: str) -> str:
    subjects, verbs, objects, tails = TOPICS[topic]
    words = [r.choice(subjects), r.choice(verbs), r.choice(objects)]
    if r.random() < 0.6:
        words.append(r.choice(tails))
    return " ".join(words)


def base_sentences(n: int, r: random.Random) -> list[tuple[str, str]]:
    """`n` distinct (sentence, topic) pairs of 8 to 30 words."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    names = sorted(TOPICS)
    while len(out) < n:
        topic = r.choice(names)
        parts = [r.choice(OPENERS)] if r.random() < 0.4 else []
        parts.append(clause(r, topic))
        for chance in (0.6, 0.25):
            if r.random() < chance:
                parts += [r.choice(LINKS), clause(r, topic)]
        sentence = " ".join(parts)
        if 8 <= len(sentence.split()) <= 30 and sentence not in seen:
            seen.add(sentence)
            out.append((sentence[0].upper() + sentence[1:] + r.choice(".?!"), topic))
    return out


def speech_variant(r: random.Random, sentence: str) -> str:
    """The sentence as someone says it: zero to two fillers somewhere in it."""
    words = sentence.split()
    for _ in range(r.choice((0, 0, 1, 2))):
        words.insert(r.randrange(1, len(words)), r.choice(FILLERS) + ",")
    return " ".join(words)


def latency_queries(n: int, r: random.Random) -> list[str]:
    """Keyword-style, natural-language and no-match queries, in a fixed mix."""
    out = []
    for i in range(n):
        subjects, verbs, objects, tails = TOPICS[r.choice(sorted(TOPICS))]
        obj = r.choice(objects).removeprefix("the ").removeprefix("a ")
        if i % 5 in (0, 1):  # a few keywords
            out.append(r.choice([obj, f"{r.choice(verbs)} {obj}", r.choice(tails)]))
        elif i % 5 in (2, 3):  # a sentence-like request
            out.append(r.choice([f"where {r.choice(subjects)} {r.choice(verbs)} {obj}",
                                 f"show me the part about {obj} {r.choice(tails)}",
                                 f"clip of {r.choice(subjects)} talking about {obj}"]))  # fmt: skip
        else:
            out.append(r.choice(RARE))
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


HEADER = (f"| {'':<40} |     n |  p50 ms |  p95 ms |  p99 ms |  max ms |\n"
          f"|{'-' * 42}|------:|--------:|--------:|--------:|--------:|")  # fmt: skip


def row(name: str, seconds: list[float]) -> str:
    ms = [v * 1000 for v in seconds]
    return (f"| {name:<40} | {len(ms):5d} | {statistics.median(ms):7.2f} | {pct(ms, 0.95):7.2f} |"
            f" {pct(ms, 0.99):7.2f} | {max(ms):7.2f} |")  # fmt: skip


def progress(label: str, done: int, total: int, started: float) -> None:
    end = "\n" if done >= total else ""
    print(f"\r  {label}: {done:,}/{total:,} ({time.perf_counter() - started:.0f} s)", end=end,
          flush=True)  # fmt: skip


def embed_bases(sentences: list[str], use_cache: bool) -> np.ndarray:
    """MiniLM vectors of the base sentences, cached in the temp dir between runs."""
    embedder = get_local_embedder()
    digest = hashlib.sha256("\n".join([embedder.name, *sentences]).encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"bench-search-vectors-{digest}.npy"
    if use_cache and cache.exists():
        print(f"  base vectors from {cache}")
        return np.load(cache)
    out = np.zeros((len(sentences), embedder.dim), dtype=np.float32)
    started = time.perf_counter()
    for first in range(0, len(sentences), 250):
        out[first : first + 250] = embedder.embed(sentences[first : first + 250])
        progress("embedding base sentences", min(first + 250, len(sentences)), len(sentences),
                 started)  # fmt: skip
    np.save(cache, out)
    return out


class Corpus:
    """Synthetic transcript rows: text, word timings and a noisy copy of a base vector."""

    def __init__(self, r: random.Random, n_bases: int, use_cache: bool) -> None:
        self.r = r
        self.np_rng = np.random.default_rng(r.randrange(2**32))
        self.bases = base_sentences(n_bases, r)
        self.by_topic: dict[str, list[int]] = {}
        for index, (_, topic) in enumerate(self.bases):
            self.by_topic.setdefault(topic, []).append(index)
        self.vectors = embed_bases([s for s, _ in self.bases], use_cache)
        self.model = get_local_embedder().name

    def rows(self, project_id: uuid.UUID, assets: list[uuid.UUID], n: int) -> Iterator[tuple]:
        """`n` COPY rows spread over `assets`; each asset mostly keeps to one topic."""
        counts = self.np_rng.multinomial(n, [1 / len(assets)] * len(assets))
        now = datetime.now(UTC)
        for asset_id, count in zip(assets, counts, strict=True):
            topic = self.r.choice(sorted(self.by_topic))
            picks = [self.r.choice(self.by_topic[topic]) if self.r.random() < 0.7
                     else self.r.randrange(len(self.bases)) for _ in range(count)]  # fmt: skip
            noisy = self.vectors[picks] + self.np_rng.normal(0, NOISE_SIGMA, (count, 384))
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            clock = 1.0
            for seq, (base, vec) in enumerate(zip(picks, noisy.astype(np.float32), strict=True)):
                said = speech_variant(self.r, self.bases[base][0])
                words = [[round(clock + i * SECONDS_PER_WORD, 3),
                          round(clock + (i + 1) * SECONDS_PER_WORD - 0.05, 3), w]
                         for i, w in enumerate(said.split())]  # fmt: skip
                start, end = words[0][0], words[-1][1]
                yield (uuid.uuid4(), project_id, asset_id, "transcript", seq, start, end, said,
                       Jsonb(words), Jsonb({}), vec, self.model, now)  # fmt: skip
                clock = words[-1][1] + self.r.uniform(0.2, 2.0)


def copy_rows(conn: psycopg.Connection, rows: Iterator[tuple], total: int, label: str) -> float:
    started = time.perf_counter()
    sql = f"COPY search_items ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with conn.cursor() as cur, cur.copy(sql) as copy:
        copy.set_types(COPY_TYPES)
        for done, values in enumerate(rows, 1):
            copy.write_row(values)
            if done % 5000 == 0 or done == total:
                progress(label, done, total, started)
    conn.commit()
    return time.perf_counter() - started


def add_assets(engine: Engine, project_id: str, n: int, prefix: str) -> list[uuid.UUID]:
    with Session(engine) as db, db.begin():
        project = db.get(Project, uuid.UUID(project_id))
        assert project is not None
        return [
            make_media_row(db, project, filename=f"{prefix}-{i:03d}.mp4", duration_s=3600.0).id
            for i in range(n)
        ]


class SqlTimer:
    """Per-statement time inside `search()`, from SQLAlchemy's cursor events."""

    def __init__(self, engine: Engine) -> None:
        self.spans: dict[str, float] = {}
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.spans, self.statements = {}, []

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        elapsed = time.perf_counter() - conn.info.pop("started")
        head = statement.lstrip()
        if head.startswith("SET"):
            key = "SET LOCAL"
        elif head.startswith("WITH"):
            key = "main SQL"
        else:
            key = "matched-words SQL" if "unnest(to_tsvector" in head else "other SQL"
        self.spans[key] = self.spans.get(key, 0.0) + elapsed
        self.statements.append((statement, params))


class EmbedProbe:
    """Wraps the process-wide embedder: times each call, and can serve remembered vectors."""

    def __init__(self) -> None:
        self.embedder = get_local_embedder()
        self.inner = self.embedder.embed
        self.times: list[float] = []
        self.memo: dict[str, np.ndarray] | None = None
        self.embedder.embed = self._embed  # type: ignore[method-assign]

    def _embed(self, texts: Any) -> np.ndarray:
        if self.memo is not None and all(t in self.memo for t in texts):
            return np.stack([self.memo[t] for t in texts])
        started = time.perf_counter()
        out = self.inner(texts)
        self.times.append(time.perf_counter() - started)
        if self.memo is not None:
            self.memo.update(zip(texts, out, strict=True))
        return out


def in_process(
    engine: Engine,
    pid: str,
    q: str,
    mode: str,
    limit: int = 10,
    before: Callable[[Session], None] | None = None,
) -> tuple[float, list[Any]]:
    """One `search()` in its own transaction, as a request runs it; (seconds, hits)."""
    with Session(engine) as db, db.begin():
        project = db.get(Project, uuid.UUID(pid))
        if before is not None:
            before(db)
        started = time.perf_counter()
        hits = search(db, project, q, mode, limit)  # type: ignore[arg-type]
        return time.perf_counter() - started, hits


def load(args: argparse.Namespace, r: random.Random, http: httpx.Client, engine: Engine,
         db_url: str) -> dict[str, tuple[str, int]]:  # fmt: skip
    """Create the projects and bulk-load their rows; {label: (project id, rows)}."""
    sizes = {"main": (args.rows, 200), "other 10k": (10_000, 20), "other 2k": (2_000, 5),
             "other 500": (500, 2)}  # fmt: skip
    projects: dict[str, tuple[str, int]] = {}
    assets: dict[str, list[uuid.UUID]] = {}
    for label, (n, n_assets) in sizes.items():
        pid = http.post("/projects", json={"name": label}).json()["project"]["id"]
        projects[label] = (pid, n)
        assets[label] = add_assets(engine, pid, n_assets, label.replace(" ", "-"))
    print(f"embedding {args.bases:,} distinct base sentences with MiniLM ...", flush=True)
    corpus = Corpus(r, args.bases, not args.no_cache)
    with psycopg.connect(db_url) as conn:
        register_vector(conn)
        names = ("ix_search_items_embedding", "ix_search_items_tsv")
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)"
        defs = dict(conn.execute(query, (list(names),)).fetchall())
        conn.execute("DROP INDEX ix_search_items_embedding, ix_search_items_tsv")
        print("bulk-loading with the HNSW and GIN indexes dropped ...", flush=True)
        for label in ("main", "other 10k"):
            pid, n = projects[label]
            seconds = copy_rows(conn, corpus.rows(uuid.UUID(pid), assets[label], n), n, label)
            print(f"  {n / seconds:,.0f} rows/s")
        conn.execute("SET maintenance_work_mem = '1GB'")  # the default 64MB spills the graph
        built = {}
        for name in ("ix_search_items_tsv", "ix_search_items_embedding"):
            print(f"building {name} ...", flush=True)
            started = time.perf_counter()
            conn.execute(defs[name])
            conn.commit()
            built[name] = time.perf_counter() - started
        print("inserting two small projects with both indexes in place ...", flush=True)
        incremental = {}
        for label in ("other 2k", "other 500"):
            pid, n = projects[label]
            seconds = copy_rows(conn, corpus.rows(uuid.UUID(pid), assets[label], n), n, label)
            incremental[label] = n / seconds
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE search_items")
        sizes_mb = conn.execute(
            "SELECT pg_table_size('search_items'), pg_relation_size('ix_search_items_embedding'),"
            " pg_relation_size('ix_search_items_tsv')").fetchone()  # fmt: skip
    total = sum(n for _, n in projects.values())
    print(f"\n| index build over {total:,} rows (2 cores) | seconds | size MB |\n|---|---:|---:|")
    print(f"| GIN on tsv | {built['ix_search_items_tsv']:.1f} | {sizes_mb[2] / 2**20:,.0f} |")
    print(f"| HNSW m=16 ef_construction=64, maintenance_work_mem 1GB |"
          f" {built['ix_search_items_embedding']:.1f} | {sizes_mb[1] / 2**20:,.0f} |")  # fmt: skip
    print(f"| (table: {sizes_mb[0] / 2**20:,.0f} MB) | | |")
    rates = ", ".join(f"{label} {rate:,.0f} rows/s" for label, rate in incremental.items())
    print(f"\nincremental COPY with both indexes present: {rates}")
    return projects


def latency(args: argparse.Namespace, http: httpx.Client, engines: dict[str, Engine],
            probe: EmbedProbe, pid: str, queries: list[str]) -> None:  # fmt: skip
    """Per-mode latency over HTTP and in-process, and where the in-process time goes.

    Each query runs in every mode back to back (the order rotating), so the load other work
    puts on the machine falls on all modes alike.
    """
    served = engines["served"]
    timer = SqlTimer(served)
    url = f"/projects/{pid}/search"
    print("warm-up: 20 queries in every mode ...", flush=True)
    for q in queries[:20]:
        for mode in MODES:
            assert http.get(url, params={"q": q, "mode": mode}).status_code == 200
            in_process(served, pid, q, mode)
            in_process(engines["unprepared"], pid, q, mode)
    remote: dict[str, list[float]] = {mode: [] for mode in MODES}
    local: dict[str, list[float]] = {mode: [] for mode in MODES}
    spans: dict[str, dict[str, list[float]]] = {mode: {} for mode in MODES}
    slowest: dict[str, tuple[float, str, list[tuple[str, Any]]]] = {}
    unprepared, alone = [], []
    started = time.perf_counter()
    for i, q in enumerate(queries):
        order = MODES[i % 3 :] + MODES[: i % 3]
        for mode in order:
            began = time.perf_counter()
            response = http.get(url, params={"q": q, "mode": mode})
            remote[mode].append(time.perf_counter() - began)
            assert response.status_code == 200, response.text
        for mode in order:
            probe.times.clear()
            # Reset after the project is loaded, so only search()'s statements count.
            seconds, _ = in_process(served, pid, q, mode, before=lambda _db: timer.reset())
            local[mode].append(seconds)
            for key, value in timer.spans.items():
                spans[mode].setdefault(key, []).append(value)
            if probe.times:
                spans[mode].setdefault("query embedding", []).append(sum(probe.times))
            main = timer.spans.get("main SQL", 0.0)
            if main > slowest.get(mode, (0.0,))[0]:
                slowest[mode] = (main, q, list(timer.statements))
        unprepared.append(in_process(engines["unprepared"], pid, q, "hybrid")[0])
        began = time.perf_counter()
        probe.inner([q])
        alone.append(time.perf_counter() - began)
        if (i + 1) % 25 == 0 or i + 1 == len(queries):
            progress("queries (3 modes x HTTP + in-process)", i + 1, len(queries), started)
    print(f"\n{len(queries)} queries per mode over one project of {args.rows:,} segments"
          " (limit 10; the same queries in every mode)\n")  # fmt: skip
    print(HEADER)
    for mode in MODES:
        print(row(f"HTTP GET /search mode={mode}", remote[mode]))
    for mode in MODES:
        print(row(f"in-process search() mode={mode}", local[mode]))
    print(row("in-process hybrid, nothing prepared", unprepared))
    print(row("query embedding alone (MiniLM, 1 text)", alone))
    print(f"\nwhere in-process time goes (per search)\n\n{HEADER}")
    for mode in MODES:
        for key, values in sorted(spans[mode].items()):
            print(row(f"{mode}: {key}", values))
    print(f"\n(load average over the last 1/5/15 min: {os.getloadavg()})")
    hybrid_p95 = pct(remote["hybrid"], 0.95) * 1000
    verdict = "met" if hybrid_p95 < 50 else "NOT met"
    print(f"\ngoal hybrid p95 < 50 ms over HTTP: {hybrid_p95:.1f} ms, {verdict}")
    if args.explain:
        print_plans(engines["unprepared"], {m: v[1:] for m, v in slowest.items()})


def print_plans(engine: Engine, captured: dict[str, tuple[str, list[tuple[str, Any]]]]) -> None:
    """EXPLAIN ANALYZE of each mode's slowest main statement, after its SET LOCALs."""
    for mode, (q, statements) in captured.items():
        print(f"\nEXPLAIN (ANALYZE, BUFFERS), the slowest {mode} statement, q={q!r}\n```")
        with engine.connect() as conn, conn.begin():
            for statement, params in statements:
                if statement.lstrip().startswith("SET"):
                    conn.exec_driver_sql(statement)
                elif statement.lstrip().startswith("WITH"):
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    lines = "\n".join(line for (line,) in plan)
                    print(VECTOR_LITERAL.sub("'[384 floats]'::vector", lines))
        print("```")


def recall(engines: dict[str, Engine], probe: EmbedProbe, projects: dict[str, tuple[str, int]],
           queries: list[str]) -> None:  # fmt: skip
    """Semantic top 10 as served (HNSW) against the exact answer; vectors are remembered."""
    probe.memo = {}
    probe.embedder.embed(queries)

    def exact_scan(db: Session) -> None:
        db.execute(text("SET LOCAL enable_indexscan = off"))

    def run(label: str, pid: str) -> tuple[float, float, list[float], list[float]]:
        found = wanted = 0
        gaps, served, exact = [], [], []
        for q in queries:
            seconds, hits = in_process(engines["served"], pid, q, "semantic")
            served.append(seconds)
            # Its own engine: a prepared statement would keep its cached (HNSW) plan.
            seconds, truth = in_process(engines["unprepared"], pid, q, "semantic", 10, exact_scan)
            exact.append(seconds)
            keys = {(h.asset_id, h.segment_start) for h in hits}
            wanted += len(truth)
            found += sum((h.asset_id, h.segment_start) in keys for h in truth)
            if truth:
                gaps.append(statistics.mean(h.score for h in truth) -
                            statistics.mean([h.score for h in hits] or [0.0]))  # fmt: skip
        return found / max(wanted, 1), statistics.mean(gaps), served, exact

    default = search_operator.HNSW_EF_SEARCH
    sweep = [(label, default) for label in projects] + [("main", ef) for ef in (40, 200, 400)]
    lines = []
    for label, ef in sweep:
        print(f"recall: {label}, ef_search={ef} ...", flush=True)
        search_operator.HNSW_EF_SEARCH = ef
        try:
            value, gap, served, exact = run(label, projects[label][0])
        finally:
            search_operator.HNSW_EF_SEARCH = default
        ms = [1000 * pct(v, p) for v in (served, exact) for p in (0.5, 0.95)]
        lines.append(f"| {label} | {projects[label][1]:,} | {ef} | {value:.3f} | {gap:.4f} | "
                     + " | ".join(f"{v:.1f}" for v in ms) + " |")  # fmt: skip
    print(f"\nsemantic top 10 as served (HNSW, iterative relaxed_order, server-like engine) vs "
          f"an exact scan; {len(queries)} queries per project, query vectors remembered, so "
          "times are search() minus the embedding\n")  # fmt: skip
    print("| project | rows | ef_search | recall@10 | mean cosine lost | served p50 ms |"
          " served p95 ms | exact p50 ms | exact p95 ms |\n|---|---:|---:|---:|---:|---:|---:|"
          "---:|---:|")  # fmt: skip
    print("\n".join(lines))
    probe.memo = None


def relevance(http: httpx.Client, engine: Engine, db_url: str) -> None:
    """Recall@1 and @5 per mode and query type on the labelled set."""
    data = json.loads((ROOT / "bench" / "search_relevance.json").read_text())
    pid = http.post("/projects", json={"name": "relevance"}).json()["project"]["id"]
    print("\nindexing the labelled relevance set ...", flush=True)
    with Session(engine) as db, db.begin():
        project = db.get(Project, uuid.UUID(pid))
        for asset in data["assets"]:
            entries = [segment(seq, 1.0 + 12.0 * seq, s) for seq, s in enumerate(asset["segments"])]
            index_asset(db, project, asset["filename"], "transcript", entries)
    texts = {a["filename"]: a["segments"] for a in data["assets"]}
    with psycopg.connect(db_url) as conn:
        for item in data["queries"]:
            if item["type"] != "paraphrase":
                continue
            shared = conn.execute(
                "SELECT array(SELECT unnest(tsvector_to_array(to_tsvector('english', %s)))"
                " INTERSECT SELECT unnest(tsvector_to_array(to_tsvector('english', %s))))",
                (item["q"], texts[item["asset"]][item["seq"]]),
            ).fetchone()[0]
            if shared:
                print(f"  warning: paraphrase {item['q']!r} shares {shared} with its target")
    types = ["exact", "paraphrase", "mixed"]
    scores: dict[tuple[str, str], list[tuple[bool, bool]]] = {}
    misses: dict[str, list[str]] = {}
    wrong: list[str] = []
    for mode in MODES:
        for item in data["queries"]:
            body = http.get(f"/projects/{pid}/search",
                            params={"q": item["q"], "mode": mode, "limit": 5}).json()  # fmt: skip
            target = (item["asset"], 1.0 + 12.0 * item["seq"])
            ranks = [(h["filename"], h["segment_start"]) for h in body["results"]]
            hit1, hit5 = ranks[:1] == [target], target in ranks
            for key in (item["type"], "all"):
                scores.setdefault((mode, key), []).append((hit1, hit5))
            if not hit5:
                misses.setdefault(mode, []).append(f"{item['type']}: {item['q']}")
            elif not hit1 and mode == "hybrid":
                first = texts[ranks[0][0]].index(body["results"][0]["text"])
                wrong.append(f"{item['q']!r} -> {ranks[0][0]} #{first}")
    n_assets, n_segments = len(data["assets"]), sum(len(a) for a in texts.values())
    print(f"\nrelevance: {len(data['queries'])} labelled queries over {n_assets} assets, "
          f"{n_segments} segments (bench/search_relevance.json)\n")  # fmt: skip
    print("| mode | " + " | ".join(f"{t} R@1 | {t} R@5" for t in [*types, "all"]) + " |")
    print("|---|" + "---:|" * 8)
    for mode in MODES:
        cells = []
        for kind in [*types, "all"]:
            got = scores[(mode, kind)]
            cells += [f"{sum(a for a, _ in got) / len(got):.2f}",
                      f"{sum(b for _, b in got) / len(got):.2f}"]  # fmt: skip
        print(f"| {mode} | " + " | ".join(cells) + " |")
    for mode, missed in misses.items():
        print(f"\n{mode} missed at 5: " + "; ".join(missed))
    print("\nhybrid right at 5 but not at 1 (query -> what came first): " + "; ".join(wrong))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bases", type=int, default=5_000, help="distinct embedded sentences")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--recall-queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the plans of one query")
    parser.add_argument("--no-cache", action="store_true", help="re-embed the base sentences")
    args = parser.parse_args()
    # The in-process figures run under the server's BLAS setting (one thread) unless
    # OPENBLAS_NUM_THREADS asks otherwise, as the server does.
    if "OPENBLAS_NUM_THREADS" not in os.environ:
        single_threaded_blas()
    r = random.Random(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        tmpdir = Path(tmp)
        pg = EmbeddedPostgres(tmpdir / "pg", port=free_port())
        url = pg.start()
        env = {"DATABASE_URL": url, "DATA_DIR": str(tmpdir / "data"), "LOG_LEVEL": "WARNING",
               "REDIS_RQ_URL": "", "REDIS_AUTH_URL": "", "OPENROUTER_API_KEY": ""}  # fmt: skip
        server = ServerProcess(env, tmpdir / "server.log")
        server.start()
        # "served" is built as the server builds its engine (psycopg prepares a statement
        # after 5 runs); "unprepared" plans every query afresh, so SET LOCALs take effect.
        unprepared = create_engine(url, connect_args={"prepare_threshold": None})
        engines = {"served": create_db_engine(url), "unprepared": unprepared}
        try:
            http = httpx.Client(base_url=server.url, timeout=120)
            token = http.post("/auth/session").json()["token"]
            http.headers["Authorization"] = "Bearer " + token
            db_url = url.replace("+psycopg", "")
            projects = load(args, r, http, engines["served"], db_url)
            queries = latency_queries(args.queries, r)
            probe = EmbedProbe()
            print(f"\nserver pid {server.proc.pid if server.proc else '?'}", flush=True)
            latency(args, http, engines, probe, projects["main"][0], queries)
            natural = [q for q in queries if q not in RARE][: args.recall_queries]
            recall(engines, probe, projects, natural)
            relevance(http, engines["served"], db_url)
        finally:
            for engine in engines.values():
                engine.dispose()
            server.stop()
            pg.stop()
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Settings: one pydantic-settings class, read from the environment and `.env`."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

BACKEND_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BACKEND_DIR.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=(PROJECT_ROOT / ".env", BACKEND_DIR / ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    database_url: str | None = None
    redis_auth_url: str | None = None
    redis_rq_url: str | None = None
    gcs_bucket: str | None = None
    gcp_credentials: str | None = None
    # Only for GCS-compatible emulators (tests, local dev); production leaves it unset.
    gcs_endpoint: str | None = None
    # OpenRouter (OpenAI-compatible): with a key, shot/asset descriptions, remote embeddings
    # and the retrieval agent's tool-calling loop run there; without one, everything is local.
    openrouter_api_key: str | None = None
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    openrouter_chat_model: str = "openai/gpt-4o-mini"
    openrouter_vision_model: str = "openai/gpt-4o-mini"
    openrouter_embedding_model: str = "openai/text-embedding-3-small"
    openrouter_max_shots: int = Field(default=24, ge=0, le=500)
    # Threads per process for the local models (Whisper, MiniLM): one thread does the most
    # work per CPU-second on small machines; scale with worker processes instead.
    ai_threads: int = Field(default=1, ge=1, le=64)
    # "package.module:factory" returning an agent.image_embed.ImageEmbedder (CLIP class);
    # unset, shots are found by their text, colours and descriptions only.
    image_embedder: str | None = None
    data_dir: Path = PROJECT_ROOT / "data"
    max_upload_bytes: int = Field(default=10 * 1024**3, gt=0)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    session_lifetime_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    session_cookie_secure: bool = False
    in_process_workers: int = Field(default=2, ge=1, le=64)
    # Indexing: attempts before an asset is marked failed; how often dead jobs are looked for.
    index_max_attempts: int = Field(default=3, ge=1, le=20)
    reaper_interval_s: float = Field(default=30.0, gt=0)
    stale_pending_s: float = Field(default=600.0, gt=0)
    # Renders: the HMAC key that signs callbacks (unset: a random key generated once and kept
    # in DATA_DIR/secrets/, shared by the server and workers on that DATA_DIR; set it when
    # workers run elsewhere), the longest an ffmpeg render may run, and how many times a
    # render whose worker died is started again before it is failed.
    render_callback_secret: str | None = Field(default=None, min_length=16)
    render_timeout_s: float = Field(default=6 * 3600.0, gt=0)
    render_max_attempts: int = Field(default=2, ge=1, le=10)
    # Callbacks may go to loopback/private/link-local addresses (a receiver on this machine or
    # network). Off by default: a callback URL must not reach the server's own network (SSRF).
    render_callbacks_private: bool = False
    # Encoded pieces of one render run at once (render.smart); raise it on many-core workers.
    render_parallel_pieces: int = Field(default=1, ge=1, le=32)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("not a database URL") from exc
        if url.get_backend_name() != "postgresql":
            raise ValueError("must be a postgresql:// URL (PostgreSQL with pgvector)")
        return value

    @field_validator("redis_auth_url", "redis_rq_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    @property
    def work_dir(self) -> Path:
        """Scratch space for uploads being staged and files being processed."""
        return self.data_dir / "tmp"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "postgres"


def describe_error(exc: ValidationError) -> str:
    """One line naming the first bad variable, for start-up failures."""
    first = exc.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    message = first["msg"].removeprefix("Value error, ")
    return f"invalid setting {name}: {message}"


def load_settings(**overrides: object) -> Settings:
    """Build settings, exiting with a one-line message when a value is bad."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        sys.exit(describe_error(exc))


@lru_cache
def get_settings() -> Settings:
    return load_settings()

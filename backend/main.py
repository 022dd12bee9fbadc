"""Create the app and serve it: `python main.py` or `uvicorn main:app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from config import Settings, get_settings
from handlers import (
    assets,
    auth,
    health,
    media_index,
    projects,
    renders,
    search,
    timeline,
    timeline_io,
)
from handlers.errors import install_error_handlers
from jobs.recovery import Reaper
from runtime import start_runtime, stop_runtime

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await run_in_threadpool(start_runtime, settings)
        reaper = Reaper(app.state.runtime)
        reaper.start()
        try:
            yield
        finally:
            reaper.stop()
            await run_in_threadpool(stop_runtime)

    app = FastAPI(
        title="Video editing backend",
        version="0.1.0",
        description="Upload, index, search, edit and render video over HTTP.",
        lifespan=lifespan,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    install_error_handlers(app)
    for router in (
        health.router,
        auth.router,
        projects.router,
        assets.router,
        timeline.router,
        timeline_io.router,
        media_index.router,
        search.router,
        renders.router,
        renders.presets_router,
    ):
        app.include_router(router)
    return app


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


app = create_app()

if __name__ == "__main__":
    current = get_settings()
    configure_logging(current.log_level)
    uvicorn.run(app, host=current.host, port=current.port)
